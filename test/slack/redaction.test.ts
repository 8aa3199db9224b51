// Secrets never leave helm-doctor: a release whose values, Secret and event messages hold secrets (and an event
// and an error that quote the bot token, the signing secret and a bearer token) is diagnosed and planned end to
// end — signed Slack requests in; every recorded Slack call (Web API arguments, response_url posts), every Redis
// key of the app and every line of serve's pino log are scanned for them. Each kind of message a listener can
// send (chat.*, views.*, respond) is shown to pass the same boundary.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "@slack/bolt";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleSource } from "../../src/cluster/bundle.js";
import type { SnapshotSource } from "../../src/cluster/source.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { createLogger, toBoltLogger } from "../../src/observability/log.js";
import { secrets } from "../../src/report/redact.js";
import { parsePolicy } from "../../src/slack/policy.js";
import { memorySink } from "../support/log.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { foundingCase } from "../support/scenarios/founding.js";
import {
  eventually,
  postCommand,
  SIGNING_SECRET,
  startTestServe,
  type TestServe,
} from "../support/slack-app.js";
import { sendBlockAction, sendSlashCommand } from "../support/slack-request.js";

const VALUE_PASSWORD = "hunter2-Sup3rSecret";
const VALUE_TOKEN = "tok-9f8e7d6c5b4a3";
const SECRET_DATA = "L1veS3cret-data-xyz";
const SECRET_DATA_B64 = Buffer.from(SECRET_DATA).toString("base64");
const ENV_PASSWORD = "envPassw0rd-42-abc";
const BEARER = "b3arer-T0ken-5f4e3d2c1b";
const POLICY = `
version: 1
remediate:
  - users: [U0ANA00001]
    actions: [rollback]
    namespaces: [default]
`;

const rs = redisAndSlack();
let dir: string;
let bundle: string;
let scoped: string;
let serve: TestServe;
const log = memorySink();
/** Everything that must not leave: release values, Secret data (raw and base64), tokens, the signing secret. */
let SECRETS: string[];

/** The founding case with secrets in its values, a rendered Secret, a container's env and an event message. */
function secretBundle(botToken: string): unknown {
  const s = foundingCase();
  const rev2 = s.releases[1]!;
  rev2.config = { db: { password: VALUE_PASSWORD }, apiToken: VALUE_TOKEN, replicaCount: 2 };
  rev2.manifest += [
    "---",
    "# Source: basic-app/templates/secret.yaml",
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    "  name: db-credentials",
    "stringData:",
    `  password: ${VALUE_PASSWORD}`,
    "",
  ].join("\n");
  rev2.manifest = rev2.manifest.replace(
    "image: nginx:1.16.0",
    `image: nginx:1.16.0\n          env:\n            - name: DB_PASSWORD\n              value: ${ENV_PASSWORD}`,
  );
  s.add(
    s.owned({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db-credentials" },
      type: "Opaque",
      data: { password: SECRET_DATA_B64 },
    }),
    60,
  );
  // An event message that quotes secrets (applications log the strangest things).
  const ev = s.live.find((o) => o.kind === "Event" && o.reason === "FailedMount")!;
  ev.message = `${ev.message}; tried ${SECRET_DATA} and password=${VALUE_PASSWORD}, env ${ENV_PASSWORD}, token ${VALUE_TOKEN}, bot ${botToken}, signing ${SIGNING_SECRET}`;
  return s.bundle();
}

const SCOPED_PASSWORD = "Sc0ped-pa55word-314";

/**
 * Two releases named yahoo, in namespaces storefront and checkout. The first's Secret holds, next to a real
 * password, its own release name, namespace and Deployment name, and the second's namespace (any value of a
 * Secret's data is learned as a secret, whatever its key); an event quotes the password.
 */
function scopedBundle(): unknown {
  const first = foundingCase({ namespace: "storefront" });
  const b64 = (v: string) => Buffer.from(v).toString("base64");
  first.add(
    first.owned({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "shop-login" },
      type: "Opaque",
      data: {
        user: b64("yahoo"),
        tenant: b64("storefront"),
        app: b64("yahoo-basic-app"),
        peer: b64("checkout"),
        password: b64(SCOPED_PASSWORD),
      },
    }),
    60,
  );
  const ev = first.live.find((o) => o.kind === "Event" && o.reason === "FailedMount")!;
  ev.message = `${ev.message}; last login with ${SCOPED_PASSWORD}`;
  const second = foundingCase({ namespace: "checkout" });
  return { ...first.bundle(), items: [...first.bundle().items, ...second.bundle().items] };
}

