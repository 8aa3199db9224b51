// The Slack front end under load (not a test; figures vary by machine):
//  - ack latency of 200 concurrent signed slash commands through Bolt's HTTP receiver, each enqueued in Redis
//    (distinct releases: 200 real jobs, the embedded worker busy with them), helm-doctor in its own process;
//  - time from a command to the final report of the founding case (deduplication off, 5 runs);
//  - 50 identical concurrent commands → how many diagnosis jobs ran (deduplication on).
// Run alone: npx tsx test/bench/slack.ts
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack/index.js";
import { cleanPrefix, startTestRedis, uniquePrefix } from "../support/redis.js";
import { countingBundleFactory, eventually, SIGNING_SECRET, startTestServe } from "../support/slack-app.js";
import { sendSlashCommand } from "../support/slack-request.js";

const SERVE_PROCESS = fileURLToPath(new URL("../support/serve-process.ts", import.meta.url));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

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

export async function benchSlack(): Promise<{ rows: string[][] }> {
  const rows: string[][] = [];
  const redis = await startTestRedis();
  const fake = await startFakeSlack();
  try {
    // 1. 200 concurrent commands: ack latency, and command → channel message (enqueue + post). helm-doctor serve
    //    runs in its own process (as in production), so the load generator does not share its event loop.
    {
      const prefix = uniquePrefix("bench");
      const child = spawn(process.execPath, ["--import", "tsx", SERVE_PROCESS, "serve"], {
        env: {
          ...process.env,
          SLACK_BOT_TOKEN: fake.token,
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: fake.apiUrl,
          REDIS_URL: redis.url,
          PORT: "0",
          HELM_DOCTOR_QUEUE_PREFIX: prefix,
        },
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
        });
        const port = await eventually(() => /ready (\d+)/.exec(out)?.[1], 30_000, "serve to start");
        const url = `http://127.0.0.1:${port}/slack/events`;
        // Warm up (first requests compile code paths).
        for (let i = 0; i < 5; i++)
          await sendSlashCommand({ url, signingSecret: SIGNING_SECRET, text: "help" });
        const n = 200;
        const sent = Date.now();
        const res = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            sendSlashCommand({
              url,
              signingSecret: SIGNING_SECRET,
              text: `release-${i} -n default`,
              channelId: `C0BENCH${String(i).padStart(4, "0")}`,
              timeoutMs: 30_000,
            }),
          ),
        );
        const bad = res.filter((r) => r.status !== 200).length;
        const lat = res.map((r) => r.elapsedMs);
        const posted = await eventually(
          () => {
            const p = fake
              .okCallsTo("chat.postMessage")
              .filter((c) => String(c.args.channel).startsWith("C0BENCH"));
            return p.length >= n ? p : undefined;
          },
          60_000,
          "200 channel messages",
        );
        const toPost = posted.map((p) => p.time - sent);
        rows.push([
          `ack latency, ${n} concurrent commands (p50 / p99 / max)`,
          `${ms(pct(lat, 50))} / ${ms(pct(lat, 99))} / ${ms(Math.max(...lat))}`,
        ]);
        rows.push(["  answers other than 200", String(bad)]);
        rows.push([
          "  all sent → job enqueued and channel message posted (p50 / p99)",
          `${ms(pct(toPost, 50))} / ${ms(pct(toPost, 99))}`,
        ]);
      } finally {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
        await cleanPrefix(redis.url, prefix);
      }
    }
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { rows } = await benchSlack();
  const w = Math.max(...rows.map((r) => r[0]!.length));
  console.log("\n## Slack front end (HTTP receiver, BullMQ on a local redis-server, fake Slack)");
  for (const [k, v] of rows) console.log(`${k!.padEnd(w)}  ${v}`);
}
