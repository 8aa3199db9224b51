import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  App,
  type BlockAction,
  type ButtonAction,
  type CodedError,
  ExpressReceiver,
  HTTPReceiver,
  LogLevel,
} from "@slack/bolt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BoltTestApp,
  FAST_RETRY,
  type FakeSlack,
  MemoryLogger,
  startBoltApp,
  startFakeSlack,
} from "../support/fake-slack/index.js";
import {
  sendBlockAction,
  sendSigned,
  sendSlashCommand,
  sendViewSubmission,
  slashCommandFields,
} from "../support/slack-request.js";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const section = (text: string) => ({ type: "section" as const, text: { type: "mrkdwn" as const, text } });

let fake: FakeSlack;
let bolt: BoltTestApp;
const errors: CodedError[] = [];
const pressed: Array<{ action_id: string; value: string | undefined; user: string; ts: string | undefined }> =
  [];
const submitted: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  fake = await startFakeSlack();
  bolt = await startBoltApp(fake, {
    signingSecret: SECRET,
    customRoutes: [
      { path: "/healthz", method: ["GET"], handler: (_req, res) => res.writeHead(200).end("ok") },
      { path: "/readyz", method: ["GET"], handler: (_req, res) => res.writeHead(503).end("not ready") },
    ],
    setup: (app) => {
      app.command("/helm-doctor", async ({ command, ack, client, respond }) => {
        await ack({ response_type: "ephemeral", text: `diagnosing ${command.text}…` });
        if (command.text === "respond") {
          await respond({ response_type: "ephemeral", text: "answered through response_url" });
          return;
        }
        const blocks =
          command.text === "too-big"
            ? Array.from({ length: 51 }, (_, i) => section(`evidence ${i}`))
            : [section(`*${command.text}*: resource-moved-into-hook`)];
        await client.chat.postMessage({
          channel: command.channel_id,
          text: `report for ${command.text}`,
          blocks,
        });
      });
      app.command("/silent", async () => {
        // never acks: Bolt answers 404 once unhandledRequestTimeoutMillis (3001 ms) passes
      });
      app.action<BlockAction<ButtonAction>>("rollback", async ({ ack, action, body, respond }) => {
        await ack();
        pressed.push({
          action_id: action.action_id,
          value: action.value,
          user: body.user.id,
          ts: body.message?.ts,
        });
        await respond({ replace_original: false, text: "plan opened" });
      });
      app.view("plan", async ({ ack, view }) => {
        submitted.push(view.state.values);
        const reason = view.state.values.reason?.text?.value;
        if (!reason) {
          await ack({ response_action: "errors", errors: { reason: "Say why" } });
          return;
        }
        await ack();
      });
      app.error(async (e) => {
        errors.push(e);
      });
    },
  });
  // startBoltApp awaits app.init() (deferInitialization), which made the one auth.test call
  expect(fake.callsTo("auth.test")).toHaveLength(1);
});

afterEach(() => {
  fake.reset();
  errors.length = 0;
});

afterAll(async () => {
  await bolt?.stop();
  await fake?.close();
});

