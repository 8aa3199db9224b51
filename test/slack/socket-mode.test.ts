// Socket Mode end to end (many teams run without a public endpoint): Bolt's SocketModeReceiver connects to a
// local WebSocket stand-in through apps.connections.open, a slash command arrives as an envelope, the ack goes
// back on the socket, and the report appears through the Web API like in HTTP mode.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAndSlack } from "../support/redis-slack.js";
import { eventually, startTestServe, type TestServe } from "../support/slack-app.js";
import { type SocketModeStandIn, startSocketModeStandIn } from "../support/socket-mode.js";

const APP_TOKEN = "xapp-1-A0APP00001-socket-test";
const rs = redisAndSlack({ extraTokens: [APP_TOKEN] });
let socket: SocketModeStandIn;
let serve: TestServe;

beforeAll(async () => {
  socket = await startSocketModeStandIn(rs.fake);
  serve = await startTestServe({
    fake: rs.fake,
    redisUrl: rs.redis.url,
    env: { SLACK_APP_TOKEN: APP_TOKEN },
  });
  await socket.connected();
});
afterAll(async () => {
  await serve?.stop();
  await socket?.close();
});

describe("Socket Mode", () => {
  it("a slash command over the socket is acked on the socket and ends in the report", async () => {
    expect(rs.fake.callsTo("apps.connections.open").map((c) => c.token)).toEqual([APP_TOKEN]);
    const ack = await socket.slashCommand({ text: "yahoo -n default", channelId: "C0SOCKET01" });
    expect(ack.payload).toMatchObject({ response_type: "ephemeral" });
    expect(String(ack.payload?.text)).toContain("Diagnosing default/yahoo");

    const posted = await rs.fake.waitFor(
      (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0SOCKET01" && !c.args.thread_ts,
      5000,
    );
    const ts = String(posted.response.ts);
    const report = await eventually(
      () => {
        const t = JSON.stringify(rs.fake.message("C0SOCKET01", ts)?.blocks ?? "");
        return t.includes("Roll back to revision 1") ? t : undefined;
      },
      10_000,
      "the report",
    );
    expect(report).toContain("basic-app-config");
  });

  it("help is answered in the ack itself", async () => {
    const ack = await socket.slashCommand({ text: "help", channelId: "C0SOCKET02" });
    expect(JSON.stringify(ack.payload)).toContain("last &lt;release&gt;");
  });
});
