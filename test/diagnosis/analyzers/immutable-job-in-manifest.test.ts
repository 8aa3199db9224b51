// immutable-job-in-manifest: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { immutableJob, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
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

describe("immutable-job-in-manifest", () => {
  it("a regular Job whose pod template changed fails the upgrade with field is immutable", () => {
    const d = run(immutableJob());
    const f = d.findings[0]!;
    expect(f.code).toBe("immutable-job-in-manifest");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "Job", name: "billing-db-migrate", namespace: "billing" });
    expect(f.revisions).toEqual([1, 2]);
    expect(actions(f)).toEqual([
      ["manual", undefined],
      ["rollback", 1],
      ["chart-fix", undefined],
    ]);
    expect(summaries(f, "manual")).toContain("kubectl -n billing delete job billing-db-migrate");
    expect(summaries(f, "chart-fix")).toMatch(
      /In billing\/templates\/migrate-job.yaml: make the Job a hook .*before-hook-creation/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2 manifest: Job billing-db-migrate is a regular release resource .*not a hook/,
    );
    expect(ev).toMatch(
      /revision 1 → 2: the Job's pod template changed: container migrate image ghcr.io\/acme\/billing:1.4.0 → ghcr.io\/acme\/billing:1.5.0/,
    );
    expect(ev).toMatch(/live cluster: Job billing\/billing-db-migrate exists \(Complete/);
    expect(ev).toMatch(/revision 2 description: .*field is immutable/);
    expect(f.explanation).toMatch(/the cluster now runs revision 2's workloads with revision 1's Job/);
  });

  it("a warning when the Job has since been deleted (a retry passes)", () => {
    const f = only(run(immutableJob({ jobDeleted: true })), "immutable-job-in-manifest");
    expect(f.severity).toBe("warning");
    expect(summaries(f, "manual")).toMatch(/the Job no longer exists/);
  });

  it("predicts the failure while revision 2 is pending", () => {
    const f = only(run(immutableJob({ pending: true })), "immutable-job-in-manifest");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/will fail with "field is immutable"/);
  });

  it("near misses: the Job is a hook; the template did not change", () => {
    expect(codes(run(immutableJob({ hook: true })))).not.toContain("immutable-job-in-manifest");
    expect(codes(run(immutableJob({ unchanged: true })))).not.toContain("immutable-job-in-manifest");
  });
});
