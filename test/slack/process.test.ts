// Process-level behaviour. Redis stops mid-run: a command still gets an answer (a clear ephemeral error) in
// the ack (the request check's wait is bounded; the benchmarks measure ack latency), /readyz says so, and once
// Redis is back on the same port the next command works without restarting helm-doctor. SIGTERM stops `serve`
// cleanly even while Redis is unreachable (the built CLI's exit 0 after SIGTERM with Redis up is checked where it
// runs anyway: test/slack/cli-serve.test.ts and test/observability/log-and-worker.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnChild } from "../support/child.js";
import { BIN, ROOT } from "../support/cli.js";
import {
  cleanPrefix,
  freePort,
  redisServerOnPath,
  startTestRedis,
  type TestRedis,
  uniquePrefix,
} from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import {
  eventually,
  postCommand,
  SIGNING_SECRET,
  startTestServe,
  type TestServe,
} from "../support/slack-app.js";
import { sendSlashCommand } from "../support/slack-request.js";

const rs = redisAndSlack();
let serve: TestServe;

beforeAll(async () => {
  serve = await startTestServe({ fake: rs.fake, redisUrl: rs.redis.url });
});

afterAll(async () => {
  await serve?.stop();
});

async function reportIn(channel: string): Promise<void> {
  const ts = await postCommand(rs.fake, serve.url, "yahoo", channel);
  await eventually(
    () =>
      JSON.stringify(rs.fake.message(channel, ts)?.blocks).includes("basic-app-config") ? true : undefined,
    15_000,
    `report in ${channel}`,
  );
}

describe("Redis outage", () => {
  // Needs a redis-server of its own to kill and restart (with only REDIS_URL, it is skipped).
  it.runIf(redisServerOnPath())(
    "answers with the error in the ack while Redis is down, and recovers when it returns",
    async () => {
      await reportIn("C0RDS00001");

      await rs.redis.kill();
      const res = await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "yahoo -n default",
        channelId: "C0RDS00002",
        responseUrl: rs.fake.responseUrl("down"),
      });
      expect(res.status).toBe(200);
      // One answer, decided before the ack: the ack itself says nothing was started.
      const ack = res.json() as { response_type: string; text: string };
      expect(ack.response_type).toBe("ephemeral");
      expect(ack.text).toContain("queue (Redis) is unreachable");
      expect(ack.text).toContain("Nothing was started");
      expect(ack.text).not.toMatch(/Diagnosing|will appear/);
      // Nothing was posted to the channel for the failed request.
      expect(rs.fake.calls.filter((c) => c.args.channel === "C0RDS00002")).toEqual([]);

      const ready = await fetch(`${serve.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain("redis unreachable");

      await rs.redis.restart();
      await eventually(
        async () => ((await fetch(`${serve.baseUrl}/readyz`)).status === 200 ? true : undefined),
        15_000,
        "readyz 200",
      );
      await reportIn("C0RDS00003");
      // ...and no second, contradicting answer followed the first.
      expect(rs.fake.responsesTo("down")).toEqual([]);
    },
  );
});

describe("Redis down at start", () => {
  it.runIf(redisServerOnPath())(
    "starts anyway, answers with the error, and works once Redis is up",
    async () => {
      const port = await freePort();
      const early = await startTestServe({ fake: rs.fake, redisUrl: `redis://127.0.0.1:${port}` });
      let late: TestRedis | undefined;
      try {
        const first = await sendSlashCommand({
          url: early.url,
          signingSecret: SIGNING_SECRET,
          text: "yahoo",
          channelId: "C0LATE0001",
          responseUrl: rs.fake.responseUrl("late"),
        });
        expect(String((first.json() as { text: string }).text)).toContain("queue (Redis) is unreachable");
        expect((await fetch(`${early.baseUrl}/readyz`)).status).toBe(503);

        late = await startTestRedis({ port });
        await eventually(
          async () => ((await fetch(`${early.baseUrl}/readyz`)).status === 200 ? true : undefined),
          10_000,
          "readyz 200 after Redis started",
        );
        const res = await sendSlashCommand({
          url: early.url,
          signingSecret: SIGNING_SECRET,
          text: "yahoo",
          channelId: "C0LATE0002",
        });
        expect(res.status).toBe(200);
        const p = await rs.fake.waitFor(
          (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0LATE0002",
          5000,
        );
        await eventually(
          () =>
            JSON.stringify(rs.fake.message("C0LATE0002", String(p.response.ts))?.blocks).includes(
              "basic-app-config",
            )
              ? true
              : undefined,
          10_000,
          "the report after Redis started",
        );
        expect(rs.fake.responsesTo("late")).toEqual([]);
      } finally {
        await early.stop();
        await late?.stop();
      }
    },
    45_000,
  );
});

describe("Redis loses its data", () => {
  // A Redis restarted without persistence (or flushed) forgets its keys: here the front end's own keys are
  // deleted while its job waits, which is what such a restart leaves behind for it.
  it("a job whose data vanished does not leave its message at 'queued…': the user is told", async () => {
    // No worker: the job waits in the queue until its data is gone.
    const front = await startTestServe({
      fake: rs.fake,
      redisUrl: rs.redis.url,
      embeddedWorker: false,
      lostJobCheckMs: 100,
    });
    try {
      const channel = "C0LOST0001";
      const ts = await postCommand(rs.fake, front.url, "yahoo", channel);
      expect(JSON.stringify(rs.fake.message(channel, ts)?.blocks)).toContain("queued");
      await cleanPrefix(rs.redis.url, front.prefix);
      const update = await rs.fake.waitFor(
        (c) =>
          c.method === "chat.update" &&
          c.ok &&
          c.args.ts === ts &&
          JSON.stringify(c.args).includes("lost this request"),
        20_000,
      );
      expect(JSON.stringify(update.args)).toContain("Run the command again");
      expect(JSON.stringify(rs.fake.message(channel, ts)?.blocks)).toContain("lost this request");
    } finally {
      await front.stop();
    }
  });
});

describe("shutdown", () => {
  // The installed CLI (dist/bin.js), not a harness: its exit status is what a supervisor (Kubernetes, systemd)
  // sees after SIGTERM.
  it("helm-doctor serve stops on SIGTERM even while Redis is unreachable", async () => {
    const c = spawnChild(
      [BIN, "serve", "--bundle", "test/fixtures/founding-case.json"],
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SLACK_BOT_TOKEN: rs.fake.token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: rs.fake.apiUrl,
        REDIS_URL: "redis://127.0.0.1:1",
        PORT: "0",
        HELM_DOCTOR_QUEUE_PREFIX: uniquePrefix("sigterm-down"),
      },
      ROOT,
    );
    // The CLI's own line, printed once its signal handlers are in place.
    const [, port] = await c.waitFor(/helm-doctor serve: listening on port (\d+)/);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
    expect(await c.stop(), c.out()).toBe(0);
  });
});
