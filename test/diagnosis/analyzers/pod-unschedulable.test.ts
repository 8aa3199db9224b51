// pod-unschedulable: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import {
  extraReplicaUnschedulable,
  TRANSITIONS_NOW,
  unschedulableCase,
} from "../../support/scenarios/transitions.js";
import { actions, codes, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("pod-unschedulable", () => {
  it("the new ReplicaSet asks for more CPU than any node has: critical, rollback to 2", () => {
    const d = run(unschedulableCase());
    const f = only(d, "pod-unschedulable");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/2 pods cannot be scheduled since revision 3 \(3 Insufficient cpu\)/);
    expect(evidenceText(f)).toMatch(/cpu request 100m → 8/);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(codes(d)).not.toContain("pod-pvc-unbound");
  });

  it("a warning when one extra replica of a finished rollout does not fit", () => {
    const f = only(run(extraReplicaUnschedulable()), "pod-unschedulable");
    expect(f.severity).toBe("warning");
    expect(actions(f).map((a) => a[0])).not.toContain("rollback");
  });
});
