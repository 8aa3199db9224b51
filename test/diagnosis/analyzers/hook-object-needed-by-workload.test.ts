// hook-object-needed-by-workload: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { CAUSES_NOW, regeneratedPassword } from "../../support/scenarios/causes.js";
import { FOUNDING_NOW, foundingCase } from "../../support/scenarios/founding.js";
import { hookObjectNeeded, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import {
  actions,
  codes,
  diagnoseScenario,
  evidenceText,
  only,
  type RunOptions,
  summaries,
} from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("hook-object-needed-by-workload", () => {
  it("a hook-succeeded Secret the Deployment still needs comes first, with restore and a chart fix", () => {
    const d = run(hookObjectNeeded());
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-object-needed-by-workload");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "Secret", name: "api-db-credentials", namespace: "payments" });
    expect(f.resources).toContainEqual({ kind: "Deployment", name: "api", namespace: "payments" });
    expect(f.revisions).toEqual([2]);
    expect(actions(f)).toContainEqual(["restore-hook-resources", 2]);
    expect(summaries(f, "chart-fix")).toMatch(
      /In api\/templates\/db-secret.yaml: never put `hook-succeeded`/,
    );
    expect(actions(f).map((a) => a[0])).not.toContain("rerun-upgrade");
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2 hooks: Secret api-db-credentials is a hook .*delete policy before-hook-creation,hook-succeeded, last run Succeeded/,
    );
    expect(ev).toMatch(
      /Deployment api .* uses Secret api-db-credentials: env DB_PASSWORD of container api \(key password\)/,
    );
    expect(ev).toMatch(/live cluster: Secret payments\/api-db-credentials does not exist/);
    // The stuck pods are evidence of this finding, not findings of their own.
    expect(codes(d)).not.toContain("pod-config-missing");
    expect(ev).toMatch(/event Warning Failed ×14.*secret "api-db-credentials" not found/);
    expect(f.explanation).toMatch(/after the pre-upgrade hook phase of revision 2 succeeded/);
    expect(f.explanation).toMatch(/Re-running the upgrade does not help/);
  });

  it("a hook-succeeded ServiceAccount: the ReplicaSet's FailedCreate folds into it", () => {
    const d = run(hookObjectNeeded({ serviceAccount: true }));
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-object-needed-by-workload");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toMatchObject({ kind: "ServiceAccount", name: "api-sa" });
    expect(codes(d)).not.toContain("pod-create-forbidden");
    expect(evidenceText(f)).toMatch(/FailedCreate ×17.*serviceaccount "api-sa" not found/);
    expect(actions(f)).toContainEqual(["restore-hook-resources", 2]);
  });

  it("a warning when the Secret exists again: the next hook run deletes it", () => {
    const f = only(run(hookObjectNeeded({ secretLive: true })), "hook-object-needed-by-workload");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/the next pre-install\/pre-upgrade run deletes it again/);
    expect(actions(f).map((a) => a[0])).not.toContain("restore-hook-resources");
  });

  it("a warning for a before-hook-creation Secret regenerated (randAlphaNum) on every upgrade", () => {
    const f = only(
      run(hookObjectNeeded({ policy: "before-hook-creation", random: true })),
      "hook-object-needed-by-workload",
    );
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/recreated by every pre-upgrade hook run .*randAlphaNum/);
    expect(evidenceText(f)).toMatch(/chart template api\/templates\/db-secret.yaml: uses randAlphaNum/);
    expect(summaries(f, "chart-fix")).toMatch(/lookup/);
  });

  it("near miss: only the migration Job uses the hook Secret", () => {
    expect(codes(run(hookObjectNeeded({ onlyJobUses: true })))).not.toContain(
      "hook-object-needed-by-workload",
    );
  });

  it("does not double-fire with resource-moved-into-hook (the founding case)", () => {
    const s = foundingCase();
    const d = run(s, { now: FOUNDING_NOW });
    expect(d.findings[0]!.code).toBe("resource-moved-into-hook");
    expect(codes(d)).not.toContain("hook-object-needed-by-workload");
    expect(codes(d)).not.toContain("pod-mount-failed");
  });
});

describe("hook-object-needed-by-workload explains the authentication failures of a regenerated password", () => {
  it("the hook recreated the password Secret with a new random value; the new pods are refused", () => {
    const d = diagnoseScenario(regeneratedPassword(), CAUSES_NOW);
    const f = only(d, "hook-object-needed-by-workload");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("pod-crash-loop");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /^Secret shop-db-password got a new randAlphaNum value when the pre-upgrade hook recreated it in revision 2, and Deployment shop-api is refused with it/,
    );
    expect(evidenceText(f)).toMatch(/password authentication failed for user "shop"/);
    // A rollback cannot bring the old value back; the old value is in revision 1's stored hook.
    expect(f.remediations.map((r) => r.action)).not.toContain("rollback");
    expect(f.remediations.find((r) => r.action === "manual")!.summary).toMatch(
      /helm get hooks shop -n shop --revision 1/,
    );
  });

  it("near miss: the pods crash for another reason — the crash first, the recurring Secret a warning", () => {
    const d = diagnoseScenario(
      regeneratedPassword({ message: "panic: open /etc/shop/config.yaml: no such file or directory" }),
      CAUSES_NOW,
    );
    expect(codes(d)).toEqual(["pod-crash-loop", "hook-object-needed-by-workload"]);
    expect(only(d, "hook-object-needed-by-workload").severity).toBe("warning");
  });

  it("near miss: authentication fails in pods that do not use the Secret", () => {
    expect(codes(diagnoseScenario(regeneratedPassword({ usesSecret: false }), CAUSES_NOW))).toEqual([
      "pod-crash-loop",
    ]);
  });
});

describe("hook-object-needed-by-workload names only who is refused", () => {
  it("the database that uses the same Secret keeps running on the old value; only the api is named as refused", () => {
    const d = diagnoseScenario(regeneratedPassword({ withDatabase: true }), CAUSES_NOW);
    const f = only(d, "hook-object-needed-by-workload");
    expect(f.title).toMatch(/, and Deployment shop-api is refused with it$/);
    expect(f.title).not.toMatch(/StatefulSet shop-db is refused/);
    expect(f.resources).toContainEqual({ kind: "StatefulSet", name: "shop-db", namespace: "shop" });
  });
});
