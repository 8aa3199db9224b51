import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeRecord, type RecordObject, recordName } from "../../src/helm/codec.js";
import { parsePolicy } from "../../src/slack/policy.js";
import type { FakeApiServer } from "../support/fake-apiserver/index.js";
import { type RecordedCall, validateBlocks } from "../support/fake-slack/index.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { eventually, SIGNING_SECRET, startServeOnCluster, type TestServe } from "../support/slack-app.js";
import { sendBlockAction, sendSlashCommand } from "../support/slack-request.js";

const POLICY = `
version: 1
remediate:
  - users: [U0ANA00001]
    actions: [rollback, rerun-upgrade]
    namespaces: [default]
  - users: [U0DAVE0004]
    actions: [restore-hook-resources]
    namespaces: [default]
`;
const ANA = "U0ANA00001";
const BOB = "U0BOB00002";
const DAVE = "U0DAVE0004";
const CHANNEL = "C0FIX00001";

type Obj = Record<string, unknown>;

const rs = redisAndSlack();
let api: FakeApiServer;
let serve: TestServe;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ api, serve, close } = await startServeOnCluster({
    fake: rs.fake,
    redisUrl: rs.redis.url,
    items: foundingCase().bundle().items,
    policy: parsePolicy(POLICY, "policy.yaml"),
    tuning: { updateIntervalMs: 50 },
  }));
});

afterAll(async () => {
  await close?.();
});

function record(rev: number) {
  const o = api.get({ kind: "Secret", namespace: "default", name: recordName("yahoo", rev) });
  return o ? decodeRecord(o as unknown as RecordObject) : undefined;
}

function buttonsOf(blocks: unknown): { action_id: string; value: string; text: string }[] {
  const out: { action_id: string; value: string; text: string }[] = [];
  for (const b of (blocks as Obj[]) ?? []) {
    if (b.type !== "actions") continue;
    for (const e of b.elements as Obj[]) {
      out.push({
        action_id: String(e.action_id),
        value: String(e.value),
        text: String((e.text as { text: string }).text),
      });
    }
  }
  return out;
}

async function diagnoseReport(): Promise<{ ts: string; buttons: ReturnType<typeof buttonsOf> }> {
  const seq = rs.fake.calls.at(-1)?.seq ?? 0;
  const res = await sendSlashCommand({
    url: serve.url,
    signingSecret: SIGNING_SECRET,
    text: "yahoo",
    channelId: CHANNEL,
  });
  expect(res.status).toBe(200);
  const placeholder = await rs.fake.waitFor(
    (c) => c.seq > seq && c.method === "chat.postMessage" && c.ok,
    5000,
  );
  const ts = String(placeholder.response.ts);
  const buttons = await eventually(() => {
    const b = buttonsOf(rs.fake.message(CHANNEL, ts)?.blocks);
    return b.length > 0 ? b : undefined;
  });
  return { ts, buttons };
}

/** A slash command's final report (buttons or not), as the message's blocks in one string. */
async function freshReport(): Promise<{ ts: string; text: string }> {
  const seq = last();
  await sendSlashCommand({
    url: serve.url,
    signingSecret: SIGNING_SECRET,
    text: "yahoo",
    channelId: CHANNEL,
  });
  const placeholder = await callAfter(seq, (c) => c.method === "chat.postMessage" && c.ok, 5000);
  const ts = String(placeholder.response.ts);
  const text = await eventually(() => {
    const t = JSON.stringify(rs.fake.message(CHANNEL, ts)?.blocks ?? []);
    return t.includes("hourglass_flowing_sand") || t === "[]" ? undefined : t;
  });
  return { ts, text };
}

async function press(
  user: string,
  messageTs: string,
  b: { action_id: string; value: string },
  threadTs?: string,
) {
  const res = await sendBlockAction({
    url: serve.url,
    signingSecret: SIGNING_SECRET,
    userId: user,
    userName: user === ANA ? "ana" : user === BOB ? "bob" : "dave",
    channelId: CHANNEL,
    messageTs,
    ...(threadTs ? { threadTs } : {}),
    actions: [{ action_id: b.action_id, block_id: "x", value: b.value }],
  });
  expect(res.status).toBe(200);
}

