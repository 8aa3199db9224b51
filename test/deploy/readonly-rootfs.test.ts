// The chart's security context, without Docker: `helm-doctor serve` (the built CLI, as the image runs it) in a
// mount namespace whose root filesystem is read-only, with only /tmp writable (the chart's emptyDir), diagnoses
// a release from a slash command end to end. Needs root for unshare(1); skipped with a message otherwise.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.js";
import { type CliDaemon, startCliDaemon } from "../support/cli-daemon.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack/index.js";
import { cleanPrefix, startTestRedis, type TestRedis, uniquePrefix } from "../support/redis.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { eventually } from "../support/slack-app.js";
import { sendSlashCommand } from "../support/slack-request.js";

// Read-only root (bind-remounted), a fresh tmpfs on /tmp; then prove a write elsewhere fails before starting.
const SETUP =
  "mount --bind / / && mount -o remount,bind,ro / && mount -t tmpfs -o size=64m,mode=1777 tmpfs /tmp && " +
  `if touch "${ROOT}/.rw-probe" 2>/dev/null; then echo "root is writable" >&2; exit 97; fi && exec "$0" "$@"`;

const probe = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", SETUP, "true"], {
  encoding: "utf8",
});
const unavailable =
  probe.status === 0
    ? undefined
    : `unshare -m failed (needs root): ${(probe.stderr || probe.error?.message || "").trim()}`;
if (unavailable) console.warn(`skipping the read-only root filesystem test: ${unavailable}`);

const SECRET = "ro-signing-secret-0123456789abcdef";
const CHANNEL = "C0READONLY";
let redis: TestRedis;
let fake: FakeSlack;
let api: FakeApiServer;
let daemon: CliDaemon;
let prefix: string;

describe.skipIf(!!unavailable)("serve with a read-only root filesystem and a writable /tmp", () => {
  beforeAll(async () => {
    redis = await startTestRedis();
    fake = await startFakeSlack();
    api = await startFakeApiServer();
    api.seed(foundingCase().bundle().items);
    // The kubeconfig must be readable inside: /tmp is a new tmpfs there, so keep it under the repository.
    mkdirSync(join(ROOT, "node_modules/.cache"), { recursive: true });
    const kubeconfig = api.writeKubeconfig(mkdtempSync(join(ROOT, "node_modules/.cache/hd-ro-")));
    prefix = uniquePrefix("ro");
    daemon = await startCliDaemon({
      mode: "serve",
      wrapper: ["unshare", "-m", "--propagation", "private", "sh", "-c", SETUP],
      env: {
        HOME: tmpdir(),
        NODE_ENV: "production",
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: fake.token,
        SLACK_API_URL: fake.apiUrl,
        REDIS_URL: redis.url,
        KUBECONFIG: kubeconfig,
        HELM_DOCTOR_QUEUE_PREFIX: prefix,
        LOG_FORMAT: "json",
      },
    });
  }, 40_000);

  afterAll(async () => {
    await daemon?.stop();
    await cleanPrefix(redis.url, prefix).catch(() => {});
    await api?.close();
    await fake?.close();
    await redis?.stop();
  });

  it("a slash command gets its report, and the process writes nowhere but /tmp", async () => {
    const res = await sendSlashCommand({
      url: `${daemon.base}/slack/events`,
      signingSecret: SECRET,
      text: "yahoo -n default",
      channelId: CHANNEL,
    });
    expect(res.status).toBe(200);
    const p = await fake.waitFor(
      (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === CHANNEL,
      10_000,
    );
    await eventually(
      () =>
        JSON.stringify(fake.message(CHANNEL, String(p.response.ts))?.blocks).includes("basic-app-config")
          ? true
          : undefined,
      15_000,
      "the report",
    );
    expect(daemon.stderr()).not.toMatch(/EROFS|read-only file system/i);
    expect(daemon.child.exitCode).toBeNull();
  }, 30_000);
});
