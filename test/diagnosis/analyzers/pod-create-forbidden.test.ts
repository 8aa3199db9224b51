// pod-create-forbidden: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { forbiddenCase, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
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

describe("pod-create-forbidden", () => {
  it("a ResourceQuota refuses the new ReplicaSet's pods after revision 3 raised the limits", () => {
    const d = run(forbiddenCase("quota"));
    const f = d.findings[0]!;
    expect(f.code).toBe("pod-create-forbidden");
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "Deployment storefront cannot create pods: exceeded quota compute-quota (since revision 3)",
    );
    expect(f.resources).toContainEqual({
      kind: "ReplicaSet",
      name: "storefront-5d4b9c7f6",
      namespace: "shop",
    });
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/ReplicaSet storefront-5d4b9c7f6: 0 of 2 pods exist; event Warning FailedCreate ×12/);
    expect(ev).toMatch(/memory limit 256Mi → 4Gi/);
  });

  it("PodSecurity: a chart fix in the Deployment's template", () => {
    const f = only(run(forbiddenCase("pod-security")), "pod-create-forbidden");
    expect(f.title).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(summaries(f, "chart-fix")).toMatch(
      /In storefront\/templates\/deployment.yaml: make the pod comply/,
    );
  });

  it("near miss: old FailedCreate events of a ReplicaSet that has all its pods", () => {
    expect(codes(run(forbiddenCase("quota", { stale: true })))).not.toContain("pod-create-forbidden");
  });
});
