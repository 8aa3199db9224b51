// `helm-doctor serve` as it runs in the cluster (the built CLI, environment only, LOG_FORMAT=json): a slash
// command, its diagnosis, a rollback planned and confirmed from Slack. Then /metrics has each series with the
// right labels, and every stdout line is a JSON log event — the audit entries with their fields — carrying no
// token, signing secret or Secret value.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type CliDaemon, startCliDaemon } from "../support/cli-daemon.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import type { RecordedCall } from "../support/fake-slack/index.js";
import { cleanPrefix, uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { eventually } from "../support/slack-app.js";
import { sendBlockAction, sendSlashCommand } from "../support/slack-request.js";

const SECRET = "obs-signing-secret-0123456789abcdef";
const CHANNEL = "C0OBSERVE1";
const ANA = "U0ANA00001";
/** A Secret of the release (in its manifests, so the diagnosis reads it) and a value of its config. */
const SECRET_VALUE = "hunter2-database-password-value";

/** The founding case whose chart also ships a Secret, and whose values hold the same password. */
function foundingWithSecret() {
  const sc = foundingCase();
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "yahoo-db" },
    type: "Opaque",
    data: { password: Buffer.from(SECRET_VALUE).toString("base64") },
  };
  for (const r of sc.releases) {
    r.manifest += `---\n# Source: basic-app/templates/secret.yaml\n${stringify(secret).trimEnd()}\n`;
    r.config = { db: { password: SECRET_VALUE } };
  }
  sc.add(sc.owned(secret), 0);
  return sc;
}

const rs = redisAndSlack();
let api: FakeApiServer;
let daemon: CliDaemon;
let base: string;
let prefix: string;

beforeAll(async () => {
  api = await startFakeApiServer();
  api.seed(foundingWithSecret().bundle().items);
  const dir = mkdtempSync(join(tmpdir(), "hd-obs-"));
  const kubeconfig = api.writeKubeconfig(dir);
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    `version: 1\nremediate:\n  - users: [${ANA}]\n    actions: [rollback]\n    namespaces: [default]\n`,
  );
  prefix = uniquePrefix("obs");
  daemon = await startCliDaemon({
    mode: "serve",
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: rs.fake.token,
      SLACK_API_URL: rs.fake.apiUrl,
      REDIS_URL: rs.redis.url,
      KUBECONFIG: kubeconfig,
      HELM_DOCTOR_POLICY: policy,
      HELM_DOCTOR_QUEUE_PREFIX: prefix,
      LOG_FORMAT: "json",
      LOG_LEVEL: "debug",
    },
  });
  base = daemon.base;
}, 40_000);

afterAll(async () => {
  await daemon?.stop();
  await cleanPrefix(rs.redis.url, prefix).catch(() => {});
  await api?.close();
});

const callAfter = (seq: number, pred: (c: RecordedCall) => boolean, ms = 15_000) =>
  rs.fake.waitFor((c) => c.seq > seq && pred(c), ms);
const last = () => rs.fake.calls.at(-1)?.seq ?? 0;
type Button = { action_id: string; value: string; text?: { text: string } };
const buttonsOf = (blocks: unknown): Button[] =>
  ((blocks ?? []) as { type: string; elements?: Button[] }[])
    .filter((b) => b.type === "actions")
    .flatMap((b) => b.elements ?? []);

async function press(messageTs: string, b: Button, threadTs?: string) {
  const res = await sendBlockAction({
    url: `${base}/slack/events`,
    signingSecret: SECRET,
    userId: ANA,
    userName: "ana",
    channelId: CHANNEL,
    messageTs,
    ...(threadTs ? { threadTs } : {}),
    actions: [{ action_id: b.action_id, block_id: "x", value: b.value }],
  });
  expect(res.status).toBe(200);
}

/** Prometheus text → series name → [{labels, value}]. */
function parseMetrics(text: string): Map<string, { labels: Record<string, string>; value: number }[]> {
  const out = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const list = out.get(m[1]!) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1]!, list);
  }
  return out;
}

