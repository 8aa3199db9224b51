// One Slack front end for two clusters: the built CLI's `serve --no-worker` (the front end only, configured by the
// environment) and one agent per cluster, each
// with its own fake API server reached through client-node over HTTP, all on one Redis. The `prod` agent is a
// worker in this process; the `staging` agent is the built CLI (`helm-doctor worker`), so it can be killed as a
// pod is. Commands reach the cluster they address (by name, or by the channel's default from the routing file),
// a button press and its Confirm run only in the report's cluster, `/helm-doctor clusters` lists both, and a
// killed agent is reported not alive within its heartbeat interval.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webApi } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveSource } from "../../src/cluster/live.js";
import { loadConfig } from "../../src/config.js";
import { decodeRecord, type RecordObject, recordName } from "../../src/helm/codec.js";
import { startWorker, type WorkerHandle } from "../../src/queue/worker.js";
import { type CliDaemon, startCliDaemon } from "../support/cli-daemon.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import {
  FAST_RETRY,
  type FakeSlack,
  type RecordedCall,
  startFakeSlack,
} from "../support/fake-slack/index.js";
import { cleanPrefix, startTestRedis, type TestRedis, uniquePrefix } from "../support/redis.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { eventually, SIGNING_SECRET } from "../support/slack-app.js";
import { sendBlockAction, sendSlashCommand } from "../support/slack-request.js";
import { quietLog } from "../support/watch-rig.js";

type Obj = Record<string, unknown>;

const ANA = "U0ANA00001";
/** A channel whose commands go to `staging` unless they name a cluster (the routing file's `channels`). */
const STAGING_OPS = "C0STAGING1";
const OPS = "C0HELMOPS1";
const HEARTBEAT_MS = 1000;
// Ana may roll back in prod only: the grant names the cluster.
const POLICY = `
version: 1
remediate:
  - users: [${ANA}]
    actions: [rollback]
    namespaces: [default]
    clusters: [prod]
`;

let redis: TestRedis;
let fake: FakeSlack;
let prodApi: FakeApiServer;
let stagingApi: FakeApiServer;
let prodAgent: WorkerHandle;
let stagingAgent: CliDaemon;
let serve: CliDaemon;
let url: string;
const dir = mkdtempSync(join(tmpdir(), "hd-multi-"));
const prefix = uniquePrefix("multi");

function agentEnv(cluster: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: fake.token,
    SLACK_API_URL: fake.apiUrl,
    REDIS_URL: redis.url,
    HELM_DOCTOR_QUEUE_PREFIX: prefix,
    HELM_DOCTOR_CLUSTER: cluster,
    HELM_DOCTOR_HEARTBEAT_SECONDS: String(HEARTBEAT_MS / 1000),
  };
}

