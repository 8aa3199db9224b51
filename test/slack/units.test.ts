// Unit tests of the Slack front end's pure parts: command grammar, configuration, redaction, Block Kit limits
// by construction, and the authorization policy (plus refusing to start on an invalid one).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BundleSource } from "../../src/cluster/bundle.js";
import { loadConfig } from "../../src/config.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis, Finding } from "../../src/diagnosis/types.js";
import {
  clipMrkdwn,
  confirmText,
  esc,
  MAX_BUTTONS,
  parseButtonValue,
  remediationOptions,
  renderError,
  renderHelp,
  renderProgress,
  renderReleaseList,
  renderReport,
  renderUsageError,
  type SlackMessage,
} from "../../src/report/blockkit.js";
import { isSensitiveKey, REDACTED, Redactor, redact } from "../../src/report/redact.js";
import { parseCommand } from "../../src/slack/commands.js";
import {
  Authorizer,
  DEFAULT_POLICY,
  type Directory,
  loadPolicy,
  PolicyError,
  parsePolicy,
} from "../../src/slack/policy.js";
import { startServe } from "../../src/slack/serve.js";
import { FAST_RETRY, MemoryLogger, startFakeSlack, validateBlocks } from "../support/fake-slack/index.js";
import { countingBundleFactory, FOUNDING_BUNDLE } from "../support/slack-app.js";

// ---------------------------------------------------------------- commands

