// Configuration from the environment: defaults, every variable, and precise errors.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

describe("configuration", () => {
  const base = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" };

  it("defaults", () => {
    const c = loadConfig(base, "serve");
    expect(c).toMatchObject({
      port: 3000,
      redisUrl: "redis://127.0.0.1:6379",
      defaultNamespace: "default",
      queuePrefix: "helm-doctor",
      dedupWindowMs: 30_000,
      diagnosisTtlSeconds: 86_400,
    });
    expect(c.slack.appToken).toBeUndefined();
    expect(c.kubeconfig).toBeUndefined();
  });

  it("job recovery and shutdown: defaults that restart a dead worker's job within about 10 s, and the environment", () => {
    expect(loadConfig(base, "worker")).toMatchObject({
      jobLockMs: 8000,
      stalledCheckMs: 2000,
      maxStalls: 2,
      shutdownGraceMs: 10_000,
      exitWaitMs: 2000,
    });
    const c = loadConfig(
      {
        ...base,
        HELM_DOCTOR_LOCK_SECONDS: "30",
        HELM_DOCTOR_STALLED_CHECK_SECONDS: "5",
        HELM_DOCTOR_MAX_RESTARTS: "0",
        HELM_DOCTOR_SHUTDOWN_SECONDS: "25",
        HELM_DOCTOR_EXIT_SECONDS: "0",
      },
      "worker",
    );
    expect(c).toMatchObject({
      jobLockMs: 30_000,
      stalledCheckMs: 5000,
      maxStalls: 0,
      shutdownGraceMs: 25_000,
      exitWaitMs: 0,
    });
    expect(() => loadConfig({ ...base, HELM_DOCTOR_LOCK_SECONDS: "1" }, "worker")).toThrow(
      /HELM_DOCTOR_LOCK_SECONDS="1" is not a number of seconds \(a whole number from 2 to 600\)/,
    );
  });

  it("lists every problem with the variable name", () => {
    let msg = "";
    try {
      loadConfig(
        {
          SLACK_BOT_TOKEN: "xoxp-user",
          SLACK_APP_TOKEN: "abc",
          PORT: "http",
          REDIS_URL: "localhost:6379",
          HELM_DOCTOR_DEFAULT_NAMESPACE: "Prod",
          SLACK_API_URL: "slack",
        },
        "serve",
      );
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain("SLACK_BOT_TOKEN does not look like a bot token");
    expect(msg).toContain("SLACK_APP_TOKEN does not look like an app-level token");
    expect(msg).toContain('PORT="http" is not a port number');
    expect(msg).toContain('REDIS_URL="localhost:6379" is not a Redis URL');
    expect(msg).toContain('HELM_DOCTOR_DEFAULT_NAMESPACE: invalid namespace "Prod"');
    expect(msg).toContain('SLACK_API_URL="slack" is not an http(s) URL');
  });

  it("HTTP mode needs the signing secret; Socket Mode and the worker do not", () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: "xoxb-1" }, "serve")).toThrow(
      /SLACK_SIGNING_SECRET is not set/,
    );
    expect(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }, "serve").slack.appToken).toBe(
      "xapp-1",
    );
    expect(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1" }, "worker").slack.signingSecret).toBeUndefined();
    expect(() => loadConfig({}, "worker")).toThrow(/SLACK_BOT_TOKEN is not set/);
  });
});
