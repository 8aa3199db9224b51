// The floor of the Slack benchmark: a bare Bolt app with the receiver options `helm-doctor serve` uses (HTTP
// receiver, signature verification, response before processing; the bot token checked once at start, against
// SLACK_API_URL) whose only listener acks every slash command. Prints "ready <port>".
// Usage: SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=… SLACK_API_URL=… tsx test/bench/slack-floor.ts
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";

const receiver = new HTTPReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? "",
  processBeforeResponse: false,
  logLevel: LogLevel.WARN,
});
const app = new App({
  receiver,
  token: process.env.SLACK_BOT_TOKEN,
  deferInitialization: true,
  logLevel: LogLevel.WARN,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});
await app.init();
app.command(/^\/.+/, async ({ ack }) => {
  await ack({ response_type: "ephemeral", text: "ok" });
});
const server = (await app.start(0)) as Server;
console.log(`ready ${(server.address() as AddressInfo).port}`);
process.once("SIGTERM", () => void app.stop().then(() => process.exit(0)));
