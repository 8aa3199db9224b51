// The logger on its own (format, level, scrubbing, audit events) and `helm-doctor worker`'s own /healthz,
// /readyz and /metrics.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import { auditEvent, createLogger, toLog } from "../../src/observability/log.js";
import { kubeRequestInfo } from "../../src/observability/metrics.js";
import { spawnCli } from "../support/cli.js";
import { type CliDaemon, startCliDaemon } from "../support/cli-daemon.js";
import { memorySink } from "../support/log.js";
import { startTestRedis, type TestRedis, uniquePrefix } from "../support/redis.js";

const sink = memorySink;

const TOKEN = "xoxb-111-222-abcdefABCDEF1234";

describe("logger", () => {
  it("JSON by default off a terminal: level, time, message, audit fields; configured secrets redacted", () => {
    const out = sink();
    const log = toLog(
      createLogger({
        env: {
          SLACK_BOT_TOKEN: TOKEN,
          SLACK_SIGNING_SECRET: "sign-me-please",
          REDIS_URL: "redis://:p4ss-w0rd@r:6379",
        },
        destination: out,
        isTTY: false,
        name: "worker",
      }),
    );
    log.info("connected with", "sign-me-please", "to redis://:p4ss-w0rd@r:6379");
    log.info(
      auditEvent({
        who: "@ana",
        what: "rollback",
        release: "yahoo",
        toRevision: 3,
        outcome: "succeeded",
        note: `token ${TOKEN}`,
      }),
    );
    log.warn(new Error(`slack said no for ${TOKEN}`));
    log.debug("not shown at info");
    const lines = out
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: "info", component: "worker", time: expect.any(String) });
    expect(lines[1]).toMatchObject({
      level: "info",
      msg: "audit",
      audit: { who: "@ana", what: "rollback", release: "yahoo", toRevision: 3, outcome: "succeeded" },
    });
    expect(lines[2]).toMatchObject({ level: "warn", err: { type: "Error" } });
    for (const s of [TOKEN, "sign-me-please", "p4ss-w0rd"]) expect(out.text()).not.toContain(s);
    expect(out.text()).toContain("[redacted]");
  });

  it("text on a terminal, or with LOG_FORMAT=text; LOG_LEVEL filters", () => {
    const out = sink();
    const log = toLog(
      createLogger({ env: { LOG_LEVEL: "warn", NO_COLOR: "1" }, destination: out, isTTY: true }),
    );
    log.info("hidden");
    log.warn("redis (worker): connection refused; reconnecting");
    expect(out.text()).not.toContain("hidden");
    expect(out.text()).toMatch(/WARN.*redis \(worker\): connection refused; reconnecting/);
    expect(() => JSON.parse(out.text())).toThrow();
    const j = sink();
    toLog(createLogger({ env: { LOG_FORMAT: "json" }, destination: j, isTTY: true })).info("x");
    expect(JSON.parse(j.text())).toMatchObject({ msg: "x" });
  });

  it("a wrong LOG_FORMAT or LOG_LEVEL stops serve/worker with a message naming it", async () => {
    let err = "";
    const code = await main(["worker"], {
      out: () => {},
      err: (s) => {
        err += s;
      },
      env: { SLACK_BOT_TOKEN: "xoxb-1", LOG_FORMAT: "yaml" },
      stdoutIsTTY: false,
    });
    expect(code).toBe(1);
    expect(err).toContain('LOG_FORMAT="yaml" must be json or text');
  });
});

describe("a failed start", () => {
  it("exits 1 with the reason although the metrics' Redis connection and signal handlers were set up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-badpolicy-"));
    writeFileSync(join(dir, "policy.yaml"), "version: 2\n");
    const r = await spawnCli(["serve"], {
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: "s",
      REDIS_URL: "redis://127.0.0.1:1",
      PORT: "0",
      HELM_DOCTOR_POLICY: join(dir, "policy.yaml"),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy\.yaml:1: version: 2 must be 1/);
  }, 20_000);
});

describe("Kubernetes request names", () => {
  it.each([
    ["GET", "/api/v1/namespaces/shop/secrets?labelSelector=owner%3Dhelm", "list", "secrets"],
    ["GET", "/api/v1/namespaces/shop/secrets/sh.helm.release.v1.yahoo.v2", "get", "secrets"],
    [
      "GET",
      "/apis/batch/v1/namespaces/shop/jobs?fieldSelector=metadata.name%3Dm&watch=true",
      "watch",
      "jobs",
    ],
    ["POST", "/api/v1/namespaces/shop/configmaps", "create", "configmaps"],
    ["PUT", "/api/v1/namespaces/shop/secrets/x", "update", "secrets"],
    ["PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", "patch", "deployments"],
    ["DELETE", "/apis/apps/v1/namespaces/shop/deployments/web", "delete", "deployments"],
    ["GET", "/api/v1/namespaces/shop/pods/web-1/log", "get", "pods/log"],
    ["GET", "/api/v1/secrets", "list", "secrets"],
    ["GET", "/apis/apps/v1", "discovery", ""],
  ])("%s %s → %s %s", (method, path, verb, resource) => {
    expect(kubeRequestInfo(method, path)).toEqual({ verb, resource });
  });
  it("is not fooled by Slack's Web API paths", () => {
    expect(kubeRequestInfo("POST", "/api/chat.postMessage")).toBeUndefined();
    expect(kubeRequestInfo("GET", "/slack/events")).toBeUndefined();
  });
});

describe("helm-doctor worker serves /healthz, /readyz and /metrics", () => {
  let redis: TestRedis;
  let daemon: CliDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
    await redis?.stop();
  });

  it("on PORT, with JSON logs on stdout", async () => {
    redis = await startTestRedis();
    daemon = await startCliDaemon({
      mode: "worker",
      env: {
        SLACK_BOT_TOKEN: TOKEN,
        REDIS_URL: redis.url,
        HELM_DOCTOR_QUEUE_PREFIX: uniquePrefix("obs-worker"),
        KUBECONFIG: "/nonexistent",
      },
    });
    const base = daemon.base;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
    const m = await (await fetch(`${base}/metrics`)).text();
    expect(m).toContain("# TYPE helm_doctor_diagnoses_total counter");
    expect(m).toMatch(/helm_doctor_queue_jobs\{queue="diagnose",state="waiting"\} 0/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    // SIGTERM stops it with exit 0: what a supervisor (Kubernetes, systemd) sees.
    expect(await daemon.stop(), daemon.stderr()).toBe(0);
    expect(daemon.stdout()).not.toContain(TOKEN);
    for (const l of daemon.stdout().trim().split("\n").filter(Boolean))
      expect(JSON.parse(l)).toMatchObject({ component: "worker" });
  }, 40_000);
});
