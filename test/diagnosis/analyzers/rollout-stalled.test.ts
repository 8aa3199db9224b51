// rollout-stalled: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { stalledCase, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import { actions, codes, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("rollout-stalled", () => {
  it("stands alone when no pod problem explains it, and says the events are gone", () => {
    const d = run(stalledCase());
    const f = only(d, "rollout-stalled");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Deployment storefront rollout timed out: ReplicaSet "storefront-5d4b9c7f6" has timed out progressing/,
    );
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/pod storefront-5d4b9c7f6-\w+: Pending \(ContainerCreating\), not ready/);
    expect(ev).toMatch(/environment: added FEATURE_CHECKOUT_V2/);
    expect(ev).toMatch(/events: none for the new pods/);
  });

  it("near miss: a rollout that is progressing", () => {
    expect(
      codes(
        run(
          stalledCase({ conditions: [{ type: "Progressing", status: "True", reason: "ReplicaSetUpdated" }] }),
        ),
      ),
    ).not.toContain("rollout-stalled");
  });
});
