// hook-leftover-blocks: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { HOOKS_NOW, leftoverHook } from "../../support/scenarios/hooks.js";
import { actions, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions = {}) => diagnoseScenario(s, HOOKS_NOW, o);

describe("hook-leftover-blocks", () => {
  it("revision 3 failed with already exists on the Job revision 2's failed run left behind", () => {
    const d = run(leftoverHook({ mode: "already-exists" }));
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-leftover-blocks");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/Leftover hook Job example-lakefs-migrate already exists/);
    expect(f.resources[0]).toEqual({ kind: "Job", name: "example-lakefs-migrate", namespace: "lakefs" });
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toEqual([
      ["delete-leftover-hook", 3],
      ["rerun-upgrade", 3],
      ["chart-fix", undefined],
    ]);
    expect(f.remediations[0]!.resources).toEqual([
      { kind: "Job", name: "example-lakefs-migrate", namespace: "lakefs" },
    ]);
    expect(f.remediations[2]!.summary).toMatch(
      /lakefs\/templates\/job\.yaml: set `helm\.sh\/hook-delete-policy: before-hook-creation,hook-succeeded`/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(/jobs\.batch "example-lakefs-migrate" already exists/);
    expect(ev).toMatch(/delete policy hook-succeeded, last run Failed/);
    expect(ev).toMatch(/no meta\.helm\.sh\/\* ownership annotations/);
    expect(ev).toMatch(/created by revision 2's run of the hook \(last run Failed/);
    expect(f.explanation).toMatch(/explicit policy replaces the before-hook-creation default/);
    // The hook failure of revision 3 folds into the leftover.
    expect(d.findings.map((x) => x.code)).not.toContain("hook-failed");
  });

  it("predicts the next upgrade's failure: a Complete hook Job kept by a hook-failed-only policy", () => {
    const d = run(leftoverHook({ mode: "kept-after-success" }));
    const f = only(d, "hook-leftover-blocks");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/will make the next upgrade fail with "already exists"/);
    expect(actions(f)).toEqual([
      ["delete-leftover-hook", 2],
      ["chart-fix", undefined],
    ]);
    expect(evidenceText(f)).toMatch(/condition Complete/);
  });

  it("a failed hook Job that stays (hook-succeeded only) warns about the re-run beside the critical hook-failed", () => {
    const s = leftoverHook({ mode: "already-exists" });
    s.releases.pop(); // only revisions 1 (deployed) and 2 (failed)
    const d = run(s);
    expect(d.findings[0]!.code).toBe("hook-failed");
    expect(d.findings[0]!.remediations.find((r) => r.action === "rerun-upgrade")?.summary).toMatch(
      /delete the leftover Job example-lakefs-migrate first/,
    );
    expect(only(d, "hook-leftover-blocks").severity).toBe("warning");
  });

  it("near misses: policy before-hook-creation,hook-succeeded (Job cleaned up), and Helm 4 server-side apply", () => {
    expect(run(leftoverHook({ mode: "cleaned" })).findings.map((f) => f.code)).not.toContain(
      "hook-leftover-blocks",
    );
    expect(
      run(leftoverHook({ mode: "kept-after-success", helm4ssa: true })).findings.map((f) => f.code),
    ).not.toContain("hook-leftover-blocks");
  });
});

describe("hook-leftover-blocks in Helm 4's wording", () => {
  it("server-side apply over a leftover Job fails with 'field is immutable', not 'already exists'", () => {
    const d = run(leftoverHook({ mode: "already-exists", helm4ssa: true }));
    const f = only(d, "hook-leftover-blocks");
    expect(d.findings[0]).toBe(f);
    expect(f.title).toBe(
      "Leftover hook Job example-lakefs-migrate is in the way (its pod template is immutable), so revision 3's pre-upgrade hook failed",
    );
    expect(f.explanation).toMatch(/Helm 4 applies hook objects with server-side apply/);
    expect(actions(f)[0]).toEqual(["delete-leftover-hook", 3]);
    // Not an immutable field of a regular resource.
    expect(d.findings.map((x) => x.code)).not.toContain("immutable-field-change");
  });
});