/** The bundles' releases (storefront and checkout from the second); reading "vault" fails quoting credentials. */
function sourceFactory(file: string, scoped: string) {
  return async (namespace?: string): Promise<SnapshotSource> => {
    const inner = new BundleSource(namespace === "storefront" || namespace === "checkout" ? scoped : file);
    return {
      describe: () => inner.describe(),
      releases: (ns) => inner.releases(ns),
      load: (release, ns, now) => {
        if (release === "vault")
          throw new Error(
            `reading vault: Authorization: Bearer ${BEARER} was refused (signing secret ${SIGNING_SECRET})`,
          );
        return inner.load(release, ns, now);
      },
    };
  };
}

/** Every value under the app's Redis prefix (strings, lists, hashes, sets, sorted sets). */
async function redisDump(prefix: string): Promise<string> {
  const r = new Redis(rs.redis.url, { maxRetriesPerRequest: 1 });
  try {
    const out: unknown[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", "500");
      cursor = next;
      for (const k of keys) {
        const type = await r.type(k);
        if (type === "string") out.push(k, await r.get(k));
        else if (type === "list") out.push(k, await r.lrange(k, 0, -1));
        else if (type === "hash") out.push(k, await r.hgetall(k));
        else if (type === "set") out.push(k, await r.smembers(k));
        else if (type === "zset") out.push(k, await r.zrange(k, "0", "-1"));
      }
    } while (cursor !== "0");
    return JSON.stringify(out);
  } finally {
    r.disconnect();
  }
}

beforeAll(async () => {
  SECRETS = [VALUE_PASSWORD, VALUE_TOKEN, SECRET_DATA, SECRET_DATA_B64, ENV_PASSWORD, BEARER];
  SECRETS.push(rs.fake.token, SIGNING_SECRET);
  dir = mkdtempSync(join(tmpdir(), "hd-secrets-"));
  bundle = join(dir, "bundle.json");
  writeFileSync(bundle, JSON.stringify(secretBundle(rs.fake.token)));
  scoped = join(dir, "scoped.json");
  writeFileSync(scoped, JSON.stringify(scopedBundle()));
  const logger = createLogger({ env: { LOG_FORMAT: "json", LOG_LEVEL: "debug" }, destination: log });
  serve = await startTestServe({
    fake: rs.fake,
    redisUrl: rs.redis.url,
    sourceFactory: sourceFactory(bundle, scoped),
    policy: parsePolicy(POLICY, "policy.yaml"),
    logger: toBoltLogger(logger),
  });
});

