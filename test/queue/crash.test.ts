// A worker process (the built CLI's `helm-doctor worker`) stopped or killed while it holds a diagnosis: SIGTERM
// hands the job back to the queue at once, SIGKILL leaves it to the stalled-job check, whose timing comes from the
// environment. Either way the requester's message ends in the report, delivered by another worker. The process's
// diagnosis holds on a Kubernetes API server that accepts the request and never answers.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { BundleSource } from "../../src/cluster/bundle.js";
import { loadConfig } from "../../src/config.js";
import { QUEUES } from "../../src/queue/schemas.js";
import { startWorker, type WorkerHandle } from "../../src/queue/worker.js";
import { spawnChild } from "../support/child.js";
import { BIN, ROOT } from "../support/cli.js";
import { quietLog } from "../support/log.js";
import { uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { startRequester } from "../support/requester.js";
import { eventually, FOUNDING_BUNDLE } from "../support/slack-app.js";

const rs = redisAndSlack();
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** An API server that takes requests and never answers them; resolves `reached` on the first one. */
async function silentApiServer() {
  const held: IncomingMessage[] = [];
  let reached!: () => void;
  const first = new Promise<void>((r) => {
    reached = r;
  });
  const server = createServer((req) => {
    held.push(req);
    reached();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "hd-crash-")), "kubeconfig");
  // client-node uses a plain-HTTP server only with insecure-skip-tls-verify.
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u", namespace: "default" } }],
      "current-context": "c",
    }),
  );
  return {
    kubeconfig,
    first,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A worker process whose diagnoses hang, and everything needed to give it a job. */
async function setup(env: Record<string, string>, channel: string) {
  const prefix = uniquePrefix("crash");
  const fullEnv = {
    SLACK_BOT_TOKEN: rs.fake.token,
    SLACK_API_URL: rs.fake.apiUrl,
    REDIS_URL: rs.redis.url,
    HELM_DOCTOR_QUEUE_PREFIX: prefix,
    PORT: "0",
    ...env,
  };
  const api = await silentApiServer();
  const c = spawnChild(
    [BIN, "worker"],
    { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: api.kubeconfig, ...fullEnv },
    ROOT,
  );
  const requester = startRequester({ redisUrl: rs.redis.url, fake: rs.fake, prefix, log: quietLog });
  const queue = new Queue(QUEUES.diagnose, { connection: requester.conn, prefix });
  const workers: WorkerHandle[] = [];
  cleanups.push(async () => {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
    for (const w of workers) await w.close();
    await queue.close();
    await requester.close();
    await api.close();
  });
  await c.waitFor(/helm-doctor worker: waiting for jobs/);
  const { jobId, ts } = await requester.request(channel);
  // The worker took the job: its diagnosis is reading the cluster.
  await api.first;
  return {
    ...c,
    jobId,
    ts,
    queue,
    /** A healthy worker in this process, configured by the same environment. */
    secondWorker: async () => {
      const w = await startWorker(loadConfig(fullEnv, "worker"), {
        sourceFactory: async () => new BundleSource(FOUNDING_BUNDLE),
        slack: requester.client,
        log: quietLog,
        handleSignals: false,
      });
      workers.push(w);
    },
  };
}

const reportIn = (channel: string, ts: string, timeoutMs: number) =>
  eventually(
    () =>
      JSON.stringify(rs.fake.message(channel, ts)?.blocks ?? "").includes("Roll back to revision 1")
        ? true
        : undefined,
    timeoutMs,
    `the report in ${channel}`,
  );

describe("a worker stopped or killed with a job", () => {
  it("SIGTERM: after the shutdown wait the job is handed back, not left locked until its lock expires", async () => {
    const channel = "C0CRASH001";
    // A long lock: without the hand-back nobody could start the job for a minute. The abandoned read of the
    // silent API server keeps a socket open: the process exits at once after its clean stop, not 2 s later.
    const s = await setup(
      { HELM_DOCTOR_LOCK_SECONDS: "60", HELM_DOCTOR_SHUTDOWN_SECONDS: "1", HELM_DOCTOR_EXIT_SECONDS: "0" },
      channel,
    );
    expect(await s.stop("SIGTERM"), s.out()).toBe(0);
    expect(await s.queue.getJobState(s.jobId)).toBe("waiting");
    await s.secondWorker();
    await reportIn(channel, s.ts, 10_000);
  });

  it("SIGKILL: another worker restarts the job once the lock (HELM_DOCTOR_LOCK_SECONDS) expires", async () => {
    const channel = "C0CRASH002";
    const s = await setup({ HELM_DOCTOR_LOCK_SECONDS: "2", HELM_DOCTOR_STALLED_CHECK_SECONDS: "1" }, channel);
    await s.secondWorker();
    s.child.kill("SIGKILL");
    await s.exited;
    // With BullMQ's defaults (a 30 s lock, 30 s checks) this would not happen within the wait below.
    await reportIn(channel, s.ts, 15_000);
  });
});