describe("command grammar", () => {
  const p = (t: string) => parseCommand(t, "apps");

  it("diagnose forms", () => {
    expect(p("yahoo")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "apps" });
    expect(p("yahoo -n shop")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "shop" });
    expect(p("-n shop yahoo")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "shop" });
    expect(p("shop/yahoo")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "shop" });
    expect(p("  shop/yahoo\u00a0 --namespace=shop ")).toEqual({
      kind: "diagnose",
      release: "yahoo",
      namespace: "shop",
    });
    expect(p("my.app-2")).toEqual({ kind: "diagnose", release: "my.app-2", namespace: "apps" });
  });

  it("list and help", () => {
    expect(p("list")).toEqual({ kind: "list", namespace: "apps" });
    expect(p("list -n shop")).toEqual({ kind: "list", namespace: "shop" });
    expect(p("")).toEqual({ kind: "help" });
    expect(p("help")).toEqual({ kind: "help" });
    expect(p("shop/list")).toEqual({ kind: "diagnose", release: "list", namespace: "shop" });
  });

  it("last: the stored report of a release", () => {
    expect(p("last yahoo")).toEqual({ kind: "last", release: "yahoo", namespace: "apps" });
    expect(p("last shop/yahoo")).toEqual({ kind: "last", release: "yahoo", namespace: "shop" });
    expect(p("last -n shop yahoo")).toEqual({ kind: "last", release: "yahoo", namespace: "shop" });
    expect(p("shop/last")).toEqual({ kind: "diagnose", release: "last", namespace: "shop" });
    expect(p("last")).toEqual({ kind: "usage", problem: "last needs a <release>" });
    expect(p("last a b")).toEqual({ kind: "usage", problem: 'unexpected argument "b"' });
  });

  it("bad input says what is wrong", () => {
    const problem = (t: string) => {
      const c = p(t);
      return c.kind === "usage" ? c.problem : `not a usage error: ${JSON.stringify(c)}`;
    };
    expect(problem("Yahoo")).toMatch(/^invalid release name "Yahoo": Helm release names are lowercase/);
    expect(problem("a".repeat(54))).toContain("at most 53 characters");
    expect(problem("yahoo -n")).toBe("-n needs a namespace");
    expect(problem("yahoo -n Shop")).toContain('invalid namespace "Shop"');
    expect(problem("shop/yahoo -n other")).toBe('"shop/yahoo" names namespace shop but -n says other');
    expect(problem("yahoo extra")).toBe('unexpected argument "extra"');
    expect(problem("yahoo --force")).toBe('unknown option "--force"');
    expect(problem("-n shop")).toBe("missing <release>");
    expect(problem("help me")).toBe('"help" takes no arguments');
    expect(problem("yahoo -n a -n b")).toBe("the namespace is given twice");
  });
});

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
    });
    const c = loadConfig(
      {
        ...base,
        HELM_DOCTOR_LOCK_SECONDS: "30",
        HELM_DOCTOR_STALLED_CHECK_SECONDS: "5",
        HELM_DOCTOR_MAX_RESTARTS: "0",
        HELM_DOCTOR_SHUTDOWN_SECONDS: "25",
      },
      "worker",
    );
    expect(c).toMatchObject({
      jobLockMs: 30_000,
      stalledCheckMs: 5000,
      maxStalls: 0,
      shutdownGraceMs: 25_000,
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

// ---------------------------------------------------------------- redact

describe("redact()", () => {
  it("redacts values of sensitive keys in the usual notations", () => {
    expect(redact("password=hunter2 user=ana")).toBe(`password=${REDACTED} user=ana`);
    expect(redact('{"dbPassword": "s3cret", "user": "ana"}')).toBe(
      `{"dbPassword": "${REDACTED}", "user": "ana"}`,
    );
    expect(redact("API_KEY: abc123def")).toBe(`API_KEY: ${REDACTED}`);
    expect(redact("client_secret='xyz789'")).toBe(`client_secret='${REDACTED}'`);
    expect(redact("auth-token=qwerty1234")).toBe(`auth-token=${REDACTED}`);
  });

  it("keeps references to secrets and ordinary words", () => {
    expect(redact("secretName: db-credentials")).toBe("secretName: db-credentials");
    expect(redact("existingSecret: db-credentials")).toBe("existingSecret: db-credentials");
    expect(redact('configmap "basic-app-config" not found')).toBe('configmap "basic-app-config" not found');
    expect(redact("hook-delete-policy: before-hook-creation")).toBe(
      "hook-delete-policy: before-hook-creation",
    );
    const digest = `image nginx@sha256:${"ab12".repeat(16)}`;
    expect(redact(digest)).toBe(digest);
    expect(redact("author: ana")).toBe("author: ana");
    expect(isSensitiveKey("password")).toBe(true);
    expect(isSensitiveKey("passwordSecretRef")).toBe(false);
  });

  it("redacts credentials in URLs, bearer tokens, well-known tokens, private keys and opaque blobs", () => {
    expect(redact("postgres://app:pa55w0rd@db:5432/app")).toBe(`postgres://app:${REDACTED}@db:5432/app`);
    expect(redact("Authorization: Bearer abcdefghijklmnop")).not.toContain("abcdefghijklmnop");
    expect(redact("token xoxb-1234567890-abcdefghij")).not.toContain("xoxb-1234567890");
    expect(redact("key AKIAABCDEFGHIJKLMNOP here")).toBe(`key ${REDACTED} here`);
    expect(redact("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0NTY3.SflKxwRJSMeKKF2QT4fw")).toBe(`jwt ${REDACTED}`);
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----";
    expect(redact(`key:\n${pem}\nrest`)).toBe("key:\n[redacted private key]\nrest");
    expect(redact("data c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2g9PQ== end")).toBe(`data ${REDACTED} end`);
  });
});

describe("Redactor", () => {
  it("redacts known literals anywhere, longest first, then patterns", () => {
    const r = new Redactor([
      "hunter2-Sup3r",
      "hunter2",
      "true",
      "ab",
      "line one of a cert\nline two of a cert",
    ]);
    expect(r.text("pw is hunter2-Sup3r, or hunter2")).toBe(`pw is ${REDACTED}, or ${REDACTED}`);
    expect(r.text("enabled: true")).toBe("enabled: true");
    expect(r.text("ab cd")).toBe("ab cd");
    expect(r.text("got line two of a cert")).toBe(`got ${REDACTED}`);
  });

  it("deep() redacts every string value of a structure, keeping keys", () => {
    const r = new Redactor(["s3cr3t-value"]);
    const out = r.deep({ a: ["x s3cr3t-value"], b: { "s3cr3t-value": 1, c: "password=abc" }, n: 2 });
    expect(out).toEqual({ a: [`x ${REDACTED}`], b: { "s3cr3t-value": 1, c: `password=${REDACTED}` }, n: 2 });
  });
});

// ---------------------------------------------------------------- blockkit

// Block Kit limits by construction: the founding report, a huge synthetic diagnosis, lists and notices all
// pass the fake Slack's validator (the same rules Slack applies).

function valid(m: SlackMessage): void {
  expect(validateBlocks(m.blocks, "message")).toEqual([]);
  expect([...m.text].length).toBeLessThanOrEqual(3000);
  expect(m.text.length).toBeGreaterThan(0);
}

const huge = "é🙂<&>".repeat(4000); // code points, entities, astral characters

function hugeDiagnosis(): Diagnosis {
  const finding = (i: number): Finding => ({
    code: "hook-failed",
    severity: i % 3 === 0 ? "critical" : i % 3 === 1 ? "warning" : "info",
    title: `${i} ${huge}`,
    explanation: huge,
    resources: Array.from({ length: 50 }, (_, j) => ({
      kind: "ConfigMap",
      name: `cm-${j}-${"x".repeat(200)}`,
    })),
    revisions: [1, 2],
    evidence: Array.from({ length: 60 }, (_, j) => ({ source: `source ${j} ${huge}`, detail: huge })),
    remediations: [
      { action: "rerun-upgrade", revision: i + 1, summary: huge },
      { action: "rollback", revision: i, summary: huge },
      {
        action: "restore-hook-resources",
        revision: i,
        summary: huge,
        resources: Array.from({ length: 20 }, (_, j) => ({ kind: "Secret", name: `s-${j}` })),
      },
      { action: "delete-leftover-hook", summary: huge },
      { action: "chart-fix", summary: huge },
      { action: "manual", summary: huge },
    ],
    role: "root",
  });
  return {
    release: "r".repeat(53),
    namespace: "n".repeat(63),
    revision: 123456,
    status: "failed",
    chart: huge,
    appVersion: huge,
    revisions: Array.from({ length: 300 }, (_, i) => ({
      revision: i + 1,
      status: "superseded",
      chart: huge.slice(0, 300),
      appVersion: "1",
      description: huge,
      updated: "2026-11-20T10:00:00Z",
    })),
    findings: Array.from({ length: 120 }, (_, i) => finding(i)),
    gaps: Array.from({ length: 80 }, (_, i) => ({
      what: `thing ${i} ${huge}`,
      reason: "forbidden",
      detail: huge,
    })),
    now: "2026-11-24T10:00:00Z",
    source: huge,
  };
}

describe("Block Kit rendering", () => {
  it("keeps a huge synthetic diagnosis within every limit, main message and thread", () => {
    const d = hugeDiagnosis();
    const r = renderReport(d, { diagnosisId: "Abc123_-xyzXYZ0987" });
    valid(r.main);
    expect(r.main.blocks.length).toBeLessThanOrEqual(50);
    expect(r.thread.length).toBeGreaterThan(1);
    for (const t of r.thread) valid(t);
    const actions = r.main.blocks.filter((b) => b.type === "actions");
    expect(actions).toHaveLength(1);
    expect((actions[0] as { elements: unknown[] }).elements.length).toBe(MAX_BUTTONS);
    // Without a stored diagnosis there are no buttons.
    const plain = renderReport(d);
    valid(plain.main);
    expect(plain.main.blocks.some((b) => b.type === "actions")).toBe(false);
  });

  it("renders the founding case with the verdict, facts, evidence, chart fix and three buttons", async () => {
    const snap = await new BundleSource(FOUNDING_BUNDLE).load(
      "yahoo",
      "default",
      new Date("2026-11-20T11:10:00Z"),
    );
    const d = diagnose(snap);
    const r = renderReport(d, { diagnosisId: "Abc123_-xyz" });
    valid(r.main);
    const json = JSON.stringify(r.main.blocks);
    expect(json).toContain("default/yahoo: ConfigMap basic-app-config became a pre-install,pre-upgrade hook");
    expect(json).toContain("basic-app-0.1.0");
    expect(json).toContain(
      "*Impact:* 1 of 2 pods of Deployment yahoo-basic-app cannot start since 2026-11-20 11:00:00 UTC",
    );
    // The story, evidence and chart fix are in the thread, not the channel message.
    const thread = JSON.stringify(r.thread.map((t) => t.blocks));
    expect(json).not.toContain("*Chart fix:*");
    expect(thread).toContain("*Chart fix:*");
    expect(thread).toContain('MountVolume.SetUp failed for volume \\"foo\\"');
    const opts = remediationOptions(d);
    // Least invasive first: one object, then a re-run, then a rollback.
    expect(opts.map((o) => o.action)).toEqual(["restore-hook-resources", "rerun-upgrade", "rollback"]);
    expect(opts[0]!.label).toBe("Restore ConfigMap basic-app-config");
    expect(confirmText(d, opts[2]!)).toMatch(
      /^Rolls default\/yahoo back to revision 1 and writes revision 3/,
    );
    expect(confirmText(d, opts[0]!)).toContain("No new revision is written");
    expect(parseButtonValue("Abc123_-xyz.1")).toEqual({ diagnosisId: "Abc123_-xyz", index: 1 });
    expect(parseButtonValue("helm rollback yahoo 1")).toBeUndefined();
    for (const t of r.thread) valid(t);
  });

  it("escapes mrkdwn control characters and never cuts an entity in half", () => {
    expect(esc("<!channel> a&b")).toBe("&lt;!channel&gt; a&amp;b");
    const cut = clipMrkdwn(esc(`${"x".repeat(9)}<<<<`), 12);
    expect(cut).not.toMatch(/&[a-z]*…$/);
    expect([...cut].length).toBeLessThanOrEqual(12);
  });

  it("keeps lists, progress, errors and help within limits", () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({
      name: `release-${i}-${"y".repeat(40)}`,
      namespace: "shop",
      revisions: 10,
      latestRevision: i,
      status: i % 7 === 0 ? "failed" : i % 5 === 0 ? "pending-upgrade" : "deployed",
      driver: "secret",
    }));
    const list = renderReleaseList("shop", many);
    valid(list);
    const first = JSON.stringify(list.blocks).indexOf(":red_circle:");
    const firstGreen = JSON.stringify(list.blocks).indexOf(":large_green_circle:");
    expect(first).toBeLessThan(firstGreen);
    expect(JSON.stringify(list.blocks)).toContain("more not shown");
    valid(renderReleaseList("empty", []));
    valid(
      renderProgress(
        { release: "yahoo", namespace: "default" },
        huge,
        Array.from({ length: 30 }, (_, i) => `U0${i}XX`),
      ),
    );
    valid(renderError({ namespace: "shop" }, huge, huge));
    valid(renderHelp());
    valid(renderUsageError(huge));
  });
});

