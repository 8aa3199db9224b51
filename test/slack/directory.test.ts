// User group membership for authorization: known without a Slack call once read, refreshed in the background
// once older than the TTL, not trusted once too old; and the diagnose decision made from it before the ack.
import { describe, expect, it } from "vitest";
import { Authorizer, parsePolicy, SlackDirectory } from "../../src/slack/policy.js";

function slack(members: Record<string, string[]>) {
  const calls: string[] = [];
  let failing = false;
  const client = {
    usergroups: {
      users: {
        list: async ({ usergroup }: { usergroup: string }) => {
          calls.push(usergroup);
          if (failing) throw new Error("internal_error");
          return { ok: true, users: members[usergroup] ?? [] };
        },
      },
    },
  };
  return { client, calls, fail: (f: boolean) => (failing = f) };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

describe("SlackDirectory", () => {
  it("knows a group once read, refreshes it in the background when stale, forgets it when too old", async () => {
    let now = 0;
    const s = slack({ S0ONCALL01: ["U0CAROL003"] });
    const dir = new SlackDirectory(s.client, { ttlMs: 60_000, maxStaleMs: 600_000 }, () => now);
    expect(dir.knownMembers("S0ONCALL01")).toBeUndefined();
    dir.warm(["S0ONCALL01", "S0ONCALL01"]);
    await settle();
    expect(s.calls).toEqual(["S0ONCALL01"]);
    expect(dir.knownMembers("S0ONCALL01")?.has("U0CAROL003")).toBe(true);

    now = 59_999; // fresh: no call
    expect(dir.knownMembers("S0ONCALL01")?.has("U0CAROL003")).toBe(true);
    expect(s.calls).toHaveLength(1);

    now = 60_000; // stale: still answered from the cache, read again behind it (once)
    expect(dir.knownMembers("S0ONCALL01")?.has("U0CAROL003")).toBe(true);
    expect(dir.knownMembers("S0ONCALL01")).toBeDefined();
    await settle();
    expect(s.calls).toHaveLength(2);

    s.fail(true); // a failed refresh keeps what was known…
    now = 130_000;
    expect(dir.knownMembers("S0ONCALL01")).toBeDefined();
    await settle();
    now = 660_000; // …until it is too old to trust
    expect(dir.knownMembers("S0ONCALL01")).toBeUndefined();
    await expect(dir.groupMembers("S0ONCALL01")).rejects.toThrow("internal_error");
  });
});

describe("Authorizer.canDiagnoseNow", () => {
  const policy = parsePolicy(
    "diagnose:\n  channels: [C0HELMOPS1]\n  users: [U0ANA00001]\n  usergroups: [S0ONCALL01]\n  namespaces: [shop]\n",
    "policy.yaml",
  );

  it("decides without Slack from the policy and known membership; undefined while a group is unknown", async () => {
    const s = slack({ S0ONCALL01: ["U0CAROL003"] });
    const dir = new SlackDirectory(s.client);
    const auth = new Authorizer(policy, dir);
    const req = (user: string, channel = "C0HELMOPS1", namespace = "shop") => ({ user, channel, namespace });

    expect(auth.canDiagnoseNow(req("U0ANA00001"))).toEqual({ allowed: true }); // listed by name
    expect(auth.canDiagnoseNow(req("U0CAROL003"))).toBeUndefined(); // the group is not read yet
    const elsewhere = auth.canDiagnoseNow(req("U0CAROL003", "C0RANDOM01"));
    expect(elsewhere?.allowed === false && elsewhere.reason).toContain("not enabled in this channel");
    expect(s.calls).toEqual([]);

    dir.warm(["S0ONCALL01"]);
    await settle();
    expect(auth.canDiagnoseNow(req("U0CAROL003"))).toEqual({ allowed: true });
    const bob = auth.canDiagnoseNow(req("U0BOB00002"));
    expect(bob?.allowed === false && bob.reason).toContain("you may not run diagnoses");
    const ns = auth.canDiagnoseNow(req("U0CAROL003", "C0HELMOPS1", "prod"));
    expect(ns?.allowed === false && ns.reason).toContain("namespace `prod` may not be diagnosed");
    // The asynchronous decision agrees, and asks Slack no more.
    expect(await auth.canDiagnose(req("U0BOB00002"))).toEqual(bob);
    expect(s.calls).toHaveLength(1);
  });
});