describe("Bolt App against the fake Slack", () => {
  it("acks a signed slash command with 200 and the handler's chat.postMessage reaches the fake", async () => {
    const res = await sendSlashCommand({ url: bolt.url, signingSecret: SECRET, text: "shop/yahoo" });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json()).toEqual({ response_type: "ephemeral", text: "diagnosing shop/yahoo…" });
    expect(res.elapsedMs).toBeLessThan(3000);

    const call = await fake.waitFor("chat.postMessage");
    expect(call.token).toBe(fake.token);
    // the listener's `client` is a per-team WebClient: it adds team_id to every call
    expect(call.args).toEqual({
      team_id: "T0FAKE0001",
      channel: "C0HELMOPS1",
      text: "report for shop/yahoo",
      blocks: [section("*shop/yahoo*: resource-moved-into-hook")],
    });
  });

  it("answers 401 to unsigned, badly signed and stale (> 5 min) requests; a future timestamp is accepted", async () => {
    const unsigned = await sendSlashCommand({
      url: bolt.url,
      signingSecret: SECRET,
      unsigned: true,
      text: "x",
    });
    const bad = await sendSlashCommand({
      url: bolt.url,
      signingSecret: SECRET,
      badSignature: true,
      text: "x",
    });
    const stale = await sendSlashCommand({ url: bolt.url, signingSecret: SECRET, stale: 301, text: "x" });
    for (const r of [unsigned, bad, stale]) {
      expect(r.status).toBe(401);
      expect(r.body).toBe("");
    }
    const warnings = bolt.logger.messages(LogLevel.WARN).join("\n");
    expect(warnings).toContain("header x-slack-signature did not have the expected type");
    expect(warnings).toContain("signature mismatch");
    expect(warnings).toContain("request is stale");
    // Bolt only checks the past: a timestamp 10 minutes ahead passes
    const future = await sendSlashCommand({
      url: bolt.url,
      signingSecret: SECRET,
      timestamp: Math.floor(Date.now() / 1000) + 600,
      text: "future",
    });
    expect(future.status).toBe(200);
    await fake.waitFor("chat.postMessage");
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
  });

  it("needs the exact form content type: with '; charset=utf-8' the body is parsed as JSON → 400", async () => {
    const body = new URLSearchParams(slashCommandFields({ text: "x" })).toString();
    const type = "application/x-www-form-urlencoded; charset=utf-8";
    const res = await sendSigned({ url: bolt.url, signingSecret: SECRET }, body, type);
    expect(res.status).toBe(400); // the signature checked out; parsing did not
    expect(bolt.logger.messages(LogLevel.WARN).join("\n")).toContain("Malformed request body");
  });

  it("delivers a block_actions press to the action listener; respond() posts to the response_url", async () => {
    const ts = fake.seedMessage("C0HELMOPS1", { text: "report" });
    const res = await sendBlockAction({
      url: bolt.url,
      signingSecret: SECRET,
      messageTs: ts,
      responseUrl: fake.responseUrl("press-1"),
      actions: [{ action_id: "rollback", block_id: "remediations", value: "diag:01HXYZ" }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    const posted = await fake.waitForResponse("press-1");
    expect(posted.body).toEqual({ replace_original: false, text: "plan opened" });
    expect(pressed).toEqual([{ action_id: "rollback", value: "diag:01HXYZ", user: "U0ANA00001", ts }]);
  });

  it("respond() from a command posts JSON to the response_url", async () => {
    const res = await sendSlashCommand({
      url: bolt.url,
      signingSecret: SECRET,
      text: "respond",
      responseUrl: fake.responseUrl("cmd-1"),
    });
    expect(res.status).toBe(200);
    const r = await fake.waitForResponse("cmd-1");
    expect(r.body).toEqual({ response_type: "ephemeral", text: "answered through response_url" });
  });

  it("returns the view_submission ack body (response_action errors) as the HTTP response", async () => {
    const empty = await sendViewSubmission({
      url: bolt.url,
      signingSecret: SECRET,
      callbackId: "plan",
      values: { reason: { text: { type: "plain_text_input", value: null } } },
    });
    expect(empty.status).toBe(200);
    expect(empty.json()).toEqual({ response_action: "errors", errors: { reason: "Say why" } });
    const ok = await sendViewSubmission({
      url: bolt.url,
      signingSecret: SECRET,
      callbackId: "plan",
      values: { reason: { text: { type: "plain_text_input", value: "hook deleted the ConfigMap" } } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("");
    expect(submitted).toHaveLength(2);
  });

  it("retries chat.postMessage after a 429 once Retry-After (1 s) has passed", async () => {
    fake.rateLimit("chat.postMessage", 1, 1);
    const res = await sendSlashCommand({ url: bolt.url, signingSecret: SECRET, text: "shop/yahoo" });
    expect(res.status).toBe(200);
    await fake.waitFor("chat.postMessage", 4000);
    const [first, second] = fake.callsTo("chat.postMessage");
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(950);
    expect(bolt.logger.messages(LogLevel.INFO)).toContain(
      "API Call failed due to rate limiting. Will retry in 1 seconds.",
    );
    expect(errors).toEqual([]);
  });

  it("a message with 51 blocks is rejected by the fake (invalid_blocks reaches app.error)", async () => {
    const res = await sendSlashCommand({ url: bolt.url, signingSecret: SECRET, text: "too-big" });
    expect(res.status).toBe(200); // acked before posting
    const call = await fake.waitFor((c) => c.method === "chat.postMessage");
    expect(call.response).toMatchObject({ ok: false, error: "invalid_blocks" });
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]?.code).toBe("slack_webapi_platform_error");
    expect((errors[0] as CodedError & { data: { error: string } }).data.error).toBe("invalid_blocks");
  });

  it("serves custom routes on the same port and 404s unknown paths", async () => {
    const health = await fetch(`${bolt.baseUrl}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok"]);
    expect((await fetch(`${bolt.baseUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${bolt.baseUrl}/nope`)).status).toBe(404);
    expect((await fetch(bolt.url)).status).toBe(404); // GET on the events endpoint
  });
});

describe("receiver options", () => {
  it("an un-acked request gets 404 after unhandledRequestTimeoutMillis (custom HTTPReceiver)", async () => {
    const receiver = new HTTPReceiver({
      signingSecret: SECRET,
      endpoints: "/slack/events",
      unhandledRequestTimeoutMillis: 300,
      logger: new MemoryLogger(),
    });
    const app = new App({
      token: fake.token,
      receiver,
      logger: new MemoryLogger(),
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRY },
    });
    app.command("/silent", async () => {});
    const server = (await app.start(0)) as Server;
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
      const res = await sendSlashCommand({ url, signingSecret: SECRET, command: "/silent" });
      expect(res.status).toBe(404);
      expect(res.elapsedMs).toBeGreaterThanOrEqual(290);
      const unknown = await sendSlashCommand({ url, signingSecret: SECRET, command: "/nobody-listens" });
      expect(unknown.status).toBe(404);
    } finally {
      await app.stop();
    }
  });

  it("processBeforeResponse holds the HTTP response until the listener finishes", async () => {
    const setup = (app: App) =>
      app.command("/helm-doctor", async ({ ack, client, command }) => {
        await ack();
        await client.chat.postMessage({ channel: command.channel_id, text: "slow" });
      });
    const held = await startBoltApp(fake, { signingSecret: SECRET, processBeforeResponse: true, setup });
    try {
      fake.delay("chat.postMessage", 400, 2);
      const before = await sendSlashCommand({ url: held.url, signingSecret: SECRET });
      const normal = await sendSlashCommand({ url: bolt.url, signingSecret: SECRET, text: "x" });
      expect(before.status).toBe(200);
      expect(before.elapsedMs).toBeGreaterThanOrEqual(390);
      expect(normal.elapsedMs).toBeLessThan(390);
    } finally {
      await held.stop();
    }
  });

  it("ExpressReceiver: /slack/events plus extra routes on its router", async () => {
    const receiver = new ExpressReceiver({
      signingSecret: SECRET,
      endpoints: "/slack/events",
      logger: new MemoryLogger(),
    });
    receiver.router.get("/healthz", (_req, res) => {
      res.status(200).send("ok");
    });
    const app = new App({
      token: fake.token,
      receiver,
      logger: new MemoryLogger(),
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRY },
    });
    app.command("/helm-doctor", async ({ ack }) => {
      await ack("express ok");
    });
    const server = (await app.start(0)) as Server;
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok");
      const res = await sendSlashCommand({ url: `${base}/slack/events`, signingSecret: SECRET });
      expect([res.status, res.body]).toEqual([200, "express ok"]);
      const stale = await sendSlashCommand({
        url: `${base}/slack/events`,
        signingSecret: SECRET,
        stale: true,
      });
      expect(stale.status).toBe(401);
    } finally {
      server.closeAllConnections();
      await app.stop();
    }
  });
});
