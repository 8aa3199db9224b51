// Scale-out of diagnoses (not a test; figures vary by machine): `helm-doctor worker` processes (the built CLI)
// against the fake API server answering every request after 50 ms (a remote cluster's latency), each diagnosis a
// distinct release (the founding case in its own namespace), every job with a requester's message in the fake
// Slack. The backlog is queued (the queue paused) before the workers start; the clock runs from resuming the queue
// to the last job's finish (BullMQ's finishedOn). Diagnoses per minute for 1, 2 and 4 processes at the default
// concurrency, the speed-up against one process, and one process with HELM_DOCTOR_WORKER_CONCURRENCY raised.
// Each run's workers' CPU time per diagnosis (utime + stime from /proc) says whether the machine's two cores or the
// cluster's latency bound the throughput.
// Run alone: npx tsx test/bench/scale.ts (after npm run build)
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webApi } from "@slack/bolt";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { QUEUES } from "../../src/queue/schemas.js";
import { type Child, spawnChild } from "../support/child.js";
import { BIN, ROOT } from "../support/cli.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack/index.js";
import { quietLog } from "../support/log.js";
import { startTestRedis, uniquePrefix } from "../support/redis.js";
import { startRequester } from "../support/requester.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { eventually } from "../support/slack-app.js";
import { runAlone } from "./table.js";

/** The default of HELM_DOCTOR_WORKER_CONCURRENCY (src/config.ts). */
const DEFAULT_CONCURRENCY = 4;

export interface ScaleRun {
  processes: number;
  concurrency: number;
  perMinute: number;
  /** Workers' CPU time (user + system) per diagnosis, ms. */
  cpuMsPerJob: number;
  /** CPU time per diagnosis of the rest: this process (fake API server, fake Slack) and redis-server, ms. */
  harnessCpuMsPerJob: number;
  reports: number;
}

/** CPU time (user + system) redis-server has used so far, in ms (INFO cpu). */
async function redisCpuMs(conn: Redis): Promise<number> {
  const info = await conn.info("cpu");
  const f = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return (f("used_cpu_sys") + f("used_cpu_user")) * 1000;
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks (USER_HZ = 100 on Linux)
}

/** `node … dist/bin.js worker`; HD_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the workers. */
export const workerArgs = (): string[] => [
  ...(process.env.HD_WORKER_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? []),
  BIN,
  "worker",
];

export function workerEnv(o: {
  fake: FakeSlack;
  redisUrl: string;
  prefix: string;
  kubeconfig: string;
  concurrency?: number;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SLACK_BOT_TOKEN: o.fake.token,
    SLACK_API_URL: o.fake.apiUrl,
    REDIS_URL: o.redisUrl,
    HELM_DOCTOR_QUEUE_PREFIX: o.prefix,
    KUBECONFIG: o.kubeconfig,
    PORT: "0",
    LOG_FORMAT: "json",
    LOG_LEVEL: "warn",
    ...(o.concurrency ? { HELM_DOCTOR_WORKER_CONCURRENCY: String(o.concurrency) } : {}),
  };
}

const isReport = (x: { method: string; ok: boolean; args: Record<string, unknown> }) =>
  x.method === "chat.update" && x.ok && JSON.stringify(x.args.blocks ?? "").includes("remediate-");