describe("metrics and logs of a real run", () => {
  let series: Map<string, { labels: Record<string, string>; value: number }[]>;
  const value = (name: string, labels: Record<string, string>) =>
    (series.get(name) ?? [])
      .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((a, s) => a + s.value, 0);

  it("slash command → report → rollback planned, confirmed and run", async () => {
    let seq = last();
    const res = await sendSlashCommand({
      url: `${base}/slack/events`,
      signingSecret: SECRET,
      text: "yahoo -n default",
      channelId: CHANNEL,
      userId: ANA,
    });
    expect(res.status).toBe(200);
    const posted = await callAfter(
      seq,
      (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === CHANNEL,
    );
    const reportTs = String(posted.response.ts);
    const rollback = await eventually(
      () =>
        buttonsOf(rs.fake.message(CHANNEL, reportTs)?.blocks).find((b) =>
          /Roll back to revision 1/.test(b.text?.text ?? ""),
        ),
      15_000,
      "the report's rollback button",
    );
    seq = last();
    await press(reportTs, rollback);
    const plan = await callAfter(
      seq,
      (c) =>
        c.method === "chat.postMessage" &&
        c.args.thread_ts === reportTs &&
        /^Plan: /.test(String(c.args.text)),
    );
    const confirm = buttonsOf(plan.args.blocks).find((b) => b.action_id === "plan-confirm")!;
    seq = last();
    await press(String(plan.response.ts), confirm, reportTs);
    await callAfter(
      seq,
      (c) =>
        c.method === "chat.postMessage" &&
        c.args.thread_ts === reportTs &&
        /Rolled back/.test(String(c.args.text)),
    );

    // The job counts once it has returned, just after its last Slack message: scrape until it is in.
    series = await eventually(
      async () => {
        const scrape = await fetch(`${base}/metrics`);
        expect(scrape.status).toBe(200);
        expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
        const s = parseMetrics(await scrape.text());
        return s.get("helm_doctor_remediations_total")?.some((x) => x.labels.stage === "execute")
          ? s
          : undefined;
      },
      10_000,
      "the remediation counted in /metrics",
    );
  }, 60_000);

  it("/metrics: ack latency, diagnoses, findings, remediations, queues, Kubernetes and Slack calls", () => {
    // The command and both presses were acked with 200, each observed once in the histogram.
    expect(value("helm_doctor_slack_ack_seconds_count", { status: "200" })).toBeGreaterThanOrEqual(3);
    expect(value("helm_doctor_slack_ack_seconds_bucket", { status: "200", le: "3" })).toBeGreaterThanOrEqual(
      3,
    );
    expect(value("helm_doctor_diagnoses_total", { outcome: "report" })).toBe(1);
    expect(value("helm_doctor_diagnosis_duration_seconds_count", { outcome: "report" })).toBe(1);
    expect(value("helm_doctor_findings_total", { code: "resource-moved-into-hook" })).toBe(1);
    expect(
      value("helm_doctor_remediations_total", { stage: "plan", action: "rollback", outcome: "planned" }),
    ).toBe(1);
    expect(
      value("helm_doctor_remediations_total", { stage: "execute", action: "rollback", outcome: "succeeded" }),
    ).toBe(1);
    expect(
      value("helm_doctor_remediation_duration_seconds_count", {
        stage: "execute",
        action: "rollback",
        outcome: "succeeded",
      }),
    ).toBe(1);
    expect(value("helm_doctor_queue_wait_seconds_count", { queue: "diagnose" })).toBe(1);
    expect(value("helm_doctor_queue_wait_seconds_count", { queue: "remediate" })).toBe(2);
    expect(series.get("helm_doctor_queue_jobs")!.map((s) => `${s.labels.queue}/${s.labels.state}`)).toEqual(
      expect.arrayContaining([
        "diagnose/waiting",
        "diagnose/active",
        "remediate/waiting",
        "remediate/delayed",
      ]),
    );
    // Kubernetes: the metadata list of records, reads, and the rollback's writes.
    expect(
      value("helm_doctor_kubernetes_requests_total", { verb: "list", resource: "secrets", code: "200" }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      value("helm_doctor_kubernetes_requests_total", { verb: "get", resource: "secrets", code: "200" }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      value("helm_doctor_kubernetes_requests_total", { verb: "create", resource: "secrets", code: "201" }),
    ).toBe(1);
    expect(
      value("helm_doctor_kubernetes_requests_total", { verb: "update", resource: "secrets", code: "200" }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      value("helm_doctor_kubernetes_requests_total", { verb: "create", resource: "configmaps", code: "201" }),
    ).toBe(1);
    expect(
      value("helm_doctor_kubernetes_request_duration_seconds_count", { verb: "list" }),
    ).toBeGreaterThanOrEqual(2);
    // Slack: the report posted and updated, no error.
    expect(
      value("helm_doctor_slack_api_calls_total", { method: "chat.postMessage", error: "none" }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      value("helm_doctor_slack_api_calls_total", { method: "chat.update", error: "none" }),
    ).toBeGreaterThanOrEqual(1);
    // Process metrics come along.
    expect(series.has("helm_doctor_process_resident_memory_bytes")).toBe(true);
  });

  it("every stdout line is a JSON log event; the audit entries carry who, what, release, revision, outcome", () => {
    const lines = daemon
      .stdout()
      .split("\n")
      .filter((l) => l.trim() !== "");
    expect(lines.length).toBeGreaterThan(3);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) {
      expect(e).toMatchObject({ level: expect.any(String), time: expect.any(String), component: "serve" });
      expect(typeof e.msg).toBe("string");
    }
    const audits = events.filter((e) => e.msg === "audit").map((e) => e.audit as Record<string, unknown>);
    const execution = audits.find((a) => a.event === "helm-doctor.remediation");
    expect(execution).toMatchObject({
      who: "@ana",
      what: "rollback",
      release: "yahoo",
      namespace: "default",
      fromRevision: 2,
      toRevision: 3,
      outcome: "succeeded",
      slackUser: ANA,
    });
    expect(
      audits.some((a) => a.event === "remediation-plan" && a.outcome === "planned" && a.user === ANA),
    ).toBe(true);
    expect(events.some((e) => e.logger !== undefined || /serve: HTTP on/.test(String(e.msg)))).toBe(true);
  });

  it("no log line holds the bot token, the signing secret or a Secret's value", () => {
    const all = daemon.stdout() + daemon.stderr();
    expect(all).toContain('"msg":"audit"'); // the run did log
    // Not vacuous: the diagnosis read the Secret and the release records holding the value.
    expect(
      api.requestsMatching({ verb: "get", resource: "secrets", name: "yahoo-db" }).length,
    ).toBeGreaterThan(0);
    for (const s of [rs.fake.token, SECRET, SECRET_VALUE, Buffer.from(SECRET_VALUE).toString("base64")])
      expect(all).not.toContain(s);
  });
});