// ---------------------------------------------------------------- policy

// The authorization policy: parsing with precise errors, decisions with reasons, and refusing to start on an
// invalid file.

const EXAMPLE = `# who may use helm-doctor from Slack
version: 1
diagnose:
  channels: [C0HELMOPS1, C0PLATFORM]
  namespaces: ["*"]
remediate:
  - users: [U0ANA00001]
    actions: [rollback, rerun-upgrade]
    namespaces: [shop, "team-*"]
  - usergroups: [S0SRE00001]
    actions: ["*"]
    namespaces: ["*"]
    channels: [C0HELMOPS1]
`;

const groups = (m: Record<string, string[]>): Directory => ({
  groupMembers: async (g) => {
    if (g === "S0BROKEN01") throw new Error("missing_scope");
    return new Set(m[g] ?? []);
  },
});

function policyError(text: string): string {
  try {
    parsePolicy(text, "/etc/helm-doctor/policy.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as Error).message;
  }
  throw new Error("expected a PolicyError");
}

describe("policy file", () => {
  it("parses the documented example", () => {
    const p = parsePolicy(EXAMPLE, "policy.yaml");
    expect(p.diagnose.channels).toEqual(["C0HELMOPS1", "C0PLATFORM"]);
    expect(p.remediate).toHaveLength(2);
    expect(p.remediate[1]).toMatchObject({
      usergroups: ["S0SRE00001"],
      actions: ["*"],
      channels: ["C0HELMOPS1"],
    });
  });

  it("names file, line, path and problem for a bad action", () => {
    const msg = policyError(EXAMPLE.replace("[rollback, rerun-upgrade]", "[rollback, rerun]"));
    expect(msg).toBe(
      'HELM_DOCTOR_POLICY /etc/helm-doctor/policy.yaml:8: remediate[0].actions[1]: "rerun" is not a remediation (one of rerun-upgrade, rollback, restore-hook-resources, delete-leftover-hook, or "*")',
    );
  });

  it("rejects unknown keys, channel names, grants to nobody, bad YAML and empty files precisely", () => {
    expect(policyError("diagnose:\n  channel: [C0HELMOPS1]\n")).toBe(
      'HELM_DOCTOR_POLICY /etc/helm-doctor/policy.yaml:2: diagnose.channel: unknown key "channel" (expected: channels, users, usergroups, namespaces)',
    );
    expect(policyError("remediation: []\n")).toContain(':1: remediation: unknown key "remediation"');
    expect(policyError("diagnose:\n  channels: ['#helm-ops']\n")).toContain(
      ':2: diagnose.channels[0]: "#helm-ops" is not a Slack channel ID',
    );
    expect(policyError("remediate:\n  - actions: [rollback]\n    namespaces: [shop]\n")).toContain(
      ":2: remediate[0]: grants to nobody: give users or usergroups",
    );
    expect(policyError("remediate:\n  - users: [U0ANA00001]\n    actions: [rollback]\n")).toMatch(
      /:2: remediate\[0\]\.namespaces: is required \(a list\)/,
    );
    expect(policyError("diagnose: [\n")).toMatch(
      /^HELM_DOCTOR_POLICY \/etc\/helm-doctor\/policy\.yaml:2:1: not valid YAML/,
    );
    expect(policyError("")).toContain("the file is empty");
    expect(
      policyError("remediate:\n  - users: [ana]\n    actions: [rollback]\n    namespaces: [shop]\n"),
    ).toContain(':2: remediate[0].users[0]: "ana" is not a Slack user ID');
  });

  it("the shipped docker-compose.yml runs Redis with AOF persistence", async () => {
    const { readFile } = await import("node:fs/promises");
    const { parse } = await import("yaml");
    const compose = parse(await readFile(new URL("../../docker-compose.yml", import.meta.url), "utf8"));
    const cmd = (compose.services.redis.command as string[]).join(" ");
    expect(cmd).toContain("--appendonly yes");
    expect(compose.services.redis.volumes.join(" ")).toContain(":/data");
  });

  it("the shipped example policy and Slack app manifest are valid", async () => {
    const example = await loadPolicy(
      fileURLToPath(new URL("../../deploy/policy.example.yaml", import.meta.url)),
    );
    expect(example.remediate).toEqual([]);
    const manifest = parse(
      readFileSync(fileURLToPath(new URL("../../deploy/slack-app-manifest.yaml", import.meta.url)), "utf8"),
    );
    expect(manifest.features.slash_commands[0].command).toBe("/helm-doctor");
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining(["commands", "chat:write", "chat:write.public", "usergroups:read"]),
    );
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });

  it("loadPolicy: no file → the secure default; a missing file is an error", async () => {
    expect(await loadPolicy(undefined)).toBe(DEFAULT_POLICY);
    await expect(loadPolicy("/nonexistent/policy.yaml")).rejects.toThrow(
      "HELM_DOCTOR_POLICY /nonexistent/policy.yaml: no such file",
    );
  });
});