beforeAll(async () => {
  redis = await startTestRedis();
  fake = await startFakeSlack();
  // The same release, broken the same way, in both clusters: only the API server a request reaches tells them apart.
  prodApi = await startFakeApiServer();
  stagingApi = await startFakeApiServer();
  prodApi.seed(foundingCase().bundle().items);
  stagingApi.seed(foundingCase().bundle().items);
  const prodKubeconfig = prodApi.writeKubeconfig(mkdtempSync(join(dir, "prod-")));
  const stagingKubeconfig = stagingApi.writeKubeconfig(mkdtempSync(join(dir, "staging-")));

  prodAgent = await startWorker(loadConfig(agentEnv("prod"), "worker"), {
    sourceFactory: () =>
      LiveSource.fromKubeconfig({
        kubeconfig: prodKubeconfig,
        env: {},
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
      }),
    slack: new webApi.WebClient(fake.token, { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRY }),
    log: quietLog,
    handleSignals: false,
    tuning: { updateIntervalMs: 50 },
  });
  stagingAgent = await startCliDaemon({
    mode: "worker",
    env: { ...agentEnv("staging"), KUBECONFIG: stagingKubeconfig, LOG_LEVEL: "warn" },
  });

  const routes = join(dir, "routes.yaml");
  writeFileSync(routes, `version: 1\nchannels:\n  ${STAGING_OPS}: { cluster: staging }\n`);
  const policy = join(dir, "policy.yaml");
  writeFileSync(policy, POLICY);
  serve = await startCliDaemon({
    mode: "serve",
    args: ["--no-worker"],
    // The front end's own cluster is prod: commands naming none, in a channel without a default, go there. Every
    // command reads its cluster afresh (no joining an earlier run of the same release). No KUBECONFIG: the front
    // end never reads a cluster.
    env: {
      SLACK_BOT_TOKEN: fake.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      REDIS_URL: redis.url,
      HELM_DOCTOR_QUEUE_PREFIX: prefix,
      HELM_DOCTOR_POLICY: policy,
      HELM_DOCTOR_ROUTES: routes,
      HELM_DOCTOR_CLUSTER: "prod",
      HELM_DOCTOR_DEDUP_SECONDS: "0",
      LOG_LEVEL: "warn",
    },
  });
  url = `${serve.base}/slack/events`;
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await stagingAgent?.stop();
  await prodAgent?.close();
  await prodApi?.close();
  await stagingApi?.close();
  await fake?.close();
  await cleanPrefix(redis.url, prefix);
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const last = () => fake.calls.at(-1)?.seq ?? 0;
const callAfter = (seq: number, pred: (c: RecordedCall) => boolean, timeoutMs = 15_000) =>
  fake.waitFor((c) => c.seq > seq && pred(c), timeoutMs);
const reads = (api: FakeApiServer) => api.requests.filter((r) => r.method === "GET").length;
const api = (srv: FakeApiServer, verb: "list") => srv.requests.filter((r) => r.verb === verb).length;
const writes = (api: FakeApiServer) => api.requests.filter((r) => r.method !== "GET").length;

function buttonsOf(blocks: unknown): { action_id: string; value: string; text: string }[] {
  return ((blocks as Obj[]) ?? [])
    .filter((b) => b.type === "actions")
    .flatMap((b) => b.elements as Obj[])
    .map((e) => ({
      action_id: String(e.action_id),
      value: String(e.value),
      text: String((e.text as { text: string }).text),
    }));
}

let responses = 0;
/** A signed slash command; resolves with the response_url id its ephemeral answers go to. */
async function command(text: string, channel = OPS): Promise<string> {
  const id = `r${++responses}`;
  const res = await sendSlashCommand({
    url,
    signingSecret: SIGNING_SECRET,
    text,
    channelId: channel,
    userId: ANA,
    responseUrl: fake.responseUrl(id),
  });
  expect(res.status).toBe(200);
  return id;
}

/** A diagnosis command's channel message once it is the final report. */
async function report(text: string, channel = OPS): Promise<{ ts: string; blocks: string; raw: unknown }> {
  const seq = last();
  await command(text, channel);
  const posted = await callAfter(
    seq,
    // The channel message, not a late thread reply of an earlier report.
    (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === channel && !c.args.thread_ts,
  );
  const ts = String(posted.response.ts);
  return eventually(() => {
    const m = fake.message(channel, ts);
    const blocks = JSON.stringify(m?.blocks ?? []);
    return blocks.includes("hourglass_flowing_sand") || blocks === "[]"
      ? undefined
      : { ts, blocks, raw: m?.blocks };
  }, 15_000);
}

async function press(messageTs: string, b: { action_id: string; value: string }, threadTs?: string) {
  const res = await sendBlockAction({
    url,
    signingSecret: SIGNING_SECRET,
    userId: ANA,
    userName: "ana",
    channelId: OPS,
    messageTs,
    ...(threadTs ? { threadTs } : {}),
    actions: [{ action_id: b.action_id, block_id: "x", value: b.value }],
  });
  expect(res.status).toBe(200);
}

/** The text of `/helm-doctor clusters`' answer. */
async function clusters(): Promise<string> {
  const id = await command("clusters");
  const r = await fake.waitForResponse(id, 5000);
  return JSON.stringify(r.body);
}

describe("one front end, two clusters", () => {
  it("/helm-doctor clusters lists both clusters, alive", async () => {
    const text = await clusters();
    expect(text).toContain("2 of 2 alive");
    expect(text).toMatch(/`prod`: alive \(1 agent: worker\)/);
    expect(text).toMatch(/`staging`: alive \(1 agent: worker\)/);
  });

  it("a command reaches the cluster it names, and only that cluster", async () => {
    const prodReads = reads(prodApi);
    const stagingReads = reads(stagingApi);
    const r = await report("prod/default/yahoo");
    expect(r.blocks).toContain("prod · default/yahoo");
    // Its buttons carry the cluster.
    const buttons = buttonsOf(r.raw);
    expect(buttons.length).toBeGreaterThan(0);
    for (const b of buttons) expect(b.value).toMatch(/^[A-Za-z0-9_-]{8,}\.\d+\.prod$/);
    expect(reads(prodApi)).toBeGreaterThan(prodReads);
    expect(reads(stagingApi)).toBe(stagingReads);

    const s = await report("yahoo --cluster staging");
    expect(s.blocks).toContain("staging · default/yahoo");
    expect(reads(stagingApi)).toBeGreaterThan(stagingReads);
  });

  it("list --cluster lists that cluster's releases", async () => {
    const before = api(stagingApi, "list");
    const prodBefore = api(prodApi, "list");
    const l = await report("list --cluster staging");
    expect(l.blocks).toContain("Helm releases in staging · default");
    expect(api(stagingApi, "list")).toBeGreaterThan(before);
    expect(api(prodApi, "list")).toBe(prodBefore);
  });

  it("a channel's default cluster comes from the routing file; a command naming none elsewhere uses the front end's", async () => {
    const stagingReads = reads(stagingApi);
    const prodReads = reads(prodApi);
    const s = await report("yahoo", STAGING_OPS);
    expect(s.blocks).toContain("staging · default/yahoo");
    expect(reads(stagingApi)).toBeGreaterThan(stagingReads);
    expect(reads(prodApi)).toBe(prodReads);

    const stagingNow = reads(stagingApi);
    const p = await report("yahoo");
    expect(p.blocks).toContain("prod · default/yahoo");
    expect(reads(prodApi)).toBeGreaterThan(prodReads);
    expect(reads(stagingApi)).toBe(stagingNow);

    // Near miss: in the staging channel, a command naming prod goes to prod.
    const prodNow = reads(prodApi);
    const named = await report("prod/default/yahoo", STAGING_OPS);
    expect(named.blocks).toContain("prod · default/yahoo");
    expect(reads(prodApi)).toBeGreaterThan(prodNow);
    expect(reads(stagingApi)).toBe(stagingNow);
  });

  it("a button press and its Confirm run only in the report's cluster", async () => {
    const r = await report("prod/default/yahoo");
    const rollback = buttonsOf(r.raw).find((b) => b.text === "Roll back to revision 1")!;
    expect(rollback).toBeDefined();
    const prodWrites = writes(prodApi);
    const stagingWrites = writes(stagingApi);

    let seq = last();
    await press(r.ts, rollback);
    const plan = await callAfter(
      seq,
      (c) =>
        c.method === "chat.postMessage" && c.args.thread_ts === r.ts && /^Plan: /.test(String(c.args.text)),
    );
    expect(JSON.stringify(plan.args.blocks)).toContain("Plan: prod · Roll back default/yahoo to revision 1");
    // A dry run in prod: nothing written anywhere yet.
    expect(writes(prodApi)).toBe(prodWrites);
    const confirm = buttonsOf(plan.args.blocks).find((b) => b.action_id === "plan-confirm")!;
    expect(JSON.stringify(plan.args.blocks)).toContain("prod · default/yahoo?");

    seq = last();
    await press(String(plan.response.ts), confirm, r.ts);
    const result = await callAfter(
      seq,
      (c) =>
        c.method === "chat.postMessage" &&
        c.args.thread_ts === r.ts &&
        /Rolled back/.test(String(c.args.text)),
      30_000,
    );
    // Its notification names the cluster, as every message of a named cluster does.
    expect(String(result.args.text)).toMatch(/^prod · Rolled back to revision 1/);
    const rev3 = prodApi.get({ kind: "Secret", namespace: "default", name: recordName("yahoo", 3) });
    expect(rev3 && decodeRecord(rev3 as unknown as RecordObject).release?.info.status).toBe("deployed");
    expect(writes(prodApi)).toBeGreaterThan(prodWrites);
    // The other cluster's API server saw no write, and its release is as it was.
    expect(writes(stagingApi)).toBe(stagingWrites);
    expect(
      stagingApi.get({ kind: "Secret", namespace: "default", name: recordName("yahoo", 3) }),
    ).toBeUndefined();
  });

  it("a grant for prod does not let the same user roll back in staging", async () => {
    const s = await report("staging/default/yahoo");
    const rollback = buttonsOf(s.raw).find((b) => b.text === "Roll back to revision 1")!;
    expect(rollback.value).toMatch(/\.staging$/);
    const seq = last();
    await press(s.ts, rollback);
    const refused = await callAfter(seq, (c) => c.method === "chat.postEphemeral" && c.args.user === ANA);
    expect(String(refused.args.text)).toContain("of cluster `staging`");
    expect(writes(stagingApi)).toBe(0);
  });

  it("a killed agent is reported not alive within its heartbeat interval, and its commands are answered at once", async () => {
    stagingAgent.child.kill("SIGKILL");
    await stagingAgent.stop();
    // The front end reads the heartbeats afresh at most every second; the agent beat last at most a third of its
    // interval before it died.
    const text = await eventually(
      async () => {
        const t = await clusters();
        return /`staging`: not alive/.test(t) ? t : undefined;
      },
      HEARTBEAT_MS + 1000 + 3000,
      "staging reported not alive",
    );
    expect(text).toContain("1 of 2 alive");
    expect(text).toMatch(/`prod`: alive/);
    expect(text).toMatch(/`staging`: not alive \(no heartbeat\), last seen \d+ s ago/);
    // Alive first.
    expect(text.indexOf("`prod`")).toBeLessThan(text.indexOf("`staging`"));

    const before = fake.okCallsTo("chat.postMessage").length;
    const id = await command("staging/default/yahoo");
    const answer = await fake.waitForResponse(
      (r) => r.id === id && JSON.stringify(r.body).includes("Nothing was started"),
      5000,
    );
    expect(JSON.stringify(answer.body)).toContain("no helm-doctor worker of cluster `staging` is alive");
    expect(JSON.stringify(answer.body)).toContain("Clusters alive now: `prod`");
    // No channel message left at "queued…".
    expect(fake.okCallsTo("chat.postMessage").length).toBe(before);

    // Near miss: a cluster nobody ever ran an agent for is named as such.
    const unknown = await command("qa/default/yahoo");
    const u = await fake.waitForResponse(
      (r) => r.id === unknown && JSON.stringify(r.body).includes("Nothing"),
      5000,
    );
    expect(JSON.stringify(u.body)).toContain("no helm-doctor agent of cluster `qa` has announced itself");
  });

  it("an agent that stops cleanly is not alive at once, and its cluster stays listed", async () => {
    await prodAgent.close();
    const text = await eventually(
      async () => {
        const t = await clusters();
        return /`prod`: not alive/.test(t) ? t : undefined;
      },
      3000,
      "prod reported not alive",
    );
    expect(text).toMatch(/`prod`: not alive \(its agent stopped\)/);
    expect(text).toContain("0 of 2 alive");
  });
});
