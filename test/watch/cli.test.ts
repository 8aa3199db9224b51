// `helm-doctor worker --watch` and `helm-doctor watch` as processes, configured by the environment only (as in a
// container): the agent of a cluster watches its release records through the fake API server and posts the
// report of a release that turned failed in the alert channel, unasked; SIGTERM stops it cleanly.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runCli } from "../support/cli.js";
import { type CliDaemon, startCliDaemon } from "../support/cli-daemon.js";
import {
  type FakeApiServer,
  grantsFromObjects,
  startFakeApiServer,
} from "../support/fake-apiserver/index.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack/index.js";
import { cleanPrefix, freePort, startTestRedis, type TestRedis, uniquePrefix } from "../support/redis.js";
import { eventually } from "../support/slack-app.js";
import { releaseHistory, replaceObject, topLevelPost } from "../support/watch-rig.js";

let redis: TestRedis;
let fake: FakeSlack;
let api: FakeApiServer;
let dir: string;

beforeAll(async () => {
  redis = await startTestRedis();
  fake = await startFakeSlack();
  api = await startFakeApiServer();
  dir = mkdtempSync(join(tmpdir(), "hd-watch-cli-"));
});
afterAll(async () => {
  await api?.close();
  await fake?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("helm-doctor worker --watch", () => {
  const prefix = uniquePrefix("watchcli");
  let agent: CliDaemon;
  const shop = releaseHistory("shop", "web");

  afterAll(async () => {
    await agent?.stop();
    await cleanPrefix(redis.url, prefix);
  });

  it("posts the report of a release that turned failed, unasked, and stops on SIGTERM", async () => {
    api.seed([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "web" } },
      shop.revision("deployed", 0),
      shop.live("1"),
    ]);
    agent = await startCliDaemon({
      mode: "worker",
      args: ["--watch"],
      env: {
        SLACK_BOT_TOKEN: fake.token,
        SLACK_API_URL: fake.apiUrl,
        REDIS_URL: redis.url,
        HELM_DOCTOR_QUEUE_PREFIX: prefix,
        KUBECONFIG: api.writeKubeconfig(dir, "web"),
        HELM_DOCTOR_WATCH_NAMESPACES: "web",
        HELM_DOCTOR_ALERT_CHANNEL: "C0WATCHCLI",
        LOG_FORMAT: "json",
      },
    });
    // Watching: the list, then the watch from its resourceVersion.
    await eventually(
      () =>
        api.requestsMatching({ verb: "watch", resource: "secrets", namespace: "web" }).length > 0
          ? true
          : undefined,
      10_000,
      "the watch request",
    );
    api.seed(shop.revision("pending-upgrade", 1));
    replaceObject(api, shop.set(2, "failed", 'Upgrade "shop" failed: timed out waiting for the condition'));
    const post = await fake.waitFor(topLevelPost({ channel: "C0WATCHCLI" }), 20_000);
    expect(String(post.args.text)).toContain("web/shop");
    expect(JSON.stringify(post.args.blocks)).toContain(
      "posted by helm-doctor watch: revision 2 turned failed",
    );
    expect(await agent.stop()).toBe(0);
    expect(agent.stderr()).toContain("helm-doctor worker: stopped");
  });
});

