// Faults that must not lose a report (not a test; figures vary by machine). Production defaults throughout
// (job lock, stalled-job check, WebClient retries, delivery retries):
//  1. 20 rounds: a diagnosis is taken by one of two worker processes, which is SIGKILLed while it holds the job;
//     the other worker must deliver the report. Reports delivered / requested, and kill → report time.
//  2. 20 requests for each kind of final chat.update failure (internal_error, ratelimited in the body, 429 past
//     the WebClient's retry budget, message_not_found, and an update that never succeeds): the report delivered
//     (in the message, or a new one) or the requester told how to get it.
// Run alone: npx tsx test/bench/faults.ts
import { fileURLToPath } from "node:url";
import { webApi } from "@slack/bolt";
import { BundleSource } from "../../src/cluster/bundle.js";
import { loadConfig } from "../../src/config.js";
import type { Log } from "../../src/queue/redis.js";
import { SLACK_RETRY_CONFIG, startWorker } from "../../src/queue/worker.js";
import { spawnChild } from "../support/child.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack/index.js";
import { startTestRedis, type TestRedis, uniquePrefix } from "../support/redis.js";
import { REQUESTER, startRequester } from "../support/requester.js";
import { eventually, FOUNDING_BUNDLE } from "../support/slack-app.js";
import { runAlone } from "./table.js";

const SERVE_PROCESS = fileURLToPath(new URL("../support/serve-process.ts", import.meta.url));
const quiet: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const ROUNDS = 20;
/** The worker's own WebClient settings (production retries), errors only in the log. */
const PRODUCTION_CLIENT = { retryConfig: SLACK_RETRY_CONFIG, logLevel: webApi.LogLevel.ERROR };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const isReport = (a: Record<string, unknown>) =>
  JSON.stringify(a.blocks ?? "").includes("Roll back to revision 1");

const spawnWorker = (env: Record<string, string>) =>
  spawnChild(["--import", "tsx", SERVE_PROCESS, "worker"], { ...process.env, ...env });

async function killRounds(redis: TestRedis, fake: FakeSlack): Promise<string[][]> {
  const prefix = uniquePrefix("faults");
  const env = {
    SLACK_BOT_TOKEN: fake.token,
    SLACK_API_URL: fake.apiUrl,
    REDIS_URL: redis.url,
    HELM_DOCTOR_QUEUE_PREFIX: prefix,
    // Long enough to be killed while holding the job.
    HD_TEST_LOAD_DELAY_MS: "1500",
  };
  const requester = startRequester({
    redisUrl: redis.url,
    fake,
    prefix,
    log: quiet,
    client: PRODUCTION_CLIENT,
  });
  let workers = [spawnWorker(env), spawnWorker(env)];
  const times: number[] = [];
  let delivered = 0;
  try {
    for (const w of workers) await w.waitFor(/ready/, 30_000);
    for (let i = 0; i < ROUNDS; i++) {
      const { jobId, channel, ts } = await requester.request(`C0KILL${String(i).padStart(4, "0")}`);
      const holder = await eventually(
        () => workers.find((w) => w.out().includes(`active ${jobId}`)),
        30_000,
        `a worker to take ${jobId}`,
      );
      const killedAt = Date.now();
      holder.child.kill("SIGKILL");
      await holder.exited;
      // A replacement joins, so two workers are alive again for the next round.
      const fresh = spawnWorker(env);
      workers = [...workers.filter((w) => w !== holder), fresh];
      try {
        await eventually(
          () => (isReport({ blocks: fake.message(channel, ts)?.blocks }) ? true : undefined),
          60_000,
          `the report of round ${i + 1}`,
        );
        times.push(Date.now() - killedAt);
        delivered++;
      } catch {
        // counted as not delivered
      }
      await fresh.waitFor(/ready/, 30_000);
    }
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await requester.close();
  }
  return [
    [
      `SIGKILL of the worker holding a job, ${ROUNDS} rounds: reports delivered / requested (target ${ROUNDS}/${ROUNDS})`,
      `${delivered}/${ROUNDS}`,
    ],
    [
      "  kill → report (p50 / p95 / max; target p95 < 15 s)",
      times.length > 0 ? `${sec(pct(times, 50))} / ${sec(pct(times, 95))} / ${sec(Math.max(...times))}` : "-",
    ],
  ];
}

