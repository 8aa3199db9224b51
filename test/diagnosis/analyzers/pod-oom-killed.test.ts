// pod-oom-killed: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { oomCase, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import { actions, codes, diagnoseScenario, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("pod-oom-killed", () => {
  it("names the memory limit lowered in revision 3", () => {
    const d = run(oomCase());
    const f = only(d, "pod-oom-killed");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/exceeds its memory limit 64Mi \(changed from 256Mi in revision 3\)/);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(codes(d)).not.toContain("pod-crash-loop");
  });

  it("quotes Helm's failure when --wait gave up on these pods, and does not blame them for a hook's", () => {
    const old = { oldPods: [] };
    const waited = only(
      run(
        oomCase({ ...old, status: "failed", description: 'Upgrade "web" failed: context deadline exceeded' }),
      ),
      "pod-oom-killed",
    );
    expect(waited.explanation).toContain(
      'Helm marked revision 3 failed: "Upgrade "web" failed: context deadline exceeded"',
    );
    const hook =
      'Upgrade "web" failed: post-upgrade hooks failed: 1 error occurred:\n\t* job web-smoke failed: DeadlineExceeded';
    const other = only(run(oomCase({ ...old, status: "failed", description: hook })), "pod-oom-killed");
    expect(other.explanation).not.toContain("job web-smoke failed");
    expect(other.explanation).toContain("not because of these pods");
  });

  it("a warning when the killed containers run and are ready again", () => {
    expect(only(run(oomCase({ recovered: true })), "pod-oom-killed").severity).toBe("warning");
  });
});
