// The Slack front end end to end: signed requests through Bolt's HTTP receiver, BullMQ on a real Redis, the
// embedded worker diagnosing a bundle, every Slack call recorded by a fake Slack. One Redis and one fake Slack
// for the file; each part starts its own helm-doctor (its own key prefix). Redaction: redaction.test.ts.
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remediateJobSchema } from "../../src/queue/schemas.js";
import { parsePolicy } from "../../src/slack/policy.js";
import { type RecordedCall, validateBlocks } from "../support/fake-slack/index.js";
import { redisAndSlack } from "../support/redis-slack.js";
import {
  countingBundleFactory,
  eventually,
  SIGNING_SECRET,
  startTestServe,
  type TestServe,
} from "../support/slack-app.js";
import { sendBlockAction, sendSigned, sendSlashCommand } from "../support/slack-request.js";

const rs = redisAndSlack();

// The Slack front end end to end: signed slash commands through Bolt's HTTP receiver, BullMQ on a real Redis,
// the embedded worker diagnosing the founding-case bundle, messages on a fake Slack.
describe("HTTP front end", () => {
  let serve: TestServe;
  const factory = countingBundleFactory();

  beforeAll(async () => {
    rs.fake.reset();
    serve = await startTestServe({ fake: rs.fake, redisUrl: rs.redis.url, sourceFactory: factory });
  });

  afterAll(async () => {
    await serve?.stop();
  });

  type Obj = Record<string, unknown>;

  function buttons(blocks: unknown): Obj[] {
    const out: Obj[] = [];
    for (const b of (blocks as Obj[]) ?? []) {
      if (b.type === "actions") out.push(...((b.elements as Obj[]) ?? []));
    }
    return out;
  }

  const text = (v: unknown) => JSON.stringify(v);

  describe("slash command → report", () => {
    it("acks, posts a placeholder, then the founding-case report with buttons and a thread", async () => {
      const res = await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "yahoo -n default",
        channelId: "C0E2E00001",
      });
      expect(res.status).toBe(200);
      const ack = res.json() as Obj;
      expect(ack.response_type).toBe("ephemeral");
      expect(String(ack.text)).toContain("default/yahoo");

      const placeholder = await rs.fake.waitFor(
        (c) =>
          c.method === "chat.postMessage" && c.ok && c.args.channel === "C0E2E00001" && !c.args.thread_ts,
        5000,
      );
      expect(text(placeholder.args.blocks)).toContain("Diagnosing default/yahoo");
      const ts = String(placeholder.response.ts);

      const final = await rs.fake.waitFor(
        (c) => c.method === "chat.update" && c.ok && c.args.ts === ts && buttons(c.args.blocks).length > 0,
        10_000,
      );
      const body = text(final.args.blocks);
      expect(body).toContain("basic-app-config");
      expect(body).toContain("pre-install,pre-upgrade");
      const labels = buttons(final.args.blocks).map((b) => (b.text as Obj).text as string);
      expect(labels.some((l) => /re-run the upgrade/i.test(l))).toBe(true);
      expect(labels).toContain("Roll back to revision 1");
      for (const b of buttons(final.args.blocks)) {
        // Opaque id, never a command; a confirm dialog that says what will happen.
        expect(String(b.value)).toMatch(/^[A-Za-z0-9_-]{8,}\.\d+$/);
        expect(String(b.value)).not.toMatch(/helm|rollback|upgrade/i);
        const confirm = b.confirm as Obj;
        expect(((confirm.text as Obj).text as string).length).toBeGreaterThan(20);
      }
      const rollback = buttons(final.args.blocks).find(
        (b) => (b.text as Obj).text === "Roll back to revision 1",
      )!;
      expect(((rollback.confirm as Obj).text as Obj).text).toMatch(/revision 3/);
      expect(rollback.style).toBe("danger");

      const thread = await rs.fake.waitFor(
        (c) => c.method === "chat.postMessage" && c.ok && c.args.thread_ts === ts,
        5000,
      );
      expect(text(thread.args.blocks)).toContain("helm-doctor rollback yahoo 1 -n default");
      expect(rs.fake.message("C0E2E00001", ts)?.blocks).toEqual(final.args.blocks);
    });

    it("accepts <ns>/<release> as well", async () => {
      const before = factory.loads;
      const res = await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "default/yahoo",
        channelId: "C0E2E00002",
      });
      expect(res.status).toBe(200);
      const placeholder = await rs.fake.waitFor(
        (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0E2E00002",
        5000,
      );
      const ts = String(placeholder.response.ts);
      // Within the deduplication window it joins the first run: the same result, no new diagnosis.
      await eventually(() =>
        buttons(rs.fake.message("C0E2E00002", ts)?.blocks).length > 0 ? true : undefined,
      );
      expect(factory.loads).toBe(before);
    });

    it("answers a missing release with the releases that exist", async () => {
      await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "yahooo",
        channelId: "C0E2E00003",
      });
      const placeholder = await rs.fake.waitFor(
        (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0E2E00003",
        5000,
      );
      const ts = String(placeholder.response.ts);
      const msg = await eventually(() => {
        const m = rs.fake.message("C0E2E00003", ts);
        return m && text(m.blocks).includes("no Helm release") ? m : undefined;
      });
      expect(text(msg.blocks)).toContain("yahoo (deployed)");
      expect(text(msg.blocks)).toContain("Did you mean: yahoo?");
    });

    it("lists releases, unhealthy first", async () => {
      const res = await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "list -n default",
        channelId: "C0E2E00004",
      });
      expect(res.status).toBe(200);
      expect(String((res.json() as Obj).text)).toContain("Listing releases in default");
      const placeholder = await rs.fake.waitFor(
        (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0E2E00004",
        5000,
      );
      const ts = String(placeholder.response.ts);
      const msg = await eventually(() => {
        const m = rs.fake.message("C0E2E00004", ts);
        return m && text(m.blocks).includes("revision 2") ? m : undefined;
      });
      expect(text(msg.blocks)).toMatch(/\*yahoo\* · deployed · revision 2/);
      expect(factory.lists).toBeGreaterThan(0);
    });

    it("answers help and bad input with an ephemeral usage message", async () => {
      const help = await sendSlashCommand({ url: serve.url, signingSecret: SIGNING_SECRET, text: "help" });
      expect(help.status).toBe(200);
      expect((help.json() as Obj).response_type).toBe("ephemeral");
      expect(text(help.json())).toContain("list [-n &lt;namespace&gt;]");

      const bad = await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "Yahoo_App",
      });
      expect(bad.status).toBe(200);
      const body = bad.json() as Obj;
      expect(body.response_type).toBe("ephemeral");
      expect(text(body)).toContain("invalid release name");
      expect(text(body)).toContain("list [-n");

      const extra = await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "yahoo extra",
      });
      expect(text(extra.json())).toContain('unexpected argument \\"extra\\"');
    });

    it("rejects unsigned, badly signed and stale requests with 401", async () => {
      const fields = {
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "yahoo",
        channelId: "C0E2E00401",
      };
      expect((await sendSlashCommand({ ...fields, unsigned: true })).status).toBe(401);
      expect((await sendSlashCommand({ ...fields, badSignature: true })).status).toBe(401);
      expect((await sendSlashCommand({ ...fields, stale: true })).status).toBe(401);
      // A signed request after them runs to its report: had any of them been taken, its message would be there
      // by then (requests of the same release join one job).
      await sendSlashCommand({ ...fields, channelId: "C0E2E00402" });
      const placeholder = await rs.fake.waitFor(
        (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0E2E00402",
        10_000,
      );
      await eventually(
        () =>
          buttons(rs.fake.message("C0E2E00402", String(placeholder.response.ts))?.blocks).length > 0
            ? true
            : undefined,
        20_000,
        "the report after the rejected requests",
      );
      expect(rs.fake.calls.filter((c) => text(c.args).includes("C0E2E00401"))).toEqual([]);
    });

    it("serves /healthz and /readyz on the same port", async () => {
      const h = await fetch(`${serve.baseUrl}/healthz`);
      expect(h.status).toBe(200);
      const r = await fetch(`${serve.baseUrl}/readyz`);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain("ready");
      const other = await sendSigned({ url: `${serve.baseUrl}/other`, signingSecret: SIGNING_SECRET }, "x=1");
      expect(other.status).toBe(404);
    });

    it("retries a Slack 429 after Retry-After and still delivers the report", async () => {
      rs.fake.rateLimit("chat.update", 1, 1);
      await sendSlashCommand({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        text: "yahoo",
        channelId: "C0E2E00429",
      });
      const placeholder = await rs.fake.waitFor(
        (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "C0E2E00429",
        5000,
      );
      const ts = String(placeholder.response.ts);
      await rs.fake.waitFor(
        (c) => c.method === "chat.update" && c.ok && c.args.ts === ts && buttons(c.args.blocks).length > 0,
        20_000,
      );
      // The first update of the message (progress or the report, as the machine's speed decides) met the 429;
      // the next came after Retry-After, and the report arrived.
      const updates = rs.fake.callsTo("chat.update").filter((c) => c.args.ts === ts);
      expect(updates[0]!.status).toBe(429);
      expect(updates.slice(1).every((c) => c.status === 200)).toBe(true);
      expect(updates[1]!.time - updates[0]!.time).toBeGreaterThanOrEqual(900);
    });

    it("keeps every message it sent within Block Kit limits", () => {
      const sent = rs.fake.calls.filter((c) =>
        ["chat.postMessage", "chat.update", "chat.postEphemeral"].includes(c.method),
      );
      expect(sent.length).toBeGreaterThan(5);
      for (const c of sent.filter((x) => x.status !== 429)) {
        expect(c.response.error, `${c.method}: ${text(c.response)}`).toBeUndefined();
        expect(validateBlocks(c.args.blocks ?? [], "message")).toEqual([]);
      }
    });
  });
});

