// `helm-doctor serve` as an operator runs it: the built CLI, configured only by the environment, with KUBECONFIG
// pointing at the fake API server (the founding case), Slack's Web API at the fake Slack, and a real Redis.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT } from "../support/cli.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { cleanPrefix, freePort, uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { eventually } from "../support/slack-app.js";
import { sendBlockAction, sendSigned, sendSlashCommand } from "../support/slack-request.js";

const SECRET = "cli-serve-signing-secret-0123456789";
const CHANNEL = "C0CLISERV1";
const rs = redisAndSlack();
let api: FakeApiServer;
let child: ChildProcess;
let base: string;
let url: string;
let prefix: string;
let stderr = "";

beforeAll(async () => {
  api = await startFakeApiServer();
  api.seed(foundingCase().bundle().items);
  const dir = mkdtempSync(join(tmpdir(), "hd-serve-"));
  const kubeconfig = api.writeKubeconfig(dir);
  // Only U0GRANTED1 may roll back; everyone may diagnose.
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    "version: 1\nremediate:\n  - users: [U0GRANTED1]\n    actions: [rollback]\n    namespaces: [default]\n",
  );
  const port = await freePort();
  prefix = uniquePrefix("cli-serve");
  base = `http://127.0.0.1:${port}`;
  url = `${base}/slack/events`;
  child = spawn(process.execPath, [BIN, "serve"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: rs.fake.token,
      SLACK_API_URL: rs.fake.apiUrl,
      REDIS_URL: rs.redis.url,
      KUBECONFIG: kubeconfig,
      PORT: String(port),
      HELM_DOCTOR_POLICY: policy,
      HELM_DOCTOR_QUEUE_PREFIX: prefix,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (d) => (stderr += d));
  await eventually(
    async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
    20_000,
    "helm-doctor serve ready",
  );
}, 40_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  await cleanPrefix(rs.redis.url, prefix).catch(() => {});
  await api?.close();
});

describe("helm-doctor serve (built CLI, environment only)", () => {
  let reportTs = "";
  let buttons: { action_id: string; value: string; text: string }[] = [];

  it("answers a signed /helm-doctor and posts a report with rerun and rollback buttons", async () => {
    const res = await sendSlashCommand({
      url,
      signingSecret: SECRET,
      text: "yahoo -n default",
      channelId: CHANNEL,
    });
    expect(res.status).toBe(200);
    const blocks = await eventually(
      () => {
        for (const c of rs.fake.calls) {
          if (
            (c.method !== "chat.postMessage" && c.method !== "chat.update") ||
            !c.ok ||
            c.args.channel !== CHANNEL
          )
            continue;
          const text = JSON.stringify(c.args.blocks ?? "");
          if (text.includes("basic-app-config") && text.includes('"type":"actions"')) {
            reportTs = String(c.args.ts ?? c.response.ts);
            return c.args.blocks as Record<string, unknown>[];
          }
        }
        return undefined;
      },
      15_000,
      "a report naming basic-app-config",
    );
    const actions = blocks.find((b) => b.type === "actions") as { elements: Record<string, unknown>[] };
    buttons = actions.elements.map((e) => ({
      action_id: String(e.action_id),
      value: String(e.value),
      text: String((e.text as { text: string }).text),
    }));
    const labels = buttons.map((b) => b.text);
    expect(labels.some((l) => /re-run the upgrade/i.test(l))).toBe(true);
    expect(labels).toContain("Roll back to revision 1");
    for (const b of buttons) expect(b.value).not.toMatch(/helm|rollback|kubectl/i); // an opaque id, never a command
  }, 30_000);

  it("refuses an unsigned request with 401", async () => {
    const res = await sendSlashCommand({
      url,
      signingSecret: SECRET,
      text: "yahoo",
      channelId: CHANNEL,
      unsigned: true,
    });
    expect(res.status).toBe(401);
    const bad = await sendSigned(
      { url, signingSecret: "wrong-secret", badSignature: true },
      "command=%2Fhelm-doctor&text=yahoo",
    );
    expect(bad.status).toBe(401);
  });

  it("refuses a rollback press by a user the policy does not grant, saying why", async () => {
    const b = buttons.find((x) => x.text === "Roll back to revision 1")!;
    const seq = rs.fake.calls.at(-1)?.seq ?? 0;
    const res = await sendBlockAction({
      url,
      signingSecret: SECRET,
      userId: "U0NOTGRANT",
      userName: "mallory",
      channelId: CHANNEL,
      messageTs: reportTs,
      actions: [{ action_id: b.action_id, block_id: "remediations", value: b.value, text: b.text }],
    });
    expect(res.status).toBe(200);
    const e = await rs.fake.waitFor(
      (c) => c.method === "chat.postEphemeral" && c.args.user === "U0NOTGRANT" && c.seq > seq,
      5000,
    );
    expect(String(e.args.text)).toMatch(/grant/i);
    expect(stderr).not.toMatch(/hunter2/);
  });

  // Last: the process's exit status after SIGTERM, what a supervisor (Kubernetes, systemd) sees.
  it("exits 0 on SIGTERM", async () => {
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);
  });
});