function callAfter(
  seq: number,
  pred: (c: RecordedCall) => boolean,
  timeoutMs = 10_000,
): Promise<RecordedCall> {
  return rs.fake.waitFor((c) => c.seq > seq && pred(c), timeoutMs);
}

const last = () => rs.fake.calls.at(-1)?.seq ?? 0;

/** Press a report button and wait for the plan message in the thread. */
async function planFor(user: string, report: { ts: string }, b: { action_id: string; value: string }) {
  const seq = last();
  await press(user, report.ts, b);
  const posted = await callAfter(
    seq,
    (c) =>
      c.method === "chat.postMessage" &&
      c.args.thread_ts === report.ts &&
      /^Plan: /.test(String(c.args.text)),
  );
  return { ts: String(posted.response.ts), call: posted, buttons: buttonsOf(posted.args.blocks) };
}

describe("press → plan → confirm → result, against the cluster", () => {
  let report: Awaited<ReturnType<typeof diagnoseReport>>;
  let plan: Awaited<ReturnType<typeof planFor>>;

  it("a report button posts the plan with Confirm and Cancel, and changes nothing", async () => {
    report = await diagnoseReport();
    // The three fixes are proven on the snapshot; the least invasive, restoring the ConfigMap, is the primary.
    expect(report.buttons.map((b) => b.text)).toEqual([
      "Restore ConfigMap basic-app-config",
      "Re-run the upgrade (revision 2)",
      "Roll back to revision 1",
    ]);
    const primary = (rs.fake.message(CHANNEL, report.ts)!.blocks as Obj[])
      .filter((b) => b.type === "actions")
      .flatMap((b) => b.elements as Obj[])[0]!;
    expect(primary.style).toBe("primary");
    const rollback = report.buttons.find((b) => b.text === "Roll back to revision 1")!;
    expect(rollback).toBeDefined();
    const writesBefore = api.requests.filter((r) => r.method !== "GET").length;
    plan = await planFor(ANA, report, rollback);

    const shown = JSON.stringify(plan.call.args.blocks);
    expect(String(plan.call.args.text)).toBe("Plan: Roll back default/yahoo to revision 1");
    expect(shown).toContain("Writes revision 3");
    expect(shown).toContain("Rollback to 1 (helm-doctor, requested by @ana)");
    expect(shown).toMatch(/Creates\* \(1\)\\n• ConfigMap `default\/basic-app-config`/);
    expect(shown).toContain("made against revision 2, the latest");
    // What will be true afterwards, the last thing before the buttons.
    expect(shown).toContain("*After this:* no findings");
    const blocks = plan.call.args.blocks as Obj[];
    const lastOfPlan = blocks[blocks.findIndex((b) => b.type === "actions") - 1]!;
    expect(JSON.stringify(lastOfPlan)).toContain("After this:");
    expect(plan.buttons.map((b) => b.action_id)).toEqual(["plan-confirm", "plan-cancel"]);
    const confirm = (plan.call.args.blocks as Obj[])
      .filter((b) => b.type === "actions")
      .flatMap((b) => b.elements as Obj[])
      .find((e) => e.action_id === "plan-confirm")!;
    expect(JSON.stringify(confirm.confirm)).toContain("Refused if the release has moved past revision 2");
    expect(validateBlocks(plan.call.args.blocks, "message")).toEqual([]);

    // A dry run: no write reached the cluster.
    expect(api.requests.filter((r) => r.method !== "GET").length).toBe(writesBefore);
    expect(record(3)).toBeUndefined();
  });

  it("refuses Confirm from someone the policy does not grant, and the cluster stays as it was", async () => {
    const seq = last();
    await press(BOB, plan.ts, plan.buttons[0]!, report.ts);
    const e = await callAfter(seq, (c) => c.method === "chat.postEphemeral" && c.args.user === BOB);
    expect(String(e.args.text)).toContain("Not allowed to confirm *Roll back to revision 1*");
    expect(String(e.args.text)).toContain(
      "<@U0BOB00002> has no remediation grant in the policy (policy.yaml)",
    );
    // Dave may restore hook objects, not roll back.
    await press(DAVE, plan.ts, plan.buttons[0]!, report.ts);
    const d = await callAfter(seq, (c) => c.method === "chat.postEphemeral" && c.args.user === DAVE);
    expect(String(d.args.text)).toContain("your grants do not cover rollback in namespace `default`");
    expect(record(3)).toBeUndefined();
    expect(api.get({ kind: "ConfigMap", namespace: "default", name: "basic-app-config" })).toBeUndefined();
  });

  it("Cancel closes a plan: nothing runs, and Confirm afterwards is refused", async () => {
    const rerun = report.buttons.find((b) => b.text.startsWith("Re-run the upgrade"))!;
    const p = await planFor(ANA, report, rerun);
    const cancel = p.buttons.find((x) => x.action_id === "plan-cancel")!;
    let seq = last();
    // Bob may not cancel ana's plan: he may not run it either.
    await press(BOB, p.ts, cancel, report.ts);
    const no = await callAfter(seq, (c) => c.method === "chat.postEphemeral" && c.args.user === BOB);
    expect(String(no.args.text)).toContain("Only <@U0ANA00001> or someone allowed to");
    seq = last();
    await press(ANA, p.ts, cancel, report.ts);
    const upd = await callAfter(seq, (c) => c.method === "chat.update" && c.args.ts === p.ts);
    expect(String(upd.args.text)).toMatch(/\(cancelled\)$/);
    expect(JSON.stringify(upd.args.blocks)).toContain("Cancelled by <@U0ANA00001>. Nothing was changed.");
    expect(buttonsOf(upd.args.blocks)).toEqual([]);
    seq = last();
    await press(ANA, p.ts, p.buttons[0]!, report.ts);
    const e = await callAfter(seq, (c) => c.method === "chat.postEphemeral" && c.args.user === ANA);
    expect(String(e.args.text)).toContain("already cancelled by <@U0ANA00001>");
    expect(record(3)).toBeUndefined();
  });

  it("Confirm by a granted user runs it: revision 3, the ConfigMap back, the result in the thread", async () => {
    const seq = last();
    await press(ANA, plan.ts, plan.buttons[0]!, report.ts);
    const result = await callAfter(
      seq,
      (c) =>
        c.method === "chat.postMessage" &&
        c.args.thread_ts === report.ts &&
        /Rolled back/.test(String(c.args.text)),
      15_000,
    );
    expect(String(result.args.text)).toContain(
      "Rolled back to revision 1 by <@U0ANA00001> → revision 3 deployed",
    );
    const shown = JSON.stringify(result.args.blocks);
    expect(shown).toContain("helm history yahoo -n default");
    expect(shown).toContain("Rollback to 1 (helm-doctor, requested by @ana)");
    // The release diagnosed again: the prediction held (the stuck pod waits for the kubelet's next retry).
    expect(shown).toContain(":white_check_mark: *As predicted:* no findings");
    expect(validateBlocks(result.args.blocks, "message")).toEqual([]);

    // The cluster: revision 3 deployed with revision 1's manifest, revision 2 superseded, the ConfigMap back
    // with Helm's ownership metadata.
    const v3 = record(3)!;
    expect(v3.error).toBeUndefined();
    expect(v3.labels).toMatchObject({ name: "yahoo", owner: "helm", status: "deployed", version: "3" });
    expect(v3.release!.info.description).toBe("Rollback to 1 (helm-doctor, requested by @ana)");
    expect(v3.release!.manifest).toBe(record(1)!.release!.manifest);
    expect(record(2)!.release!.info.status).toBe("superseded");
    const cm = api.get({ kind: "ConfigMap", namespace: "default", name: "basic-app-config" })!;
    expect(cm).toBeDefined();
    expect(cm.metadata.annotations?.["meta.helm.sh/release-name"]).toBe("yahoo");
    expect(cm.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");

    // The plan message ends with the outcome and no buttons; the report says what was done, its buttons gone.
    const planMsg = await eventually(() => {
      const m = rs.fake.message(CHANNEL, plan.ts);
      return m && /Rolled back/.test(JSON.stringify(m.blocks)) ? m : undefined;
    });
    expect(buttonsOf(planMsg.blocks)).toEqual([]);
    expect(JSON.stringify(planMsg.blocks)).not.toContain("a dry run: nothing has changed yet");
    expect(JSON.stringify(planMsg.blocks)).toContain("· run: the outcome is below");
    const reportMsg = await eventually(() => {
      const m = rs.fake.message(CHANNEL, report.ts);
      return m && /Rolled back/.test(JSON.stringify(m.blocks)) ? m : undefined;
    });
    expect(buttonsOf(reportMsg.blocks)).toEqual([]);
    expect(JSON.stringify(reportMsg.blocks)).toContain("this report's buttons are used up");

    // One structured audit line for the execution, naming the Slack user.
    const audit = serve.logger.entries
      .map((e) => e.message)
      .find((m) => m.includes("audit") && m.includes("helm-doctor.remediation"));
    expect(audit).toBeDefined();
    const entry = JSON.parse(audit!.slice(audit!.indexOf("{"))) as Obj;
    expect(entry).toMatchObject({
      who: "@ana",
      what: "rollback",
      release: "yahoo",
      namespace: "default",
      fromRevision: 2,
      toRevision: 3,
      outcome: "succeeded",
      slackUser: ANA,
    });
  });

  it("a second Confirm of the same plan runs nothing and says who used it", async () => {
    const writes = api.requests.filter((r) => r.method !== "GET").length;
    const seq = last();
    await press(ANA, plan.ts, plan.buttons[0]!, report.ts);
    const e = await callAfter(seq, (c) => c.method === "chat.postEphemeral" && c.args.user === ANA);
    expect(String(e.args.text)).toContain("already confirmed by <@U0ANA00001>");
    expect(api.requests.filter((r) => r.method !== "GET").length).toBe(writes);
    expect(record(4)).toBeUndefined();
  });

  it("a plan from the old report is refused: the release moved on", async () => {
    const rerun = report.buttons.find((b) => b.text.startsWith("Re-run the upgrade"))!;
    const seq = last();
    await press(ANA, report.ts, rerun);
    const refusal = await callAfter(
      seq,
      (c) =>
        c.method === "chat.postMessage" &&
        c.args.thread_ts === report.ts &&
        /^Cannot /.test(String(c.args.text)),
    );
    expect(String(refusal.args.text)).toContain(
      "Release moved on: latest is revision 3, the diagnosis saw 2 — run `/helm-doctor yahoo -n default` again. Nothing was changed.",
    );
    expect(record(4)).toBeUndefined();
  });

  it("a fresh diagnosis after the remediation reads the changed release, not the report before it", async () => {
    const fresh = await freshReport();
    expect(fresh.text).toContain("revision 3 · :large_green_circle: deployed");
    // The stuck pod's events predate the ConfigMap the rollback recreated: a warning that says so (in the
    // thread), not an alarm.
    const thread = await eventually(() => {
      const t = JSON.stringify(
        rs.fake
          .okCallsTo("chat.postMessage")
          .filter((c) => c.args.thread_ts === fresh.ts)
          .map((c) => c.args.blocks),
      );
      return t === "[]" ? undefined : t;
    });
    expect(thread).toContain("ConfigMap basic-app-config exists now");
    expect(fresh.text).not.toContain(":red_circle:");
    expect(fresh.text).not.toContain(
      "became a pre-install,pre-upgrade hook in revision 2 and the upgrade deleted it",
    );
  });
});