// Slack failing at the worst moments: the request is not dropped, and the report stays retrievable.
describe("delivery faults", () => {
  let serve: TestServe;
  beforeAll(async () => {
    rs.fake.reset();
    serve = await startTestServe({
      fake: rs.fake,
      redisUrl: rs.redis.url,
      tuning: { deliveryRetry: { attempts: 4, baseMs: 50, maxMs: 200 } },
    });
  });
  afterAll(async () => {
    rs.fake.clearInjections();
    await serve?.stop();
  });
  const report = (c: RecordedCall) => JSON.stringify(c.args.blocks ?? "").includes("Roll back to revision 1");

  it("retries a transient failure of the first chat.postMessage instead of dropping the request", async () => {
    const channel = "C0E2EPOST1";
    rs.fake.fail("chat.postMessage", "internal_error", { times: 2, match: (a) => a.channel === channel });
    const res = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      text: "yahoo",
      channelId: channel,
    });
    expect(res.status).toBe(200);
    const posted = await rs.fake.waitFor(
      (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === channel,
      10_000,
    );
    await eventually(
      () =>
        JSON.stringify(rs.fake.message(channel, String(posted.response.ts))?.blocks).includes(
          "Roll back to revision 1",
        )
          ? true
          : undefined,
      10_000,
      "the report",
    );
    expect(
      rs.fake.callsTo("chat.postMessage").filter((c) => c.args.channel === channel && !c.ok),
    ).toHaveLength(2);
  });

  it("/helm-doctor last <release> posts the stored report again; an unknown one says there is none", async () => {
    const channel = "C0E2ELAST1";
    // The report's own delivery fails for good: the requester is told how to get it.
    rs.fake.fail("chat.update", "internal_error", {
      times: Number.POSITIVE_INFINITY,
      match: (a) => a.channel === channel && report({ args: a } as RecordedCall),
    });
    await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      text: "default/yahoo",
      channelId: channel,
    });
    const told = await rs.fake.waitFor(
      (c) => c.method === "chat.postEphemeral" && c.ok && c.args.channel === channel,
      10_000,
    );
    expect(JSON.stringify(told.args)).toContain("/helm-doctor last default/yahoo");
    rs.fake.clearInjections();

    const res = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      text: "last default/yahoo",
      channelId: channel,
    });
    expect(res.status).toBe(200);
    const again = await rs.fake.waitFor(
      (c) =>
        c.method === "chat.postMessage" &&
        c.ok &&
        c.args.channel === channel &&
        !c.args.thread_ts &&
        report(c),
      5000,
    );
    expect(JSON.stringify(again.args.blocks)).toContain("remediate-");
    await rs.fake.waitFor(
      (c) => c.method === "chat.postMessage" && c.ok && c.args.thread_ts === again.response.ts,
      5000,
    );

    const none = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      text: "last nope",
      channelId: channel,
      responseUrl: rs.fake.responseUrl("last-none"),
    });
    expect(none.status).toBe(200);
    const answer = await rs.fake.waitForResponse("last-none", 5000);
    expect(JSON.stringify(answer.body)).toContain("No report of default/nope is stored");
  });
});

