// Kubernetes reads reuse their connections: client-node makes an agent without keep-alive for every request,
// which would open a TCP connection (and against a real cluster, a TLS handshake) per read.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LiveSource } from "../../src/cluster/live.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";

const NOW = new Date(FOUNDING_NOW);
let srv: FakeApiServer;
let kubeconfig: string;

beforeEach(async () => {
  srv = await startFakeApiServer();
  kubeconfig = srv.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-conn-")));
  srv.seed(foundingCase().bundle().items);
  srv.seed(foundingCase({ namespace: "team-b" }).bundle().items);
});
afterEach(async () => {
  await srv.close();
});

const live = () =>
  LiveSource.fromKubeconfig({ kubeconfig, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 20 } });

describe("connections to the API server", () => {
  it("are kept open and reused by the next reads and the next diagnosis", async () => {
    const first = diagnose(await (await live()).load("yahoo", "default", NOW));
    expect(first.findings[0]?.code).toBe("resource-moved-into-hook");
    const afterFirst = srv.connections;
    const requests = srv.requests.length;
    expect(requests).toBeGreaterThanOrEqual(8);
    // Reads run a few at a time: at most that many connections, not one per request.
    expect(afterFirst).toBeLessThanOrEqual(4);

    // Another release, another source (as the next job of a worker builds): the open connections serve it.
    const second = diagnose(await (await live()).load("yahoo", "team-b", NOW));
    expect(second.findings[0]?.code).toBe("resource-moved-into-hook");
    expect(srv.requests.length).toBeGreaterThanOrEqual(2 * requests);
    expect(srv.connections).toBe(afterFirst);
  });

  it("a kept connection the server drops costs one retry on a new connection, not the diagnosis", async () => {
    const src = await live();
    await src.load("yahoo", "default", NOW);
    const before = srv.connections;
    // The next request's connection is destroyed before any answer (the server closed it meanwhile).
    srv.resetNext(1);
    const d = diagnose(await src.load("yahoo", "team-b", NOW));
    expect(d.findings[0]?.code).toBe("resource-moved-into-hook");
    expect(srv.requests.filter((r) => r.fault === "reset")).toHaveLength(1);
    expect(srv.connections).toBe(before + 1);
  });
});
