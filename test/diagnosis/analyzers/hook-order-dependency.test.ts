// hook-order-dependency: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Diagnosis, FindingCode } from "../../../src/diagnosis/types.js";
import type { Scenario } from "../../support/scenario.js";
import { HOOKS_NOW, hookOrder } from "../../support/scenarios/hooks.js";
import { diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions = {}) => diagnoseScenario(s, HOOKS_NOW, o);

const GROUP_B: FindingCode[] = [
  "hook-failed",
  "hook-leftover-blocks",
  "pre-install-hook-needs-manifest-object",
  "hook-sidecar-blocks-completion",
  "post-hook-wait-deadlock",
  "hook-order-dependency",
];
const seriousOfGroupB = (d: Diagnosis) =>
  d.findings.filter((f) => GROUP_B.includes(f.code) && f.severity !== "info").map((f) => f.code);

describe("hook-order-dependency", () => {
  it("the Job sorts before its ServiceAccount at equal weight, by name", () => {
    const d = run(hookOrder());
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-order-dependency");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Hook Job app-db-init runs before the ServiceAccount app-migrator it needs \(pre-install: weight 0 vs 0\)/,
    );
    expect(f.resources).toEqual([
      { kind: "Job", name: "app-db-init", namespace: "data" },
      { kind: "ServiceAccount", name: "app-migrator", namespace: "data" },
    ]);
    expect(f.revisions).toEqual([1]);
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /pre-install run order \(weight, then name\): 1\. Job app-db-init \(weight 0\), 2\. ServiceAccount app-migrator \(weight 0\)/,
    );
    expect(ev).toMatch(/app-migrator never ran in this revision: the phase stopped at app-db-init/);
    expect(ev).toMatch(/FailedCreate ×14/);
    expect(f.explanation).toMatch(/"app-db-init" < "app-migrator" \(kind does not count\)/);
    expect(f.remediations[0]).toMatchObject({ action: "chart-fix" });
    expect(f.remediations[0]!.summary).toMatch(
      /app\/templates\/hooks\/serviceaccount\.yaml: give ServiceAccount app-migrator a lower weight/,
    );
    expect(d.findings.map((x) => x.code)).not.toContain("hook-failed");
    expect(d.findings.map((x) => x.code)).not.toContain("pre-install-hook-needs-manifest-object");
  });

  it("a higher weight on the dependency", () => {
    const f = only(run(hookOrder({ saWeight: "5" })), "hook-order-dependency");
    expect(f.explanation).toMatch(/its weight 5 is higher than app-db-init's 0/);
  });

  it("near misses: a lower weight on the dependency; a deployed release where it worked (info only)", () => {
    expect(run(hookOrder({ saWeight: "-10" })).findings.map((f) => f.code)).not.toContain(
      "hook-order-dependency",
    );
    const d = run(hookOrder({ deployed: true }));
    expect(only(d, "hook-order-dependency").severity).toBe("info");
    expect(seriousOfGroupB(d)).toEqual([]);
  });
});