async function run(
  o: { fake: FakeSlack; redisUrl: string; kubeconfig: string; namespaces: string[] },
  processes: number,
  concurrency: number,
): Promise<ScaleRun> {
  const { fake, redisUrl, kubeconfig, namespaces } = o;
  const prefix = uniquePrefix("scale");
  const requester = startRequester({
    redisUrl,
    fake,
    prefix,
    log: quietLog,
    client: { logLevel: webApi.LogLevel.ERROR },
  });
  const conn = requester.conn;
  const queue = new Queue(QUEUES.diagnose, { connection: conn, prefix });
  const workers: Child[] = [];
  const channelOf = (i: number) => `C0S${processes}X${concurrency}N${String(i).padStart(4, "0")}`;
  try {
    // The backlog, as the front end leaves it: a job and its requester's message, nobody consuming yet.
    await queue.pause();
    for (const [i, ns] of namespaces.entries()) {
      await requester.request(channelOf(i), undefined, ns);
    }
    const env = workerEnv({
      fake,
      redisUrl,
      prefix,
      kubeconfig,
      ...(concurrency !== DEFAULT_CONCURRENCY ? { concurrency } : {}),
    });
    for (let i = 0; i < processes; i++) workers.push(spawnChild(workerArgs(), env, ROOT));
    for (const w of workers) await w.waitFor(/waiting for jobs/, 60_000);
    const cpu0 = workers.map((w) => cpuMs(w.child.pid!));
    const harness0 = ownCpuMs() + (await redisCpuMs(conn));
    const t0 = Date.now();
    await queue.resume();
    await eventually(
      async () => {
        const c = await queue.getJobCounts("completed", "failed");
        return (c.completed ?? 0) + (c.failed ?? 0) >= namespaces.length ? true : undefined;
      },
      600_000,
      "the backlog to be diagnosed",
    );
    const cpu = workers.reduce((a, w, i) => a + cpuMs(w.child.pid!) - cpu0[i]!, 0);
    const harness = ownCpuMs() + (await redisCpuMs(conn)) - harness0;
    const jobs = await queue.getJobs(["completed", "failed"], 0, -1);
    const failed = jobs.filter((j) => j.failedReason !== undefined && j.finishedOn && !j.returnvalue);
    if (failed.length > 0) throw new Error(`${failed.length} diagnoses failed: ${failed[0]!.failedReason}`);
    const end = Math.max(...jobs.map((j) => j.finishedOn ?? 0));
    const took = jobs.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)).sort((a, b) => a - b);
    const busy = took.reduce((a, b) => a + b, 0) / (end - t0);
    const channels = new Set(namespaces.map((_, i) => channelOf(i)));
    const reports = new Set(
      fake.calls
        .filter((c) => isReport(c) && channels.has(String(c.args.channel)))
        .map((c) => c.args.channel),
    ).size;
    const r: ScaleRun = {
      processes,
      concurrency,
      perMinute: (namespaces.length / (end - t0)) * 60_000,
      cpuMsPerJob: cpu / namespaces.length,
      harnessCpuMsPerJob: harness / namespaces.length,
      reports,
    };
    console.error(
      `  scale: ${processes} × concurrency ${concurrency}: ${r.perMinute.toFixed(0)}/min, ${(end - t0) / 1000} s, CPU ${r.cpuMsPerJob.toFixed(1)} ms/diagnosis (harness ${r.harnessCpuMsPerJob.toFixed(1)} ms), ${reports} reports; job p50 ${took[took.length >> 1]} ms, p90 ${took[Math.floor(took.length * 0.9)]} ms, ${busy.toFixed(1)} running on average`,
    );
    return r;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.close();
    await requester.close();
  }
}

/** The founding case once per namespace: `n` distinct releases, all broken the same way. */
export function seedReleases(api: FakeApiServer, n: number): string[] {
  const namespaces = Array.from({ length: n }, (_, i) => `team-${String(i).padStart(3, "0")}`);
  for (const ns of namespaces) api.seed(foundingCase({ namespace: ns }).bundle().items);
  return namespaces;
}

export async function benchScale(backlog = 400, latencyMs = 50): Promise<{ rows: string[][] }> {
  const redis = await startTestRedis();
  const fake = await startFakeSlack();
  const api = await startFakeApiServer();
  try {
    const namespaces = seedReleases(api, backlog);
    api.setLatency(latencyMs);
    const kubeconfig = api.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-scale-")));
    const o = { fake, redisUrl: redis.url, kubeconfig, namespaces };
    const runs: ScaleRun[] = [];
    for (const p of [1, 2, 4]) runs.push(await run(o, p, DEFAULT_CONCURRENCY));
    const raised = await run(o, 1, DEFAULT_CONCURRENCY * 4);
    const one = runs[0]!.perMinute;
    const calls = api.requests.length / (backlog * (runs.length + 1));
    const rows: string[][] = [
      [
        "backlog",
        `${backlog} diagnoses of distinct releases, ${latencyMs} ms per API request (${calls.toFixed(1)} requests each)`,
      ],
    ];
    for (const r of [...runs, raised]) {
      const target =
        r.concurrency !== DEFAULT_CONCURRENCY ? "" : r.processes === 2 ? 1.8 : r.processes === 4 ? 3.2 : 0;
      const speedup = r.perMinute / one;
      rows.push([
        `${r.processes} worker process${r.processes === 1 ? "" : "es"}, concurrency ${r.concurrency}: diagnoses/min, speed-up${target ? ` (target ≥ ${target}×)` : ""}`,
        `${r.perMinute.toFixed(0)}/min, ×${speedup.toFixed(2)}${target && speedup < target ? " — target missed" : ""}; CPU per diagnosis: workers ${r.cpuMsPerJob.toFixed(1)} ms, fake cluster + Slack + Redis ${r.harnessCpuMsPerJob.toFixed(1)} ms; ${r.reports} of ${backlog} reports`,
      ]);
    }
    return { rows };
  } finally {
    await api.close();
    await fake.close();
    await redis.stop();
  }
}

await runAlone(
  import.meta.url,
  "Scale-out: worker processes against a cluster 50 ms away (fake API server)",
  () => benchScale(),
);
