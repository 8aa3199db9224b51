// What reaches the listeners: signed requests whose timestamp is within 5 minutes of now in either direction,
// each signature once (a replay within the window is answered without acting on it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAndSlack } from "../support/redis-slack.js";
import { SIGNING_SECRET, startTestServe, type TestServe } from "../support/slack-app.js";
import { sendSigned, sendSlashCommand } from "../support/slack-request.js";

const rs = redisAndSlack();
let serve: TestServe;

beforeAll(async () => {
  serve = await startTestServe({ fake: rs.fake, redisUrl: rs.redis.url });
});
afterAll(async () => {
  await serve?.stop();
});

const posts = (channel: string) =>
  rs.fake.calls.filter(
    (c) => c.method === "chat.postMessage" && c.args.channel === channel && !c.args.thread_ts,
  );

describe("request guard", () => {
  it("rejects a signed request timestamped more than 5 minutes in the future with 401, and acts on nothing", async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      timestamp: now + 600,
      text: "yahoo",
      channelId: "C0GUARD001",
    });
    expect(res.status).toBe(401);
    expect(res.body).toBe("");
    // A request a little ahead (clock skew) is fine.
    const ok = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      timestamp: now + 60,
      text: "yahoo",
      channelId: "C0GUARD002",
    });
    expect(ok.status).toBe(200);
    await rs.fake.waitFor(
      (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0GUARD002",
      5000,
    );
    expect(posts("C0GUARD001")).toEqual([]);
  });

  it("answers an identical signed request replayed within the window without acting on it", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      timestamp,
      text: "yahoo -n default",
      channelId: "C0GUARD003",
    });
    expect(first.status).toBe(200);
    expect(String((first.json() as { text: string }).text)).toContain("default/yahoo");
    // Byte for byte the same request: same timestamp and body, so the same signature.
    const replay = await sendSigned(
      { url: serve.url, signingSecret: SIGNING_SECRET, timestamp },
      first.sentBody,
    );
    // Answered (200), but not by the listener, whose ack says what it is diagnosing.
    expect(replay.status).toBe(200);
    expect(replay.body).toBe("");
    expect(serve.logger.messages().join("\n")).toMatch(/replayed request/);
    await rs.fake.waitFor(
      (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0GUARD003",
      5000,
    );
    expect(posts("C0GUARD003")).toHaveLength(1);
  });
});