afterAll(async () => {
  await serve?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("secrets in findings, evidence, plans and errors", () => {
  let reportTs: string;

  it("the unredacted diagnosis does quote them (so these tests mean something)", async () => {
    const snap = await new BundleSource(bundle).load("yahoo", "default", new Date());
    const raw = JSON.stringify(diagnose(snap));
    for (const s of [VALUE_PASSWORD, SECRET_DATA, ENV_PASSWORD, rs.fake.token, SIGNING_SECRET])
      expect(raw, s).toContain(s);
  });

  it("a report, its thread and /helm-doctor last reach Slack redacted; what the report names stays", async () => {
    reportTs = await postCommand(
      rs.fake,
      serve.url,
      "yahoo -n default",
      "C0SEC00001",
      5000,
      rs.fake.responseUrl("s"),
    );
    await eventually(() =>
      rs.fake.okCallsTo("chat.postMessage").some((c) => c.args.thread_ts === reportTs) ? true : undefined,
    );
    const report = JSON.stringify(rs.fake.message("C0SEC00001", reportTs)?.blocks);
    expect(report).toContain("basic-app-config");
    const thread = JSON.stringify(
      rs.fake
        .okCallsTo("chat.postMessage")
        .filter((c) => c.args.thread_ts === reportTs)
        .map((c) => c.args.blocks),
    );
    expect(thread).toContain("[redacted]");
    // Near misses stay: the object and event the evidence names, the release and its namespace.
    expect(thread).toContain("FailedMount");
    expect(thread).toContain("basic-app-config");
    expect(`${report}${thread}`).toContain("default/yahoo");

    // The stored report, posted again.
    await postCommand(
      rs.fake,
      serve.url,
      "last default/yahoo",
      "C0SEC00003",
      10_000,
      rs.fake.responseUrl("last"),
    );
  });

  it("a plan made from the report's button reaches its thread redacted", async () => {
    const blocks = rs.fake.message("C0SEC00001", reportTs)!.blocks as Record<string, unknown>[];
    const actions = blocks.find((b) => b.type === "actions") as { elements: Record<string, unknown>[] };
    const rollback = actions.elements.find((e) => /roll back/i.test((e.text as { text: string }).text))!;
    const before = rs.fake.calls.length;
    const res = await sendBlockAction({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      channelId: "C0SEC00001",
      messageTs: reportTs,
      actions: [
        {
          action_id: String(rollback.action_id),
          block_id: "remediations",
          value: String(rollback.value),
          text: (rollback.text as { text: string }).text,
        },
      ],
    });
    expect(res.status).toBe(200);
    const plan = await rs.fake.waitFor(
      (c) =>
        c.method === "chat.postMessage" &&
        c.args.thread_ts === reportTs &&
        c.seq > before &&
        JSON.stringify(c.args.blocks).includes("Plan"),
      10_000,
    );
    expect(JSON.stringify(plan.args.blocks)).toContain("revision 1");
  });

  it("a read that fails with credentials in its error is reported without them", async () => {
    const ts = await postCommand(rs.fake, serve.url, "vault -n default", "C0SEC00002", 5000);
    const final = await eventually(
      () => {
        const m = JSON.stringify(rs.fake.message("C0SEC00002", ts)?.blocks ?? "");
        return m.includes("reading vault") ? m : undefined;
      },
      20_000,
      "the error message",
    );
    expect(final).toContain("[redacted]");
    // The worker logged the failure (redacted).
    await eventually(() => (log.text().includes("reading vault") ? true : undefined), 5000, "log line");
  });

  it("none of them is in any Slack call, any Redis key of the app or any log line", async () => {
    const slack = JSON.stringify([rs.fake.calls.map((c) => c.args), rs.fake.responses.map((r) => r.body)]);
    const stored = await redisDump(serve.prefix);
    const lines = log.text();
    // Each boundary did see secret-bearing text (so a pass means redaction, not silence).
    expect(stored).toContain("[redacted]");
    expect(lines).toContain("[redacted]");
    expect(stored).toContain("basic-app-config");
    for (const secret of SECRETS) {
      expect(slack, `Slack: ${secret}`).not.toContain(secret);
      expect(stored, `Redis: ${secret}`).not.toContain(secret);
      expect(lines, `log: ${secret}`).not.toContain(secret);
    }
  });
});

describe("what is redacted is the release's secrets, not the names its reports show", () => {
  /** The channel message and its thread replies, as Slack shows them. */
  async function reportOf(command: string, channel: string): Promise<string> {
    const ts = await postCommand(rs.fake, serve.url, command, channel, 5000);
    await eventually(
      () => (rs.fake.okCallsTo("chat.postMessage").some((c) => c.args.thread_ts === ts) ? true : undefined),
      10_000,
      `the thread of ${command}`,
    );
    const thread = rs.fake
      .okCallsTo("chat.postMessage")
      .filter((c) => c.args.thread_ts === ts)
      .map((c) => c.args.blocks);
    return JSON.stringify([rs.fake.message(channel, ts)?.blocks, thread]);
  }

  it("a Secret holding the release, namespace and Deployment names: the report names them, the password stays hidden", async () => {
    const raw = JSON.stringify(
      diagnose(await new BundleSource(scoped).load("yahoo", "storefront", new Date())),
    );
    expect(raw).toContain(SCOPED_PASSWORD);
    const report = await reportOf("storefront/yahoo", "C0SCOPE001");
    expect(report).toContain("storefront/yahoo");
    expect(report).toContain("yahoo-basic-app");
    expect(report).toContain("last login with [redacted]");
    expect(report).not.toContain(SCOPED_PASSWORD);
  });

  it("another release's report in the same process is not masked by the first one's secrets", async () => {
    // The first release taught the process's book its Secret's values, the second's namespace among them.
    expect(secrets.text("to checkout")).toBe("to [redacted]");
    const report = await reportOf("checkout/yahoo", "C0SCOPE002");
    expect(report).toContain("checkout/yahoo");
    expect(report).toContain("yahoo-basic-app");
    expect(report).not.toContain("[redacted]");
    // …and stays so: a later read of the first release does not teach it again.
    await reportOf("storefront/yahoo", "C0SCOPE003");
    const last = await postCommand(rs.fake, serve.url, "last checkout/yahoo", "C0SCOPE004", 10_000);
    const again = JSON.stringify(rs.fake.message("C0SCOPE004", last)?.blocks);
    expect(again).toContain("checkout/yahoo");
    expect(again).not.toContain("[redacted]");
    expect(secrets.text("to checkout")).toBe("to checkout");
  });
});

describe("every kind of message a listener sends passes the boundary", () => {
  it("the ack: Bolt's answer to Slack's request", async () => {
    const res = await sendSlashCommand({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      text: `yahoo -n password=${VALUE_PASSWORD}`,
      channelId: "C0ACK00001",
    });
    expect(res.status).toBe(200);
    const ack = JSON.stringify(res.json());
    // The usage error quotes what it could not read, redacted.
    expect(ack).toContain("[redacted]");
    expect(ack).not.toContain(BEARER);
    expect(ack).not.toContain(VALUE_PASSWORD);
  });

  it("chat.postMessage / update / postEphemeral, views.open / push / update and respond()", async () => {
    const app: App = serve.handle.app;
    const planted = `password=${VALUE_PASSWORD} ${SECRET_DATA} Bearer ${BEARER} ${rs.fake.token}`;
    const section = (t: string) => [{ type: "section", text: { type: "mrkdwn", text: t } }];
    const view = (t: string) => ({
      type: "modal" as const,
      title: { type: "plain_text" as const, text: "Plant" },
      blocks: section(t),
    });
    const sent: string[] = [];
    let failure: unknown;
    // A listener registered on the running app gets the same `client` and `respond` as helm-doctor's own.
    app.action("plant-secrets", async ({ ack, client, respond, body }) => {
      await ack();
      try {
        const trigger = (body as { trigger_id: string }).trigger_id;
        const posted = await client.chat.postMessage({
          channel: "C0PLANT001",
          text: planted,
          blocks: section(planted),
        });
        sent.push("chat.postMessage");
        await client.chat.update({
          channel: "C0PLANT001",
          ts: posted.ts!,
          text: planted,
          blocks: section(planted),
        });
        sent.push("chat.update");
        await client.chat.postEphemeral({ channel: "C0PLANT001", user: "U0PLANT001", text: planted });
        sent.push("chat.postEphemeral");
        const opened = await client.views.open({ trigger_id: trigger, view: view(planted) });
        sent.push("views.open");
        await client.views.update({ view_id: opened.view!.id!, view: view(planted) });
        sent.push("views.update");
        await client.views.push({ trigger_id: trigger, view: view(planted) });
        sent.push("views.push");
        await respond({ response_type: "ephemeral", text: planted, blocks: section(planted) });
        sent.push("respond");
      } catch (e) {
        failure = e;
      }
    });
    const before = rs.fake.calls.length;
    const res = await sendBlockAction({
      url: serve.url,
      signingSecret: SIGNING_SECRET,
      channelId: "C0PLANT001",
      responseUrl: rs.fake.responseUrl("plant"),
      actions: [{ action_id: "plant-secrets", value: "x" }],
    });
    expect(res.status).toBe(200);
    await eventually(() => (sent.length === 7 || failure ? true : undefined), 10_000, "the planted sends");
    expect(failure).toBeUndefined();
    const calls = rs.fake.calls.slice(before);
    const methods = [
      "chat.postMessage",
      "chat.update",
      "chat.postEphemeral",
      "views.open",
      "views.update",
      "views.push",
    ];
    for (const m of methods) {
      const c = calls.find((x) => x.method === m);
      expect(c, m).toBeDefined();
      const args = JSON.stringify(c!.args);
      expect(args, m).toContain("[redacted]");
      for (const secret of [VALUE_PASSWORD, SECRET_DATA, BEARER, rs.fake.token])
        expect(args, m).not.toContain(secret);
    }
    const responded = JSON.stringify(rs.fake.responses.filter((r) => r.id === "plant").map((r) => r.body));
    expect(responded).toContain("[redacted]");
    for (const secret of [VALUE_PASSWORD, SECRET_DATA, BEARER, rs.fake.token])
      expect(responded).not.toContain(secret);
  });
});
