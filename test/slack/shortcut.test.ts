import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/slack/policy.js";
import { SHORTCUT_CALLBACK_ID, TARGET_VIEW_CALLBACK_ID } from "../../src/slack/shortcut.js";
import type { FakeApiServer } from "../support/fake-apiserver/index.js";
import { type RecordedCall, validateView } from "../support/fake-slack/index.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { OWNERSHIP_OUTPUT, ownershipFromOutput } from "../support/scenarios/causes.js";
import { eventually, SIGNING_SECRET, startServeOnCluster, type TestServe } from "../support/slack-app.js";
import { sendMessageShortcut, sendSlashCommand, sendViewSubmission } from "../support/slack-request.js";

// Diagnoses only by ana, only in shop.
const POLICY = `
version: 1
diagnose:
  users: [U0ANA00001]
  namespaces: [shop]
`;
const ANA = "U0ANA00001";
const BOB = "U0BOB00002";
const CHANNEL = "C0DEPLOY01";
const CI_BOT = "B0CIBOT001";

type Obj = Record<string, unknown>;

const rs = redisAndSlack();
let api: FakeApiServer;
let serve: TestServe;
let conn: Redis;
let queue: Queue;

let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ api, serve, close } = await startServeOnCluster({
    fake: rs.fake,
    redisUrl: rs.redis.url,
    items: ownershipFromOutput({ owner: "kubectl" }).bundle().items,
    policy: parsePolicy(POLICY, "policy.yaml"),
    tuning: { updateIntervalMs: 50 },
  }));
  conn = new Redis(rs.redis.url, { maxRetriesPerRequest: 1 });
  queue = new Queue("diagnose", { connection: conn, prefix: serve.prefix });
});

afterAll(async () => {
  await queue?.close();
  conn?.disconnect();
  await close?.();
});

beforeEach(() => rs.fake.reset());

let tsCounter = 0;
/** A CI bot's message in the channel: a new ts each time, like Slack's. */
function ciMessage(text: string, extra: Obj = {}): Obj & { ts: string } {
  tsCounter++;
  return {
    ts: `1714000000.${String(tsCounter).padStart(6, "0")}`,
    text,
    bot_id: CI_BOT,
    username: "GitHub Actions",
    ...extra,
  };
}

const OWNERSHIP = OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web");

/** What the GitHub Actions Slack step posts when `helm upgrade` fails. */
const CI_POST = [
  "*Deploy to production failed* (shop, run #1842)",
  "```",
  "$ helm upgrade --install web ./charts/web --wait --timeout 5m",
  OWNERSHIP,
  "```",
].join("\n");

function shortcut(message: Obj & { ts: string }, user = ANA, responseId = `r-${message.ts}`) {
  return sendMessageShortcut({
    url: serve.url,
    signingSecret: SIGNING_SECRET,
    callbackId: SHORTCUT_CALLBACK_ID,
    message,
    userId: user,
    channelId: CHANNEL,
    responseUrl: rs.fake.responseUrl(responseId),
  });
}

function firstFindingCode(blocks: unknown): string | undefined {
  for (const b of (blocks as Obj[]) ?? []) {
    const text = ((b.text as Obj | undefined)?.text as string | undefined) ?? "";
    // The thread's account of the first finding starts "*Why* `code`" (or "*1 of 2 · Why* `code`").
    const m = /\*(?:\d+ of \d+ · )?Why\* `([a-z0-9-]+)`\n/.exec(text);
    if (m) return m[1];
  }
  return undefined;
}

async function jobs() {
  return queue.getJobs(["waiting", "active", "completed", "failed", "delayed"]);
}

/** The report in the message's thread: the progress reply, updated into the report, and its detail replies. */
async function threadReport(
  threadTs: string,
): Promise<{ reply: RecordedCall; report: Obj; details: RecordedCall[] }> {
  const reply = await rs.fake.waitFor(
    (c) => c.method === "chat.postMessage" && c.ok && c.args.thread_ts === threadTs,
    5000,
  );
  const ts = String(reply.response.ts);
  const details = await eventually(
    () => {
      const d = rs.fake.calls.filter(
        (c) => c.method === "chat.postMessage" && c.ok && c.args.thread_ts === threadTs && c.seq > reply.seq,
      );
      return d.length > 0 ? d : undefined;
    },
    15_000,
    "the report in the thread",
  );
  const m = rs.fake.message(CHANNEL, ts) as unknown as Obj;
  // The report as a reader sees it: the decision (the updated reply) and the details under it.
  const report = {
    ...m,
    blocks: [...(m.blocks as Obj[]), ...details.flatMap((c) => c.args.blocks as Obj[])],
  };
  return { reply, report, details };
}

