// The Slack front end under load (not a test; figures vary by machine):
//  - ack latency of the same bursts of concurrent signed slash commands (200, then 1,000; distinct releases, so
//    each is a real job) sent by a separate process to a bare Bolt app that only acks (the floor: Bolt's own cost
//    on this machine) and to `helm-doctor serve` (the built CLI, its embedded worker diagnosing the jobs), in
//    alternating rounds, serve idle before each; p50/p99 of each and their ratio, and serve's peak RSS;
//  - time from a command to the final report of the founding case (deduplication off, 5 runs);
//  - 50 identical concurrent commands → how many diagnosis jobs ran (deduplication on).
// Run alone: npx tsx test/bench/slack.ts (after npm run build)
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { type Child, spawnChild } from "../support/child.js";
import { BIN, ROOT } from "../support/cli.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack/index.js";
import { cleanPrefix, startTestRedis, uniquePrefix } from "../support/redis.js";
import { countingBundleFactory, eventually, SIGNING_SECRET, startTestServe } from "../support/slack-app.js";
import { sendSlashCommand } from "../support/slack-request.js";
import type { LoadResult } from "./slack-load.js";
import { runAlone } from "./table.js";

const LOAD = fileURLToPath(new URL("./slack-load.ts", import.meta.url));
const FLOOR = fileURLToPath(new URL("./slack-floor.ts", import.meta.url));
const FOUNDING = fileURLToPath(new URL("../fixtures/founding-case.json", import.meta.url));

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
export const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

/** Peak resident set (VmHWM) of a process so far, in KiB. */
export function peakRssKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

function reportIn(fake: FakeSlack, channel: string): number | undefined {
  const c = fake.calls.find(
    (x) =>
      x.method === "chat.update" &&
      x.ok &&
      x.args.channel === channel &&
      JSON.stringify(x.args.blocks).includes("remediate-"),
  );
  return c?.time;
}

/** One burst, from the load generator's own process. */
async function burst(url: string, n: number, text: string, channel: string): Promise<LoadResult> {
  const spec = JSON.stringify({ url, secret: SIGNING_SECRET, n, text, channel });
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", LOAD, spec], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as LoadResult;
}

async function started(c: Child, re: RegExp): Promise<string> {
  return (await c.waitFor(re, 60_000))[1]!;
}

/** Floor vs serve: the same bursts, alternating which goes first, serve idle (every job done) before each. */
export async function floorVsServe(
  fake: FakeSlack,
  redisUrl: string,
  rows: string[][],
  bursts: readonly (readonly [n: number, rounds: number])[] = [
    [200, 3],
    [1000, 2],
  ],
): Promise<void> {
  const prefix = uniquePrefix("bench");
  const slackEnv = {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: fake.token,
    SLACK_API_URL: fake.apiUrl,
  };
  const floor = spawnChild(["--import", "tsx", FLOOR], { ...process.env, ...slackEnv });
  const serve = spawnChild(
    [
      // Profiling serve: HD_SERVE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
      ...(process.env.HD_SERVE_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? []),
      BIN,
      "serve",
      "--bundle",
      FOUNDING,
    ],
    {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...slackEnv,
      REDIS_URL: redisUrl,
      PORT: "0",
      HELM_DOCTOR_QUEUE_PREFIX: prefix,
      LOG_FORMAT: "json",
    },
    ROOT,
  );
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue("diagnose", { connection: conn, prefix });
  try {
    const floorUrl = `http://127.0.0.1:${await started(floor, /ready (\d+)/)}/slack/events`;
    const serveUrl = `http://127.0.0.1:${await started(serve, /listening on port (\d+)/)}/slack/events`;
    const posted = (channelPrefix: string) =>
      fake.okCallsTo("chat.postMessage").filter((c) => String(c.args.channel).startsWith(channelPrefix))
        .length;
    // Idle: no job waiting or running, and no channel message posted for a second (a command whose enqueue
    // failed never gets one).
    const idle = async (channelPrefix: string) => {
      let last = -1;
      let since = Date.now();
      await eventually(
        async () => {
          const c = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
          const now = posted(channelPrefix);
          if (now !== last) {
            last = now;
            since = Date.now();
          }
          return Object.values(c).every((x) => x === 0) && Date.now() - since > 1000 ? true : undefined;
        },
        600_000,
        "serve to finish the burst's jobs",
      );
      return last;
    };
    // Warm both up the same way, with an unmeasured burst of the first size measured: the first requests compile
    // code paths, and a burst exercises what a few commands do not (follow-ups held back while requests wait for
    // their ack, then run a few at a time; the worker's concurrency). A running serve is warm.
    for (const url of [floorUrl, serveUrl])
      await burst(url, bursts[0]?.[0] ?? 20, "warm-{i} -n default", "C0WARM{i}");
    await idle("C0WARM");
    let round = 0;
    for (const [n, rounds] of bursts) {
      const lat = { floor: [] as number[], serve: [] as number[] };
      /** Each round's p99, serve and floor side by side (outside load falls on one round, not on all). */
      const roundP99 = { floor: [] as number[], serve: [] as number[] };
      let bad = 0;
      let messages = 0;
      for (let r = 0; r < rounds; r++) {
        round++;
        const channels = `C0B${String(round).padStart(2, "0")}`;
        for (const who of r % 2 === 0 ? (["floor", "serve"] as const) : (["serve", "floor"] as const)) {
          const res = await burst(
            who === "floor" ? floorUrl : serveUrl,
            n,
            `r${round}-{i} -n default`,
            `${channels}{i}`,
          );
          bad += res.status.filter((s) => s !== 200).length;
          const got = res.ms.filter((x) => Number.isFinite(x));
          lat[who].push(...got);
          roundP99[who].push(pct(got, 99));
          console.error(
            `  slack: ${who} ${n} commands, round ${r + 1}: p50 ${ms(pct(got, 50))}, p99 ${ms(pct(got, 99))}, max ${ms(Math.max(...got))} (load average ${loadavg()[0]!.toFixed(1)})`,
          );
          if (who === "serve") messages += await idle(channels);
        }
      }
      const [f50, f99, s50, s99] = [
        pct(lat.floor, 50),
        pct(lat.floor, 99),
        pct(lat.serve, 50),
        pct(lat.serve, 99),
      ];
      const ratio = s99 / f99;
      rows.push([
        `ack, ${n} concurrent commands, ${rounds} rounds: floor (bare Bolt, ack only) p50 / p99`,
        `${ms(f50)} / ${ms(f99)}`,
      ]);
      rows.push(["  helm-doctor serve p50 / p99", `${ms(s50)} / ${ms(s99)}`]);
      rows.push([
        `  ratio serve / floor: p50 / p99${n === 200 ? " (target p99 ≤ 1.5)" : ""}`,
        `${(s50 / f50).toFixed(2)} / ${ratio.toFixed(2)}${n === 200 && ratio > 1.5 ? " — target missed" : ""}`,
      ]);
      const perRound = roundP99.serve.map((x, i) => x / roundP99.floor[i]!);
      rows.push([
        "  p99 ratio of each round (serve / floor run side by side)",
        perRound.map((x) => x.toFixed(2)).join(", "),
      ]);
      rows.push(["  answers other than 200 (both)", String(bad)]);
      rows.push(["  serve: commands that got their channel message", `${messages} of ${n * rounds}`]);
    }
    rows.push([
      "peak RSS after the 1,000-command bursts: serve / floor",
      `${mib(peakRssKb(serve.child.pid!))} / ${mib(peakRssKb(floor.child.pid!))}`,
    ]);
  } finally {
    await queue.close();
    conn.disconnect();
    await Promise.all([serve.stop(), floor.stop()]);
    await cleanPrefix(redisUrl, prefix);
  }
}