// Simultaneous requests for one release join one diagnosis job, and every requester's message gets the report.
describe("dedup", () => {
  let serve: TestServe;
  const factory = countingBundleFactory();

  beforeAll(async () => {
    rs.fake.reset();
    serve = await startTestServe({ fake: rs.fake, redisUrl: rs.redis.url, sourceFactory: factory });
  });

  afterAll(async () => {
    await serve?.stop();
  });

  describe("deduplication", () => {
    it("5 simultaneous requests → 1 diagnosis job, 5 messages updated with the report", async () => {
      const users = ["U0DUP00001", "U0DUP00002", "U0DUP00003", "U0DUP00004", "U0DUP00005"];
      const channels = ["C0DUP00001", "C0DUP00002", "C0DUP00003", "C0DUP00004", "C0DUP00005"];
      const acks = await Promise.all(
        users.map((u, i) =>
          sendSlashCommand({
            url: serve.url,
            signingSecret: SIGNING_SECRET,
            text: i % 2 === 0 ? "yahoo -n default" : "default/yahoo",
            userId: u,
            channelId: channels[i]!,
          }),
        ),
      );
      for (const a of acks) expect(a.status).toBe(200);

      const messages = await eventually(
        () => {
          const posts = rs.fake.okCallsTo("chat.postMessage").filter((c) => !c.args.thread_ts);
          return posts.length >= 5 ? posts : undefined;
        },
        10_000,
        "5 placeholders",
      );
      for (const p of messages) {
        const ch = String(p.response.channel);
        const ts = String(p.response.ts);
        await eventually(
          () =>
            JSON.stringify(rs.fake.message(ch, ts)?.blocks).includes("Roll back to revision 1")
              ? true
              : undefined,
          10_000,
          `report in ${ch}`,
        );
        // Each requester also gets the details thread.
        await eventually(() =>
          rs.fake.okCallsTo("chat.postMessage").some((c) => c.args.channel === ch && c.args.thread_ts === ts)
            ? true
            : undefined,
        );
      }
      expect(factory.loads).toBe(1);

      // BullMQ holds exactly one diagnose job.
      const conn = new Redis(rs.redis.url, { maxRetriesPerRequest: 1 });
      const q = new Queue("diagnose", { connection: conn, prefix: serve.prefix });
      const counts = await q.getJobCounts("completed", "active", "waiting", "delayed", "failed");
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
      await q.close();
      conn.disconnect();

      // Exactly one final update per message (no double delivery).
      for (const p of messages) {
        const finals = rs.fake
          .okCallsTo("chat.update")
          .filter((c) => c.args.ts === p.response.ts && JSON.stringify(c.args.blocks).includes("remediate-"));
        expect(finals).toHaveLength(1);
      }
    });
  });
});

