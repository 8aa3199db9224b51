// startServe refuses to start, saying why: a Socket Mode app token Slack rejects, an invalid policy file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startServe } from "../../src/slack/serve.js";
import { FAST_RETRY, MemoryLogger, startFakeSlack } from "../support/fake-slack/index.js";
import { countingBundleFactory } from "../support/slack-app.js";

describe("Socket Mode", () => {
  it("connects with the app token (apps.connections.open); a rejected token stops start with a clear error", async () => {
    const fake = await startFakeSlack({ extraTokens: ["xapp-1-test"] });
    fake.handle("apps.connections.open", () => ({ ok: false, error: "invalid_auth" }));
    try {
      const config = loadConfig(
        {
          SLACK_BOT_TOKEN: fake.token,
          SLACK_APP_TOKEN: "xapp-1-test",
          SLACK_API_URL: fake.apiUrl,
          REDIS_URL: "redis://127.0.0.1:1",
          PORT: "0",
        },
        "serve",
      );
      await expect(
        startServe(config, {
          sourceFactory: countingBundleFactory(),
          handleSignals: false,
          logger: new MemoryLogger(),
          retryConfig: FAST_RETRY,
        }),
      ).rejects.toThrow("cannot start the Slack Socket Mode connection: An API error occurred: invalid_auth");
      expect(fake.calls.map((c) => `${c.method} ${c.token}`)).toEqual([
        `auth.test ${fake.token}`,
        "apps.connections.open xapp-1-test",
      ]);
    } finally {
      await fake.close();
    }
  });
});

describe("startServe with an invalid policy", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hd-policy-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to start, saying where the mistake is", async () => {
    const file = join(dir, "policy.yaml");
    writeFileSync(
      file,
      "remediate:\n  - users: [U0ANA00001]\n    actions: [rollback]\n    namespaces: [Shop]\n",
    );
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: "xoxb-test",
        SLACK_SIGNING_SECRET: "s",
        HELM_DOCTOR_POLICY: file,
        REDIS_URL: "redis://127.0.0.1:1",
        PORT: "0",
      },
      "serve",
    );
    await expect(
      startServe(config, { sourceFactory: countingBundleFactory(), handleSignals: false }),
    ).rejects.toThrow(`HELM_DOCTOR_POLICY ${file}:4: remediate[0].namespaces[0]: "Shop" is not a namespace`);
  });
});
