// LiveSource through the fake API server: the same findings as from a bundle, with fewer bytes, and gaps
// instead of failures when RBAC forbids a read.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chooseRevisions, LiveSource } from "../../src/cluster/live.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { diagnosisJson } from "../../src/report/json.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import { runCli } from "../support/cli.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";

const NOW = new Date(FOUNDING_NOW);
let srv: FakeApiServer;
let kubeconfig: string;
const dir = mkdtempSync(join(tmpdir(), "hd-live-"));

// A fresh cluster for every test.
beforeEach(async () => {
  srv = await startFakeApiServer();
  kubeconfig = srv.writeKubeconfig(dir);
});
afterEach(async () => {
  await srv.close();
});

async function live(opts: { driver?: string } = {}) {
  return LiveSource.fromKubeconfig({
    kubeconfig,
    env: {},
    driver: opts.driver,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
}

/** The JSON report without the fields that name the source. */
function comparable(d: ReturnType<typeof diagnose>) {
  const j = diagnosisJson(d);
  return { ...j, source: undefined };
}

describe("LiveSource", () => {
  for (const driver of ["secret", "configmap"] as const) {
    it(`finds what the bundle finds for the founding case (${driver} driver)`, async () => {
      const sc = foundingCase({ driver });
      srv.seed(sc.bundle().items);
      const src = await live();
      const snap = await src.load("yahoo", "default", NOW);
      const fromBundle = diagnose(
        buildSnapshot({
          release: "yahoo",
          namespace: "default",
          objects: sc.bundle().items,
          now: NOW,
          source: "bundle",
        }),
      );
      const fromLive = diagnose(snap);
      expect(fromLive.findings[0]!.code).toBe("resource-moved-into-hook");
      expect(comparable(fromLive)).toEqual(comparable(fromBundle));
      expect(src.lastCalls).toBeLessThanOrEqual(15);
    });
  }

  it("lists records metadata-only and reads only the revisions it needs", async () => {
    const sc = foundingCase();
    // 30 more upgrades that all succeeded, then the broken state stays the latest.
    srv.seed(sc.bundle().items);
    srv.resetCounters();
    const src = await live();
    await src.load("yahoo", "default", NOW);
    const secretReqs = srv.requests.filter((r) => r.resource === "secrets");
    const lists = secretReqs.filter((r) => r.verb === "list");
    expect(lists.length).toBeGreaterThan(0);
    for (const l of lists) expect(l.accept).toMatch(/as=PartialObjectMetadataList/);
    expect(lists[0]!.query.labelSelector).toBe("owner=helm,name=yahoo");
    const gets = secretReqs.filter((r) => r.verb === "get").map((r) => r.name);
    expect(gets.sort()).toEqual(["sh.helm.release.v1.yahoo.v1", "sh.helm.release.v1.yahoo.v2"]);
  });

  it("chooses latest, last deployed and its predecessor, and everything after the last deployed", () => {
    const heads = [1, 2, 3, 4, 5, 6, 7, 8].map((r) => ({
      objectName: `x.v${r}`,
      revision: r,
      driver: "secret" as const,
      status: r === 5 ? "deployed" : r < 5 ? "superseded" : "failed",
    }));
    expect([...chooseRevisions(heads)].sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8]);
  });

  const forbidCases = [
    { resource: "events", verb: "list" as const, what: "events" },
    { resource: "pods", verb: "list" as const, what: "pods" },
    { resource: "configmaps", verb: "get" as const, what: "configmaps" },
  ];
  for (const c of forbidCases) {
    it(`a 403 on ${c.verb} ${c.resource} becomes a gap naming the rule, and the report goes on`, async () => {
      srv.seed(foundingCase().bundle().items);
      srv.forbid({ resource: c.resource, verb: c.verb });
      const d = diagnose(await (await live()).load("yahoo", "default", NOW));
      expect(d.gaps).toContainEqual({
        what: c.what,
        reason: "forbidden",
        detail: `missing RBAC rule: apiGroups=[""] resources=["${c.resource}"] verbs=[${c.verb}] in namespace default`,
      });
      expect(d.findings[0]!.code).toBe("resource-moved-into-hook");
      if (c.resource === "configmaps") {
        // It cannot see the ConfigMap is gone and says so; the pods' FailedMount events still show it is.
        expect(d.findings[0]!.severity).toBe("critical");
        expect(d.findings[0]!.evidence.map((e) => e.detail).join("\n")).toMatch(
          /could not be fully read \(forbidden\)/,
        );
      }
    });
  }

  // Without the records there is no release to diagnose: a forbidden read of them is an error naming the rule,
  // never "release not found".
  it("a forbidden list of secrets is an error naming the missing rule", async () => {
    srv.seed(foundingCase().bundle().items);
    srv.forbid({ resource: "secrets", verb: "list" });
    const src = await live({ driver: "secret" });
    const rule = 'missing RBAC rule: apiGroups=[""] resources=["secrets"] verbs=[list] in namespace default';
    await expect(src.load("yahoo", "default", NOW)).rejects.toThrow(rule);
    await expect(src.releases("default")).rejects.toThrow(rule);
  });

  it("retries 500s, 429s and connection resets", async () => {
    srv.seed(foundingCase().bundle().items);
    srv.failNext(2, 500);
    srv.failNext(1, 429);
    srv.resetNext(1);
    const d = diagnose(await (await live()).load("yahoo", "default", NOW));
    expect(d.findings[0]!.code).toBe("resource-moved-into-hook");
    expect(srv.requests.filter((r) => r.status >= 500 || r.status === 429).length).toBe(3);
  });

  it("gives up with a clear error when the server keeps failing", async () => {
    srv.seed(foundingCase().bundle().items);
    srv.failEvery(1, 503);
    const src = await live();
    await expect(src.load("yahoo", "default", NOW)).rejects.toThrow(/kept failing .* HTTP 503/);
  });
});

describe("CLI against a cluster", () => {
  it("diagnose reads KUBECONFIG, and an unknown release exits 3 with the releases present", async () => {
    srv.seed(foundingCase().bundle().items);
    const ok = await runCli(["diagnose", "yahoo", "-o", "json", "--now", FOUNDING_NOW], {
      KUBECONFIG: kubeconfig,
    });
    expect(ok.stderr).toBe("");
    expect(JSON.parse(ok.stdout).findings[0].resources[0].name).toBe("basic-app-config");
    const missing = await runCli(["diagnose", "nope"], { KUBECONFIG: kubeconfig });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/releases in "default": yahoo \(deployed, revision 2\)/);
  });

  const RULE = (resource: string, verb: string) =>
    `missing RBAC rule: apiGroups=[""] resources=["${resource}"] verbs=[${verb}] in namespace default`;
  const forbiddenRecordCases = [
    {
      name: "list secrets (auto driver)",
      driver: "secret",
      args: [],
      env: {},
      forbid: "secrets",
      verb: "list",
    },
    {
      name: "list configmaps (--driver configmap)",
      driver: "configmap",
      args: ["--driver", "configmap"],
      env: {},
      forbid: "configmaps",
      verb: "list",
    },
    {
      name: "list configmaps (HELM_DRIVER=configmap)",
      driver: "configmap",
      args: [],
      env: { HELM_DRIVER: "configmap" },
      forbid: "configmaps",
      verb: "list",
    },
    {
      name: "get of one record (secrets)",
      driver: "secret",
      args: [],
      env: {},
      forbid: "secrets",
      verb: "get",
    },
  ] as const;
  for (const c of forbiddenRecordCases) {
    it(`a forbidden ${c.name} exits 1 naming the missing rule, not "not found"`, async () => {
      srv.seed(foundingCase({ driver: c.driver }).bundle().items);
      srv.forbid({ resource: c.forbid, verb: c.verb });
      const r = await runCli(["diagnose", "yahoo", ...c.args], { KUBECONFIG: kubeconfig, ...c.env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(RULE(c.forbid, c.verb));
      expect(r.stderr).toContain("cannot read the Helm release records");
      expect(r.stderr).not.toMatch(/not found|no Helm releases/);
      expect(r.stdout).toBe("");
    });
  }

  it("capture → diagnose --bundle gives the same findings as the live run", async () => {
    const sc = foundingCase();
    srv.seed(sc.bundle().items);
    // A Secret the release owns, whose data must not be captured.
    srv.seed([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "unrelated", namespace: "default" },
        data: { password: Buffer.from("hunter2").toString("base64") },
      },
    ]);
    const cap = await runCli(["capture", "yahoo", "--kubeconfig", kubeconfig]);
    expect(cap.code).toBe(0);
    expect(cap.stderr).toMatch(/captured yahoo in default: 2 of 2 revisions, .* API calls/);
    expect(cap.stdout).not.toContain(Buffer.from("hunter2").toString("base64"));
    const f = join(dir, "captured.json");
    writeFileSync(f, cap.stdout);
    const fromBundle = await runCli([
      "diagnose",
      "yahoo",
      "-n",
      "default",
      "--bundle",
      f,
      "-o",
      "json",
      "--now",
      FOUNDING_NOW,
    ]);
    const fromLive = await runCli([
      "diagnose",
      "yahoo",
      "--kubeconfig",
      kubeconfig,
      "-o",
      "json",
      "--now",
      FOUNDING_NOW,
    ]);
    const strip = (s: string) => ({ ...JSON.parse(s), source: undefined });
    expect(strip(fromBundle.stdout)).toEqual(strip(fromLive.stdout));
  });

  it("history lists every revision", async () => {
    srv.seed(foundingCase().bundle().items);
    const h = await runCli(["history", "yahoo", "-o", "json"], { KUBECONFIG: kubeconfig });
    expect(
      JSON.parse(h.stdout).map((r: { revision: number; status: string }) => [r.revision, r.status]),
    ).toEqual([
      [1, "superseded"],
      [2, "deployed"],
    ]);
  });

  it("a bad kubeconfig or context is a clear error", async () => {
    const r = await runCli(["diagnose", "yahoo", "--kubeconfig", kubeconfig, "--context", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/context "nope" not found in kubeconfig; contexts: /);
    const r2 = await runCli(["diagnose", "yahoo", "--kubeconfig", join(dir, "missing.yaml")]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/cannot load kubeconfig/);
  });
});
