// The authorization policy: parsing with precise errors, and decisions with reasons.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  Authorizer,
  DEFAULT_POLICY,
  type Directory,
  loadPolicy,
  PolicyError,
  parsePolicy,
} from "../../src/slack/policy.js";

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
      'HELM_DOCTOR_POLICY /etc/helm-doctor/policy.yaml:2: diagnose.channel: unknown key "channel" (expected: channels, users, usergroups, namespaces, clusters)',
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

describe("per-cluster grants", () => {
  const p = parsePolicy(
    `diagnose:
  clusters: [prod, "staging-*"]
remediate:
  - users: [U0ANA00001]
    actions: [rollback]
    namespaces: [shop]
    clusters: ["staging-*"]
  - users: [U0BOB00002]
    actions: [rollback]
    namespaces: [shop]
`,
    "policy.yaml",
  );
  const auth = new Authorizer(p, groups({}));
  const rollback = (user: string, cluster?: string) =>
    auth.canRemediate({
      user,
      channel: "C1",
      action: "rollback",
      namespace: "shop",
      ...(cluster ? { cluster } : {}),
    });

  it("a grant naming clusters covers only those (prefix patterns too); a grant without clusters covers all", async () => {
    expect(p.remediate[0]?.clusters).toEqual(["staging-*"]);
    expect(await rollback("U0ANA00001", "staging-eu")).toEqual({ allowed: true });
    const refused = await rollback("U0ANA00001", "prod");
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.reason).toContain("of cluster `prod`");
    expect(refused.allowed === false && refused.reason).toContain(
      "rollback in `shop` of cluster `staging-*`",
    );
    // Near miss: a name that only starts like the pattern's prefix without its dash.
    expect((await rollback("U0ANA00001", "stagingx")).allowed).toBe(false);
    // The default cluster is not `staging-*` either.
    expect((await rollback("U0ANA00001")).allowed).toBe(false);
    expect(await rollback("U0BOB00002", "prod")).toEqual({ allowed: true });
    expect(await rollback("U0BOB00002")).toEqual({ allowed: true });
  });

  it("diagnose rules may name clusters", async () => {
    expect(await auth.canDiagnose({ user: "U1", channel: "C1", namespace: "x", cluster: "prod" })).toEqual({
      allowed: true,
    });
    const r = await auth.canDiagnose({ user: "U1", channel: "C1", namespace: "x", cluster: "dev" });
    expect(r.allowed === false && r.reason).toContain("cluster `dev` may not be diagnosed from Slack");
  });

  it("rejects a bad cluster pattern and names the keys a grant takes", () => {
    expect(
      policyError(
        "remediate:\n  - users: [U0ANA00001]\n    actions: [rollback]\n    namespaces: [shop]\n    clusters: [Prod]\n",
      ),
    ).toContain(':5: remediate[0].clusters[0]: "Prod" is not a cluster name');
    expect(
      policyError(
        "remediate:\n  - users: [U0ANA00001]\n    actions: [rollback]\n    namespaces: [shop]\n    cluster: prod\n",
      ),
    ).toContain(
      'unknown key "cluster" (expected: users, usergroups, actions, namespaces, channels, clusters)',
    );
  });
});