describe("message shortcut → report in the message's thread", () => {
  it("a CI bot's failure post naming web in shop: the conflict first, everything in the thread", async () => {
    const msg = ciMessage(CI_POST);
    const res = await shortcut(msg);
    expect(res.status).toBe(200);

    const { reply, report, details } = await threadReport(msg.ts);
    expect(JSON.stringify(reply.args.blocks)).toContain("Diagnosing shop/web");
    expect(firstFindingCode(report.blocks)).toBe("resource-ownership-conflict");
    const body = JSON.stringify(report.blocks);
    expect(body).toContain("ConfigMap web-settings exists without Helm ownership");
    expect(body).toContain("kubectl annotate configmap web-settings -n shop meta.helm.sh/release-name=web");
    // The details go to the same thread, not under the reply; nothing is posted in the channel itself.
    for (const d of details) expect(d.args.thread_ts).toBe(msg.ts);
    expect(rs.fake.callsTo("chat.postMessage").every((c) => c.args.thread_ts === msg.ts)).toBe(true);
    expect(rs.fake.callsTo("views.open")).toHaveLength(0);

    // The job carried the error lines (not the command line before them), and the engine's first finding agrees.
    const job = (await jobs()).find((j) => j.data.helmOutput !== undefined && j.data.channel === CHANNEL)!;
    expect(job.data).toMatchObject({ release: "web", namespace: "shop", requestedBy: ANA });
    expect(job.data.helmOutput.startsWith("Error: UPGRADE FAILED: Unable to continue with update")).toBe(
      true,
    );
    expect(job.data.helmOutput).not.toContain("helm upgrade");
    const result = await eventually(async () => (await queue.getJob(job.id!))?.returnvalue ?? undefined);
    expect(result.codes[0]).toBe("resource-ownership-conflict");
    // The live source read the object the output names.
    expect(
      api.requestsMatching({ verb: "get", resource: "configmaps", name: "web-settings" }).length,
    ).toBeGreaterThan(0);
  });

  it("is not joined with a plain diagnosis of the same release; the same output joins its own job", async () => {
    const before = new Set((await jobs()).map((j) => j.id));
    const cmd = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      text: "web -n shop",
      userId: ANA,
      channelId: CHANNEL,
    });
    expect(cmd.status).toBe(200);
    // Another run's post (its output differs from the first test's by the runner's last line).
    const post = `${CI_POST}\nError: Process completed with exit code 1.`;
    const msg = ciMessage(post);
    await shortcut(msg);
    const { report } = await threadReport(msg.ts);
    expect(firstFindingCode(report.blocks)).toBe("resource-ownership-conflict");
    const fresh = (await jobs()).filter((j) => !before.has(j.id));
    // One job each: the shortcut's output is other evidence, so it did not join the plain one.
    expect(fresh.filter((j) => j.data.helmOutput === undefined)).toHaveLength(1);
    expect(fresh.filter((j) => j.data.helmOutput !== undefined)).toHaveLength(1);

    // The same post again (a colleague uses the shortcut on it too): it joins that job, and its thread gets the report.
    const again = ciMessage(post);
    await shortcut(again);
    const joined = await threadReport(again.ts);
    expect(firstFindingCode(joined.report.blocks)).toBe("resource-ownership-conflict");
    expect((await jobs()).filter((j) => !before.has(j.id))).toHaveLength(2);
  });

  it("a message without a release name: a form, prefilled; its submission puts the report in the thread", async () => {
    const text = [
      "Nightly deploy failed:",
      '```Error: UPGRADE FAILED: Unable to continue with update: ConfigMap "web-settings" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"```',
    ].join("\n");
    // Posted as blocks, as most bots do now: the text is only the notification fallback.
    const msg = ciMessage("Nightly deploy failed", {
      blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
    });
    const res = await shortcut(msg);
    expect(res.status).toBe(200);
    const open = await rs.fake.waitFor("views.open", 5000);
    const view = open.args.view as Obj;
    expect(validateView(view)).toEqual([]);
    expect(view.callback_id).toBe(TARGET_VIEW_CALLBACK_ID);
    const inputs = (view.blocks as Obj[]).filter((b) => b.type === "input");
    expect(inputs.map((b) => [b.block_id, (b.element as Obj).initial_value])).toEqual([
      ["release", undefined],
      ["namespace", "shop"],
    ]);
    expect(JSON.stringify(view)).not.toContain("UPGRADE FAILED");
    const before = (await jobs()).length;
    const inThread = () =>
      rs.fake.calls.filter((c) => c.method === "chat.postMessage" && c.args.thread_ts === msg.ts);
    expect(inThread()).toHaveLength(0);

    const submit = (release: string, namespace: string, user = ANA) =>
      sendViewSubmission({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        callbackId: TARGET_VIEW_CALLBACK_ID,
        privateMetadata: String(view.private_metadata),
        userId: user,
        values: {
          release: { value: { type: "plain_text_input", value: release } },
          namespace: { value: { type: "plain_text_input", value: namespace } },
        },
      });

    // Bad input stays in the form with a reason per field.
    const bad = await submit("Web_App", "shop");
    expect(bad.status).toBe(200);
    expect(bad.json()).toMatchObject({
      response_action: "errors",
      errors: { release: expect.stringMatching(/lowercase/) },
    });
    // A namespace the policy does not allow: refused in the form, nothing queued.
    const refused = await submit("web", "payments");
    expect(refused.json()).toMatchObject({
      response_action: "errors",
      errors: { namespace: expect.stringMatching(/^Refused: namespace `payments` may not be diagnosed/) },
    });
    expect(inThread()).toHaveLength(0);
    expect((await jobs()).length).toBe(before);

    const ok = await submit("web", "shop");
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("");
    const { report, details } = await threadReport(msg.ts);
    expect(firstFindingCode(report.blocks)).toBe("resource-ownership-conflict");
    for (const d of details) expect(d.args.thread_ts).toBe(msg.ts);
  });

  it("a form that is not from this user's shortcut, or has expired, says so and queues nothing", async () => {
    const before = (await jobs()).length;
    const res = await sendViewSubmission({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      callbackId: TARGET_VIEW_CALLBACK_ID,
      privateMetadata: "doesnotexist0000",
      userId: ANA,
      values: {
        release: { value: { type: "plain_text_input", value: "web" } },
        namespace: { value: { type: "plain_text_input", value: "shop" } },
      },
    });
    expect(res.json()).toMatchObject({
      response_action: "errors",
      errors: { release: expect.stringMatching(/expired/) },
    });
    expect((await jobs()).length).toBe(before);
  });

  it("a message with no helm error: an ephemeral notice, nothing queued", async () => {
    const before = (await jobs()).length;
    const msg = ciMessage(
      'Deploy to production succeeded\n```Release "web" has been upgraded. Happy Helming!```\nError: Process completed with exit code 0.',
    );
    const res = await shortcut(msg, ANA, "no-error");
    expect(res.status).toBe(200);
    const answer = await rs.fake.waitForResponse("no-error", 5000);
    expect(answer.body).toMatchObject({ response_type: "ephemeral" });
    expect(JSON.stringify(answer.body)).toContain("This message holds no helm error output");
    expect((await jobs()).length).toBe(before);
    expect(rs.fake.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === msg.ts)).toHaveLength(0);
    expect(rs.fake.callsTo("views.open")).toHaveLength(0);
  });

  it("a user the policy does not allow: refused privately, nothing queued, the output not echoed", async () => {
    const before = (await jobs()).length;
    const msg = ciMessage(CI_POST);
    const res = await shortcut(msg, BOB, "refused");
    expect(res.status).toBe(200);
    const answer = await rs.fake.waitForResponse("refused", 5000);
    const said = JSON.stringify(answer.body);
    expect(said).toContain("Refused: you may not run diagnoses");
    expect(said).not.toContain("UPGRADE FAILED");
    expect((await jobs()).length).toBe(before);
    expect(rs.fake.callsTo("chat.postMessage").filter((c) => c.args.thread_ts === msg.ts)).toHaveLength(0);
  });

  it("a failed first install that stored nothing is still diagnosed (no 'release not found')", async () => {
    const install = OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "api")
      .replace("UPGRADE FAILED", "INSTALLATION FAILED")
      .replace(
        "Unable to continue with update",
        "rendered manifests contain a resource that already exists. Unable to continue with install",
      );
    const msg = ciMessage(`Release "api" does not exist. Installing it now.\n${install}`);
    await shortcut(msg);
    const { report } = await threadReport(msg.ts);
    expect(firstFindingCode(report.blocks)).toBe("resource-ownership-conflict");
    expect(JSON.stringify(report.blocks)).not.toContain("no Helm release");
  });

  it("on a reply in a thread, the report joins that thread", async () => {
    const parent = ciMessage("Deploy #1843");
    const msg = ciMessage(CI_POST, { thread_ts: parent.ts });
    await shortcut(msg);
    const { details } = await threadReport(parent.ts);
    for (const d of details) expect(d.args.thread_ts).toBe(parent.ts);
  });
});
