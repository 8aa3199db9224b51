// pod-crash-loop: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { crashLoopCase, healthyRelease, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
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

describe("pod-crash-loop", () => {
  it("names the change of revision 3 and rolls back to 2", () => {
    const f = only(run(crashLoopCase()), "pod-crash-loop");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Deployment storefront is crash-looping since revision 3: container storefront exits with code 1/,
    );
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(evidenceText(f)).toMatch(/command\/args \(image default\) → --config \/etc\/storefront\/app.yaml/);
    expect(summaries(f, "manual")).toMatch(
      /kubectl logs -n shop storefront-5d4b9c7f6-\w+ -c storefront --previous/,
    );
  });

  it("near miss: one old restart of a running, ready container", () => {
    const s = healthyRelease();
    const pod = s.live.find((o) => o.kind === "Pod")!;
    pod.status.containerStatuses[0].restartCount = 1;
    pod.status.containerStatuses[0].lastState = { terminated: { reason: "Error", exitCode: 1 } };
    expect(codes(run(s))).not.toContain("pod-crash-loop");
  });
});
