import { webApi } from "@slack/bolt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FAST_RETRY, type FakeSlack, MemoryLogger, startFakeSlack } from "../support/fake-slack/index.js";
import { makeTriggerId } from "../support/slack-request.js";

const { WebClient, ErrorCode } = webApi;
type WebClientT = InstanceType<typeof WebClient>;

let fake: FakeSlack;
let client: WebClientT;

const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
const button = (text: string, value = "v", action_id = "a") => ({
  type: "button",
  text: { type: "plain_text", text },
  value,
  action_id,
});

async function slackError(p: Promise<unknown>): Promise<{ code: string; data: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; data: Record<string, unknown> };
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  fake = await startFakeSlack({ token: "xoxb-test" });
  client = new WebClient("xoxb-test", {
    slackApiUrl: fake.apiUrl,
    retryConfig: FAST_RETRY,
    logger: new MemoryLogger(),
  });
});

afterEach(() => fake.reset());

afterAll(async () => {
  await fake.close();
});

describe("fake Slack Web API", () => {
  it("records chat.postMessage sent the WebClient way (form body, blocks JSON-encoded in a field)", async () => {
    const blocks = [section("*yahoo* in `shop`: ConfigMap deleted by a hook")];
    const r1 = await client.chat.postMessage({ channel: "C0HELMOPS1", text: "diagnosing", blocks });
    const r2 = await client.chat.postMessage({ channel: "C0HELMOPS1", text: "second", thread_ts: r1.ts });
    expect(r1).toMatchObject({ ok: true, channel: "C0HELMOPS1", ts: "1700000000.000100" });
    expect(r1.message).toMatchObject({ text: "diagnosing", bot_id: fake.botId, ts: "1700000000.000100" });
    expect(r2.ts).toBe("1700000000.000200");

    const [call] = fake.callsTo("chat.postMessage");
    expect(call?.contentType).toBe("application/x-www-form-urlencoded");
    expect(call?.token).toBe("xoxb-test");
    expect(call?.args).toEqual({ channel: "C0HELMOPS1", text: "diagnosing", blocks });
    expect(fake.callsTo("chat.postMessage")[1]?.args.thread_ts).toBe("1700000000.000100");
    expect(fake.message("C0HELMOPS1", "1700000000.000100")?.blocks).toEqual(blocks);
  });

  it("accepts JSON bodies with a bearer token, but ignores a token inside a JSON body (not_authed)", async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${fake.apiUrl}chat.postMessage`, { method: "POST", headers, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );
    const json = { "content-type": "application/json; charset=utf-8" };
    const ok = await post({ ...json, authorization: "Bearer xoxb-test" }, { channel: "C1", text: "hi" });
    expect(ok).toMatchObject({ ok: true, channel: "C1" });
    expect(await post(json, { token: "xoxb-test", channel: "C1", text: "hi" })).toEqual({
      ok: false,
      error: "not_authed",
    });
    // a form body may carry the token as a field
    const form = await fetch(`${fake.apiUrl}auth.test`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "token=xoxb-test",
    }).then((r) => r.json());
    expect(form).toMatchObject({ ok: true, user_id: fake.botUserId, bot_id: fake.botId });
  });

  it("answers invalid_auth for a wrong token", async () => {
    const other = new WebClient("xoxb-wrong", { slackApiUrl: fake.apiUrl, logger: new MemoryLogger() });
    const e = await slackError(other.auth.test());
    expect(e.code).toBe(ErrorCode.PlatformError);
    expect(e.data.error).toBe("invalid_auth");
    expect(fake.calls[0]).toMatchObject({ method: "auth.test", status: 200, ok: false, token: "xoxb-wrong" });
  });

  it("enforces Block Kit limits like Slack (invalid_blocks with json-pointer messages)", async () => {
    const post = (blocks: unknown[], text = "fallback") =>
      slackError(client.chat.postMessage({ channel: "C1", text, blocks: blocks as never }));

    await client.chat.postMessage({
      channel: "C1",
      text: "x",
      blocks: Array.from({ length: 50 }, () => section("b")),
    });
    const tooMany = await post(Array.from({ length: 51 }, () => section("b")));
    expect(tooMany.data.error).toBe("invalid_blocks");
    expect(tooMany.data.errors).toContain("no more than 50 items allowed [json-pointer:/blocks]");

    await client.chat.postMessage({ channel: "C1", text: "x", blocks: [section("s".repeat(3000))] });
    expect((await post([section("s".repeat(3001))])).data.errors).toEqual([
      "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ]);
    const actions = (el: unknown) => [{ type: "actions", elements: [el] }];
    expect((await post(actions(button("b".repeat(76))))).data.errors).toEqual([
      "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ]);
    expect((await post(actions(button("ok", "v".repeat(2001))))).data.errors).toEqual([
      "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ]);
    const header = { type: "header", text: { type: "plain_text", text: "h".repeat(151) } };
    expect((await post([header])).data.errors).toEqual([
      "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ]);
    expect((await post([{ type: "actions", elements: [button("a"), button("b")] }])).data.errors).toEqual([
      "duplicate action_id [json-pointer:/blocks/0/elements/1/action_id]",
    ]);
    expect((await post([section("")])).data.error).toBe("invalid_blocks");

    const long = await slackError(client.chat.postMessage({ channel: "C1", text: "t".repeat(40001) }));
    expect(long.data.error).toBe("msg_too_long");
    expect((await slackError(client.chat.postMessage({ channel: "C1", text: "" }))).data.error).toBe(
      "no_text",
    );
    // a pre-serialised blocks string is fine (the field is JSON either way); serialised twice it is not
    const once = JSON.stringify([section("a")]);
    await client.chat.postMessage({ channel: "C1", text: "x", blocks: once as never });
    const twice = await slackError(
      client.chat.postMessage({ channel: "C1", text: "x", blocks: JSON.stringify(once) as never }),
    );
    expect(twice.data.error).toBe("invalid_blocks_format");
    // chat.update and chat.postEphemeral are checked the same way
    const { ts } = await client.chat.postMessage({ channel: "C1", text: "x" });
    const upd = await slackError(
      client.chat.update({ channel: "C1", ts: ts!, blocks: Array.from({ length: 51 }, () => section("b")) }),
    );
    expect(upd.data.error).toBe("invalid_blocks");
  });

  it("chat.update needs the channel id and ts of an existing message; posting to a user goes to a DM", async () => {
    const posted = await client.chat.postMessage({ channel: "C1", text: "diagnosing shop/yahoo…" });
    const updated = await client.chat.update({ channel: "C1", ts: posted.ts!, text: "reading 2 revisions…" });
    expect(updated).toMatchObject({ ok: true, channel: "C1", ts: posted.ts, text: "reading 2 revisions…" });
    const stored = fake.message("C1", posted.ts!);
    expect(stored?.updates).toBe(1);
    expect(stored?.history.map((h) => h.text)).toEqual(["diagnosing shop/yahoo…", "reading 2 revisions…"]);

    expect((await slackError(client.chat.update({ channel: "C1", ts: "1.2", text: "x" }))).data.error).toBe(
      "message_not_found",
    );
    const dm = await client.chat.postMessage({ channel: "U0ANA00001", text: "hi" });
    expect(dm.channel).toBe("D0ANA00001");
    expect(
      (await slackError(client.chat.update({ channel: "U0ANA00001", ts: dm.ts!, text: "x" }))).data.error,
    ).toBe("channel_not_found");
    const eph = await client.chat.postEphemeral({ channel: "C1", user: "U0ANA00001", text: "queued" });
    expect(eph.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(fake.ephemerals[0]).toMatchObject({ channel: "C1", user: "U0ANA00001", text: "queued" });
  });

  it("rate limits: 429 with Retry-After and ratelimited, for the given number of calls", async () => {
    const strict = new WebClient("xoxb-test", {
      slackApiUrl: fake.apiUrl,
      rejectRateLimitedCalls: true,
      logger: new MemoryLogger(),
    });
    fake.rateLimit("chat.postMessage", 1, 7);
    const e = await slackError(strict.chat.postMessage({ channel: "C1", text: "x" }));
    expect(e.code).toBe(ErrorCode.RateLimitedError);
    expect((e as unknown as { retryAfter: number }).retryAfter).toBe(7);
    expect(fake.callsTo("chat.postMessage")[0]).toMatchObject({
      status: 429,
      response: { ok: false, error: "ratelimited" },
    });
    expect((await strict.chat.postMessage({ channel: "C1", text: "after" })).ok).toBe(true);
  });

  it("injects failures per method: ok:false once, or HTTP 5xx (which WebClient retries)", async () => {
    fake.fail("conversations.info", "channel_not_found");
    expect((await slackError(client.conversations.info({ channel: "C1" }))).data.error).toBe(
      "channel_not_found",
    );
    expect((await client.conversations.info({ channel: "C1" })).channel?.id).toBe("C1");

    fake.fail("chat.postMessage", "internal_error", { status: 503 });
    const res = await client.chat.postMessage({ channel: "C1", text: "after 503" });
    expect(res.ok).toBe(true);
    expect(fake.callsTo("chat.postMessage").map((c) => c.status)).toEqual([503, 200]);

    fake.fail("users.info", "user_not_found", { times: Number.POSITIVE_INFINITY });
    await slackError(client.users.info({ user: "U1" }));
    await slackError(client.users.info({ user: "U1" }));
    fake.clearInjections();
    expect((await client.users.info({ user: "U1" })).user?.id).toBe("U1");
  });

  it("serves users.info, conversations.info, usergroups.users.list and auth.test from seeded state", async () => {
    fake.addUser({ id: "U0ANA00001", name: "ana", real_name: "Ana Lima", email: "ana@example.com" });
    fake.addChannel({ id: "C0HELMOPS1", name: "helm-ops", is_private: true });
    fake.setUsergroup("S0SRE00001", ["U0ANA00001", "U0BEN00001"]);
    expect((await client.users.info({ user: "U0ANA00001" })).user).toMatchObject({
      name: "ana",
      profile: { email: "ana@example.com", real_name: "Ana Lima" },
    });
    expect((await client.conversations.info({ channel: "C0HELMOPS1" })).channel).toMatchObject({
      name: "helm-ops",
      is_private: true,
      is_channel: false,
    });
    expect((await client.usergroups.users.list({ usergroup: "S0SRE00001" })).users).toEqual([
      "U0ANA00001",
      "U0BEN00001",
    ]);
    expect((await slackError(client.usergroups.users.list({ usergroup: "S0NONE" }))).data.error).toBe(
      "no_such_subteam",
    );
    const posted = await client.chat.postMessage({ channel: "#helm-ops", text: "by name" });
    expect(posted.channel).toBe("C0HELMOPS1");
    expect((await slackError(client.chat.postMessage({ channel: "#nope", text: "x" }))).data.error).toBe(
      "channel_not_found",
    );
  });

  it("supports files.uploadV2 (getUploadURLExternal → upload URL → completeUploadExternal)", async () => {
    const res = await client.filesUploadV2({
      channel_id: "C1",
      thread_ts: "1700000000.000100",
      filename: "evidence.txt",
      title: "Evidence",
      content: 'configmap "basic-app-config" not found',
      initial_comment: "full evidence",
    });
    expect(res.ok).toBe(true);
    expect(fake.calls.map((c) => c.method)).toEqual([
      "files.getUploadURLExternal",
      "files.upload-url",
      "files.completeUploadExternal",
    ]);
    const [file] = [...fake.files.values()];
    expect(file?.content?.toString()).toBe('configmap "basic-app-config" not found');
    expect(file).toMatchObject({
      filename: "evidence.txt",
      title: "Evidence",
      channel_id: "C1",
      completed: true,
    });
    expect(fake.callsTo("files.completeUploadExternal")[0]?.args).toMatchObject({
      channel_id: "C1",
      thread_ts: "1700000000.000100",
      files: [{ id: file?.id, title: "Evidence" }],
    });
  });

  it("views.open validates the modal and the trigger_id (expired after 3 s)", async () => {
    const view = {
      type: "modal" as const,
      callback_id: "plan",
      title: { type: "plain_text" as const, text: "Rollback to 1" },
      submit: { type: "plain_text" as const, text: "Confirm" },
      blocks: [section("Plan: rollback shop/yahoo to revision 1")],
    };
    const opened = await client.views.open({ trigger_id: makeTriggerId(), view });
    expect(opened.view).toMatchObject({
      type: "modal",
      callback_id: "plan",
      id: expect.stringMatching(/^V/),
    });
    const expired = await slackError(
      client.views.open({ trigger_id: makeTriggerId(Date.now() - 3500), view }),
    );
    expect(expired.data.error).toBe("expired_trigger_id");
    const longTitle = { ...view, title: { type: "plain_text" as const, text: "t".repeat(25) } };
    const bad = await slackError(client.views.open({ trigger_id: makeTriggerId(), view: longTitle }));
    expect(bad.data).toMatchObject({
      error: "invalid_arguments",
      response_metadata: {
        messages: ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"],
      },
    });
  });

  it("waitFor resolves on a later call and times out with a list of what was called", async () => {
    const pending = fake.waitFor((c) => c.method === "chat.postMessage" && c.args.text === "later", 1000);
    setTimeout(() => void client.chat.postMessage({ channel: "C1", text: "later" }), 50);
    expect((await pending).ok).toBe(true);
    await expect(fake.waitFor("chat.update", 100)).rejects.toThrow(
      /no successful chat.update call within 100 ms.*chat.postMessage/,
    );
  });

  it("records response_url posts and refuses a sixth use", async () => {
    const url = fake.responseUrl("cmd-1");
    const post = (body: unknown) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (let i = 0; i < 5; i++) expect((await post({ text: `update ${i}` })).status).toBe(200);
    const sixth = await post({ text: "one too many" });
    expect(sixth.status).toBe(404);
    expect(await sixth.text()).toBe("used_url");
    expect(fake.responsesTo("cmd-1").map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 404]);
    expect((await post({ blocks: Array.from({ length: 51 }, () => section("x")) })).status).toBe(404);
    const other = fake.responseUrl("cmd-2");
    const bad = await fetch(other, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blocks: Array.from({ length: 51 }, () => section("x")) }),
    });
    expect(bad.status).toBe(400);
  });
});
