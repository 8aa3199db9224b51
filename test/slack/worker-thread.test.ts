// serve's embedded worker in a worker thread (what `helm-doctor serve` runs): the front end's event loop only
// parses, acks and enqueues, the thread diagnoses and delivers; its log lines reach serve's log, its metrics
// serve's /metrics, and closing serve ends it.
import { describe, expect, it } from "vitest";
import { redisAndSlack } from "../support/redis-slack.js";
import { eventually, FOUNDING_BUNDLE, SIGNING_SECRET, startTestServe } from "../support/slack-app.js";
import { sendSlashCommand } from "../support/slack-request.js";

const rs = redisAndSlack();

const finalText = (channel: string, ts: string) => {
  const m = rs.fake.message(channel, ts);
  const t = JSON.stringify(m?.blocks ?? "");
  return /queued|diagnosing|reading/i.test(t) ? undefined : t;
};

async function command(url: string, channel: string, text: string) {
  const res = await sendSlashCommand({ url, signingSecret: SIGNING_SECRET, text, channelId: channel });
  expect(res.status).toBe(200);
  const p = await rs.fake.waitFor(
    (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === channel,
  );
  return String(p.response.ts);
}

describe("serve with its worker in a worker thread", () => {
  it("diagnoses in the thread: the report arrives, the thread's metrics are in /metrics", async () => {
    const serve = await startTestServe({
      fake: rs.fake,
      redisUrl: rs.redis.url,
      workerThread: { bundle: FOUNDING_BUNDLE },
    });
    try {
      expect(serve.handle.worker).toBeUndefined();
      expect(serve.handle.workerThread?.threadId).toBeGreaterThan(0);
      const ts = await command(serve.url, "C0THREAD01", "yahoo -n default");
      // From the sources (no current build), the thread compiles them through tsx as it starts: slow under load.
      const report = await eventually(
        () => {
          const t = finalText("C0THREAD01", ts);
          return t?.includes("remediate-") ? t : undefined;
        },
        25_000,
        "the report",
      );
      expect(report).toContain("basic-app-config");
      // Counted by the thread (once the job has completed, just after its report was delivered)…
      const metrics = await eventually(async () => {
        const m = await (await fetch(`${serve.baseUrl}/metrics`)).text();
        return /^helm_doctor_diagnoses_total\{outcome="report"\} 1$/m.test(m) ? m : undefined;
      });
      expect(metrics).toMatch(
        /^helm_doctor_slack_api_calls_total\{method="chat.update",error="none"\} [1-9]/m,
      );
      // …beside what the front end counts (Bolt's auth.test at start), and the process's figures once.
      expect(metrics).toMatch(
        /^helm_doctor_slack_api_calls_total\{method="auth.test",error="none"\} [1-9]\d*$/m,
      );
      expect(metrics.match(/^helm_doctor_process_cpu_seconds_total /gm)).toHaveLength(1);
    } finally {
      await serve.stop();
    }
  });

  it("the thread's log lines are serve's: a source that cannot be read is logged and told to the requester", async () => {
    const serve = await startTestServe({
      fake: rs.fake,
      redisUrl: rs.redis.url,
      workerThread: { bundle: "/nonexistent/bundle.json" },
    });
    try {
      const ts = await command(serve.url, "C0THREAD02", "yahoo -n default");
      const shown = await eventually(() => finalText("C0THREAD02", ts), 25_000, "the error");
      expect(shown).toContain("bundle file not found: /nonexistent/bundle.json");
      await eventually(() =>
        serve.logger.entries.find((e) => e.message.includes("bundle file not found")) ? true : undefined,
      );
    } finally {
      await serve.stop();
    }
  });
});