interface Kind {
  name: string;
  /** Make the final update of this channel's message fail; returns the ts the request follows. */
  inject(fake: FakeSlack, channel: string): string;
}

/** The final update of the channel's message fails with `error`, `times` times; the request follows a new message. */
const failing =
  (error: string, times: number) =>
  (fake: FakeSlack, channel: string): string => {
    fake.fail("chat.update", error, { times, match: (a) => a.channel === channel && isReport(a) });
    return fake.seedMessage(channel, { text: "queued…" });
  };

const KINDS: Kind[] = [
  { name: "internal_error (twice)", inject: failing("internal_error", 2) },
  { name: "ratelimited in the body (twice)", inject: failing("ratelimited", 2) },
  {
    name: "429 past the WebClient's retry budget",
    inject: (fake, channel) => {
      fake.rateLimit(
        "chat.update",
        SLACK_RETRY_CONFIG.retries + 1,
        1,
        (a) => a.channel === channel && isReport(a),
      );
      return fake.seedMessage(channel, { text: "queued…" });
    },
  },
  // A ts the fake does not know: the message was deleted.
  { name: "message_not_found", inject: () => "1700009999.000100" },
  { name: "internal_error on every try", inject: failing("internal_error", Number.POSITIVE_INFINITY) },
];

async function deliveryRounds(redis: TestRedis, fake: FakeSlack): Promise<string[][]> {
  const prefix = uniquePrefix("faults-dlv");
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: fake.token,
      SLACK_API_URL: fake.apiUrl,
      REDIS_URL: redis.url,
      HELM_DOCTOR_QUEUE_PREFIX: prefix,
    },
    "worker",
  );
  const requester = startRequester({
    redisUrl: redis.url,
    fake,
    prefix,
    log: quiet,
    client: PRODUCTION_CLIENT,
  });
  const worker = await startWorker(
    { ...config, workerConcurrency: ROUNDS },
    {
      sourceFactory: async () => new BundleSource(FOUNDING_BUNDLE),
      slack: requester.client,
      log: quiet,
      handleSignals: false,
    },
  );
  const rows: string[][] = [];
  try {
    for (const [k, kind] of KINDS.entries()) {
      const started = Date.now();
      const outcomes = await Promise.all(
        Array.from({ length: ROUNDS }, async (_, i) => {
          const channel = `C0DLV${k}${String(i).padStart(4, "0")}`;
          const { ts } = await requester.request(channel, kind.inject(fake, channel));
          return eventually(
            () => {
              if (isReport({ blocks: fake.message(channel, ts)?.blocks })) return "delivered";
              const fresh = fake.calls.find(
                (c) =>
                  c.method === "chat.postMessage" &&
                  c.ok &&
                  c.args.channel === channel &&
                  !c.args.thread_ts &&
                  isReport(c.args),
              );
              if (fresh) return "delivered (new message)";
              const told = fake.calls.find(
                (c) =>
                  c.ok &&
                  ((c.method === "chat.postEphemeral" && c.args.channel === channel) ||
                    (c.method === "chat.postMessage" && c.args.channel === REQUESTER)) &&
                  JSON.stringify(c.args).includes(`${channel}>`),
              );
              return told ? "requester told" : undefined;
            },
            120_000,
            `the outcome in ${channel}`,
          ).catch(() => "lost");
        }),
      );
      fake.clearInjections();
      const count = (o: string) => outcomes.filter((x) => x === o).length;
      rows.push([
        `final chat.update fails: ${kind.name} (delivered / new message / requester told / lost)`,
        `${count("delivered")} / ${count("delivered (new message)")} / ${count("requester told")} / ${count("lost")} of ${ROUNDS}, ${sec(Date.now() - started)}`,
      ]);
    }
  } finally {
    await worker.close();
    await requester.close();
  }
  return rows;
}

export async function benchFaults(): Promise<{ rows: string[][] }> {
  const redis = await startTestRedis();
  const fake = await startFakeSlack();
  try {
    const rows = await killRounds(redis, fake);
    fake.reset();
    rows.push(...(await deliveryRounds(redis, fake)));
    return { rows };
  } finally {
    await fake.close();
    await redis.stop();
  }
}

await runAlone(import.meta.url, "Faults (worker SIGKILLs, final chat.update failures)", () => benchFaults());