export async function benchSlack(): Promise<{ rows: string[][] }> {
  const rows: string[][] = [];
  const redis = await startTestRedis();
  const fake = await startFakeSlack();
  try {
    // 1. Ack latency against the floor, in the same run.
    await floorVsServe(fake, redis.url, rows);
    // 2. Command → final report, founding case (a fresh job each time).
    {
      fake.reset();
      const serve = await startTestServe({
        fake,
        redisUrl: redis.url,
        env: { HELM_DOCTOR_DEDUP_SECONDS: "0" },
      });
      try {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const channel = `C0REPORT${i}`;
          const t0 = Date.now();
          const r = await sendSlashCommand({
            url: serve.url,
            signingSecret: SIGNING_SECRET,
            text: "yahoo -n default",
            channelId: channel,
          });
          if (r.status !== 200) throw new Error(`status ${r.status}`);
          const done = await eventually(() => reportIn(fake, channel), 30_000, "report");
          times.push(done - t0);
        }
        rows.push([
          "command → final report, founding case (5 runs: median / max)",
          `${ms(pct(times, 50))} / ${ms(Math.max(...times))}`,
        ]);
      } finally {
        await serve.stop();
      }
    }
    // 3. 50 identical concurrent commands → diagnosis jobs run.
    {
      fake.reset();
      const factory = countingBundleFactory();
      const serve = await startTestServe({ fake, redisUrl: redis.url, sourceFactory: factory });
      try {
        const n = 50;
        await Promise.all(
          Array.from({ length: n }, (_, i) =>
            sendSlashCommand({
              url: serve.url,
              signingSecret: SIGNING_SECRET,
              text: "yahoo -n default",
              channelId: `C0SAME${String(i).padStart(4, "0")}`,
              timeoutMs: 30_000,
            }),
          ),
        );
        await eventually(
          () => {
            const done = Array.from({ length: n }, (_, i) =>
              reportIn(fake, `C0SAME${String(i).padStart(4, "0")}`),
            );
            return done.every((t) => t !== undefined) ? true : undefined;
          },
          60_000,
          "50 reports",
        );
        rows.push([
          `${n} identical concurrent commands → diagnosis runs`,
          `${factory.loads} (all ${n} messages got the report)`,
        ]);
      } finally {
        await serve.stop();
      }
    }
  } finally {
    await fake.close();
    await redis.stop();
  }
  return { rows };
}

await runAlone(
  import.meta.url,
  "Slack front end (HTTP receiver, BullMQ on a local redis-server, fake Slack)",
  () => benchSlack(),
);