// Remediation buttons: re-authorized on press against the policy, then a `plan` job (a dry run) whose plan is
// posted in the report's thread; refusals say why, ephemerally. The whole press → plan → confirm → result path
// against a cluster is in remediation.test.ts.
describe("buttons", () => {
  const POLICY = `
  version: 1
  remediate:
    - users: [U0ANA00001]
      actions: [rollback, rerun-upgrade]
      namespaces: [default]
    - usergroups: [S0SRE00001]
      actions: [restore-hook-resources]
      namespaces: ["def*"]
  `;

  let serve: TestServe;
  const CHANNEL = "C0BTN00001";
  let reportTs = "";
  let buttons: { action_id: string; value: string; text: string }[] = [];
  /** While set, snapshot loads wait for it: a plan job is held while a second press arrives. */
  let held: Promise<void> | undefined;

  beforeAll(async () => {
    rs.fake.reset();
    rs.fake.setUsergroup("S0SRE00001", ["U0CAROL003"]);
    const inner = countingBundleFactory();
    const slow: typeof inner = (async (ns: string) => {
      const src = await inner(ns);
      return {
        ...src,
        describe: () => src.describe(),
        releases: (n: string) => src.releases(n),
        load: async (...args: Parameters<typeof src.load>) => {
          if (held) await held;
          return src.load(...args);
        },
      };
    }) as typeof inner;
    serve = await startTestServe({
      fake: rs.fake,
      redisUrl: rs.redis.url,
      policy: parsePolicy(POLICY, "policy.yaml"),
      sourceFactory: slow,
    });
    await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      text: "yahoo",
      channelId: CHANNEL,
    });
    const placeholder = await rs.fake.waitFor((c) => c.method === "chat.postMessage" && c.ok, 5000);
    reportTs = String(placeholder.response.ts);
    const blocks = await eventually(() => {
      const m = rs.fake.message(CHANNEL, reportTs);
      return JSON.stringify(m?.blocks).includes("remediate-")
        ? (m!.blocks as Record<string, unknown>[])
        : undefined;
    });
    const actions = blocks.find((b) => b.type === "actions") as { elements: Record<string, unknown>[] };
    buttons = actions.elements.map((e) => ({
      action_id: String(e.action_id),
      value: String(e.value),
      text: String((e.text as { text: string }).text),
    }));
  });

  afterAll(async () => {
    await serve?.stop();
  });

  function button(label: RegExp) {
    const b = buttons.find((x) => label.test(x.text));
    if (!b) throw new Error(`no button ${label}: ${buttons.map((x) => x.text).join(", ")}`);
    return b;
  }

  async function press(user: string, name: string, label: RegExp) {
    const b = button(label);
    const res = await sendBlockAction({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      userId: user,
      userName: name,
      channelId: CHANNEL,
      messageTs: reportTs,
      actions: [{ action_id: b.action_id, block_id: "remediations", value: b.value, text: b.text }],
    });
    expect(res.status).toBe(200);
    return b;
  }

  function ephemeralTo(user: string, after: number): Promise<RecordedCall> {
    return rs.fake.waitFor(
      (c) => c.method === "chat.postEphemeral" && c.args.user === user && c.seq > after,
      5000,
    );
  }

  async function planJobs() {
    const conn = new Redis(rs.redis.url, { maxRetriesPerRequest: 1 });
    const q = new Queue("remediate", { connection: conn, prefix: serve.prefix });
    try {
      const jobs = await q.getJobs(["waiting", "active", "completed", "failed", "delayed"]);
      return jobs.filter((j) => j.name === "plan");
    } finally {
      await q.close();
      conn.disconnect();
    }
  }

  describe("remediation buttons", () => {
    it("queues a plan job with the right payload, then posts the plan in the thread", async () => {
      const b = await press("U0ANA00001", "ana", /^Roll back to revision 1$/);
      const reply = await rs.fake.waitFor(
        (c) =>
          c.method === "chat.postMessage" &&
          c.args.thread_ts === reportTs &&
          /asked for/.test(String(c.args.text)),
        5000,
      );
      expect(String(reply.args.text)).toContain("<@U0ANA00001> asked for *Roll back to revision 1*");
      expect(String(reply.args.text)).toContain("Nothing changes until someone allowed to confirms");

      const [diagnosisId, index] = b.value.split(".");
      const jobs = await eventually(async () => {
        const list = await planJobs();
        return list.length > 0 ? list : undefined;
      });
      expect(jobs).toHaveLength(1);
      const data = remediateJobSchema.parse(jobs[0]!.data);
      expect(data).toMatchObject({
        phase: "plan",
        diagnosisId,
        buttonIndex: Number(index),
        action: "rollback",
        revision: 1,
        expectedRevision: 2,
        release: "yahoo",
        namespace: "default",
        user: { id: "U0ANA00001", name: "ana" },
        channel: CHANNEL,
        messageTs: reportTs,
        label: "Roll back to revision 1",
      });
      expect(jobs[0]!.opts.attempts).toBe(1);

      // The plan, from the bundle: what a rollback to 1 writes and changes. This helm-doctor reads a file, so
      // the plan has no Confirm button and says why.
      const plan = await rs.fake.waitFor(
        (c) =>
          c.method === "chat.postMessage" &&
          c.args.thread_ts === reportTs &&
          /^Plan: /.test(String(c.args.text)),
        5000,
      );
      const shown = JSON.stringify(plan.args.blocks);
      expect(String(plan.args.text)).toBe("Plan: Roll back default/yahoo to revision 1");
      expect(shown).toContain("Writes revision 3");
      expect(shown).toContain("basic-app-config");
      expect(shown).not.toContain("plan-confirm");
      expect(shown).toContain("reads a snapshot file, not a cluster");
      expect(validateBlocks(plan.args.blocks, "message")).toEqual([]);
    });

    it("refuses a user without a grant, saying why", async () => {
      const seq = rs.fake.calls.at(-1)?.seq ?? 0;
      await press("U0BOB00002", "bob", /^Roll back/);
      const e = await ephemeralTo("U0BOB00002", seq);
      expect(String(e.args.text)).toMatch(/Not allowed to \*Roll back to revision 1\*/);
      expect(String(e.args.text)).toContain(
        "<@U0BOB00002> has no remediation grant in the policy (policy.yaml)",
      );
    });

    it("refuses an action the user's grants do not cover", async () => {
      const seq = rs.fake.calls.at(-1)?.seq ?? 0;
      await press("U0ANA00001", "ana", /^Restore/);
      const e = await ephemeralTo("U0ANA00001", seq);
      expect(String(e.args.text)).toContain(
        "your grants do not cover restore-hook-resources in namespace `default`",
      );
      expect(String(e.args.text)).toContain("You may run: rollback, rerun-upgrade in `default`");
    });

    it("lets a user group member through", async () => {
      const seq = rs.fake.calls.at(-1)?.seq ?? 0;
      await press("U0CAROL003", "carol", /^Restore/);
      const reply = await rs.fake.waitFor(
        (c) =>
          c.seq > seq &&
          c.method === "chat.postMessage" &&
          c.args.thread_ts === reportTs &&
          /<@U0CAROL003> asked for \*Restore/.test(String(c.args.text)),
        5000,
      );
      expect(reply.ok).toBe(true);
      expect(rs.fake.okCallsTo("usergroups.users.list").length).toBeGreaterThan(0);
    });

    it("treats a double click as one request", async () => {
      const before = (await planJobs()).length;
      const seq = rs.fake.calls.at(-1)?.seq ?? 0;
      // Both presses reach the front end while the first plan is still being made (its source is held until
      // the second press has been answered).
      let release!: () => void;
      held = new Promise<void>((r) => {
        release = r;
      });
      await Promise.all([
        press("U0ANA00001", "ana", /^Re-run the upgrade/),
        press("U0ANA00001", "ana", /^Re-run the upgrade/),
      ]);
      const e = await ephemeralTo("U0ANA00001", seq);
      expect(String(e.args.text)).toMatch(/A plan for \*Re-run the upgrade.*is already queued or running/);
      held = undefined;
      release();
      await rs.fake.waitFor(
        (c) =>
          c.seq > seq &&
          c.method === "chat.postMessage" &&
          /^Plan: Re-run the upgrade/.test(String(c.args.text)),
        10_000,
      );
      expect((await planJobs()).length).toBe(before + 1);
    });

    /** Ana presses a button whose id in Redis (a diagnosis, a plan) has expired: what she is told. */
    async function pressExpired(action_id: string, value: string): Promise<string> {
      const seq = rs.fake.calls.at(-1)?.seq ?? 0;
      const res = await sendBlockAction({
        url: serve.url,
        signingSecret: SIGNING_SECRET,
        userId: "U0ANA00001",
        channelId: CHANNEL,
        messageTs: reportTs,
        actions: [{ action_id, value }],
      });
      expect(res.status).toBe(200);
      return String((await ephemeralTo("U0ANA00001", seq)).args.text);
    }

    it("says so when a button's diagnosis has expired", async () => {
      expect(await pressExpired("remediate-0", "AAAAAAAAAAAAAAAA.0")).toContain("expired");
    });

    it("says so when a plan's Confirm outlived the plan", async () => {
      expect(await pressExpired("plan-confirm", "BBBBBBBBBBBBBBBB")).toContain(
        "This plan has expired; nothing was run",
      );
    });
  });
});