describe("decisions", () => {
  const p = parsePolicy(EXAMPLE, "policy.yaml");
  const auth = new Authorizer(p, groups({ S0SRE00001: ["U0CAROL003"] }));

  it("default policy: anyone may diagnose anywhere, nobody may remediate", async () => {
    const d = new Authorizer(DEFAULT_POLICY, groups({}));
    expect(await d.canDiagnose({ user: "U1", channel: "C1", namespace: "x" })).toEqual({ allowed: true });
    const r = await d.canRemediate({ user: "U1", channel: "C1", action: "rollback", namespace: "x" });
    expect(r.allowed).toBe(false);
    expect(r.allowed === false && r.reason).toContain("by default nobody may remediate");
  });

  it("diagnose only in the listed channels", async () => {
    expect(await auth.canDiagnose({ user: "U0X", channel: "C0HELMOPS1", namespace: "shop" })).toEqual({
      allowed: true,
    });
    const r = await auth.canDiagnose({ user: "U0X", channel: "C0RANDOM01", namespace: "shop" });
    expect(r.allowed === false && r.reason).toContain("only in <#C0HELMOPS1>, <#C0PLATFORM>");
  });

  it("remediate by user grant, namespace pattern and group membership", async () => {
    const ok = (x: { allowed: boolean }) => x.allowed;
    expect(
      ok(
        await auth.canRemediate({
          user: "U0ANA00001",
          channel: "C9",
          action: "rollback",
          namespace: "team-a",
        }),
      ),
    ).toBe(true);
    expect(
      ok(
        await auth.canRemediate({ user: "U0ANA00001", channel: "C9", action: "rollback", namespace: "prod" }),
      ),
    ).toBe(false);
    expect(
      ok(
        await auth.canRemediate({
          user: "U0CAROL003",
          channel: "C0HELMOPS1",
          action: "delete-leftover-hook",
          namespace: "prod",
        }),
      ),
    ).toBe(true);
    const ch = await auth.canRemediate({
      user: "U0CAROL003",
      channel: "C0OTHER001",
      action: "rollback",
      namespace: "prod",
    });
    expect(ch.allowed === false && ch.reason).toContain("from this channel");
  });

  it("a group that cannot be read is named in the refusal", async () => {
    const a = new Authorizer(
      parsePolicy(
        "remediate:\n  - usergroups: [S0BROKEN01]\n    actions: ['*']\n    namespaces: ['*']\n",
        "p.yaml",
      ),
      groups({}),
    );
    const r = await a.canRemediate({ user: "U0X", channel: "C1", action: "rollback", namespace: "x" });
    expect(r.allowed === false && r.reason).toContain(
      "could not read user group <!subteam^S0BROKEN01>: missing_scope",
    );
  });
});

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