describe("helm-doctor watch whose Role lacks watch on the release records", () => {
  const prefix = uniquePrefix("watchclirbac");
  let agent: CliDaemon;
  let lift = () => {};
  const RULE = 'missing RBAC rule: apiGroups=[""] resources=["secrets"] verbs=[watch] in namespace shop';

  afterAll(async () => {
    await agent?.stop();
    lift();
    await cleanPrefix(redis.url, prefix);
  });

  it("answers /readyz 503 with the missing rule, exposes it as a metric, and logs it once", async () => {
    api.seed([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } }]);
    // The Roles of `helm-doctor rbac -n shop,web --remediation`, plus web's watch Role: shop lacks `watch`.
    const roles = await runCli(["rbac", "-n", "shop,web", "--remediation"], {});
    const webWatch = await runCli(["rbac", "-n", "web", "--watch"], {});
    lift = api.authorize(
      grantsFromObjects(
        parseAllDocuments(roles.stdout + webWatch.stdout).map((d) => d.toJSON()),
        "system:serviceaccount:helm-doctor:helm-doctor",
      ),
    );
    agent = await startCliDaemon({
      mode: "watch",
      env: {
        SLACK_BOT_TOKEN: fake.token,
        SLACK_API_URL: fake.apiUrl,
        REDIS_URL: redis.url,
        HELM_DOCTOR_QUEUE_PREFIX: prefix,
        KUBECONFIG: api.writeKubeconfig(dir, "shop"),
        HELM_DOCTOR_WATCH_NAMESPACES: "shop,web",
        HELM_DOCTOR_ALERT_CHANNEL: "C0WATCHCLI",
        LOG_FORMAT: "json",
      },
      readyStatus: 503,
    });
    // 503 "starting" first, then (once the watch was refused) the rule.
    const body = await eventually(
      async () => {
        const r = await fetch(`${agent.base}/readyz`);
        const text = await r.text();
        return r.status === 503 && text.includes(RULE) ? text : undefined;
      },
      10_000,
      "readyz to name the missing rule",
    );
    expect(body).toContain(RULE);
    expect(body).toContain("helm-doctor rbac -n shop --watch");
    expect(body).not.toContain("redis");
    expect(body).not.toContain("namespace web");
    const metrics = await (await fetch(`${agent.base}/metrics`)).text();
    expect(metrics).toMatch(
      /^helm_doctor_watch_forbidden\{namespace="shop",resource="secrets",verb="watch"\} 1$/m,
    );
    expect(metrics).not.toMatch(/^helm_doctor_watch_forbidden\{namespace="web"/m);
    // The refused watch, logged as an error naming the rule (retried every 15–30 s, quietly).
    await eventually(
      () =>
        api.requestsMatching({ verb: "watch", resource: "secrets", namespace: "shop" }).length > 0
          ? true
          : undefined,
      10_000,
      "the refused watch",
    );
    const lines = agent
      .stdout()
      .split("\n")
      .filter((l) => l.includes("missing RBAC rule"));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error" });
    expect(JSON.parse(lines[0]!).msg).toContain(RULE);
    expect(await agent.stop()).toBe(0);
  });
});

describe("helm-doctor watch while Redis is down", () => {
  let agent: CliDaemon | undefined;
  afterAll(async () => {
    if (agent?.child.exitCode === null) agent.child.kill("SIGKILL");
  });

  it("answers /healthz at once, and /readyz 503 saying it is starting, then that Redis is unreachable", async () => {
    const down = await freePort();
    agent = await startCliDaemon({
      mode: "watch",
      env: {
        SLACK_BOT_TOKEN: fake.token,
        SLACK_API_URL: fake.apiUrl,
        REDIS_URL: `redis://127.0.0.1:${down}`,
        KUBECONFIG: api.writeKubeconfig(dir, "web"),
        HELM_DOCTOR_WATCH_NAMESPACES: "web",
        HELM_DOCTOR_ALERT_CHANNEL: "C0WATCHCLI",
        LOG_FORMAT: "json",
      },
      readyStatus: 503,
    });
    // The first election waits for Redis (up to 5 s): a liveness probe meanwhile gets its answer.
    const [health, ready] = await Promise.all([
      fetch(`${agent.base}/healthz`),
      fetch(`${agent.base}/readyz`),
    ]);
    expect(health.status).toBe(200);
    expect(await ready.text()).toContain("starting");
    expect(agent.stderr()).not.toContain("helm-doctor watch: cluster");
    await eventually(
      async () => {
        const body = await (await fetch(`${agent!.base}/readyz`)).text();
        return body.includes("redis unreachable") ? true : undefined;
      },
      20_000,
      "readyz to report Redis",
    );
    expect(agent.stderr()).toContain(
      "helm-doctor watch: cluster default, namespaces web, records in secrets",
    );
  });
});

describe("helm-doctor watch configuration", () => {
  it("refuses to start without the namespaces to watch and a channel, naming both", async () => {
    const r = await runCli(["watch"], {
      SLACK_BOT_TOKEN: "xoxb-test",
      REDIS_URL: redis.url,
      KUBECONFIG: api.writeKubeconfig(dir, "web"),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HELM_DOCTOR_WATCH_NAMESPACES is not set");
    expect(r.stderr).toContain("HELM_DOCTOR_ALERT_CHANNEL is not set");
  });

  it("rejects --watch with --bundle", async () => {
    const r = await runCli(["worker", "--watch", "--bundle", "x.json"], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--watch");
  });
});
