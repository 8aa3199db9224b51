// hook-failed: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Diagnosis, FindingCode } from "../../../src/diagnosis/types.js";
import type { Scenario } from "../../support/scenario.js";
import { CAUSES_NOW, preRollbackHookFailed } from "../../support/scenarios/causes.js";
import { HOOKS_NOW, migrationFailed } from "../../support/scenarios/hooks.js";
import { actions, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

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

describe("hook-failed", () => {
  it("a pre-upgrade migration Job that hit its backoff limit: the manifest was never applied", () => {
    const d = run(migrationFailed());
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-failed");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/Pre-upgrade hook Job shop-db-migrate failed \(BackoffLimitExceeded\)/);
    expect(f.title).toMatch(/revision 2 was never applied/);
    expect(f.resources[0]).toEqual({ kind: "Job", name: "shop-db-migrate", namespace: "shop" });
    expect(f.revisions).toEqual([1, 2]);
    expect(actions(f)).toContainEqual(["rerun-upgrade", 2]);
    expect(actions(f)).toContainEqual(["rollback", 1]);
    expect(f.remediations.find((r) => r.action === "chart-fix")?.summary).toMatch(
      /webshop\/templates\/migrate-job\.yaml/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2: status failed, description "Upgrade "shop" failed: pre-upgrade hooks failed/,
    );
    expect(ev).toMatch(
      /revision 2 hooks: Job shop-db-migrate .*weight -5, delete policy before-hook-creation, last run Failed after 3m/,
    );
    expect(ev).toMatch(/Job shop\/shop-db-migrate: condition Failed, reason BackoffLimitExceeded/);
    expect(ev).toMatch(/3 failed pods; backoffLimit 2/);
    expect(ev).toMatch(/BackoffLimitExceeded.*Job has reached the specified backoff limit/);
    expect(ev).toMatch(
      /main terminated Error \(exit code 1\): dial tcp 10\.0\.3\.7:5432: connect: connection refused/,
    );
    expect(f.explanation).toMatch(/never applied: the cluster still runs revision 1's objects/);
    expect(f.explanation).toMatch(/kubectl logs -n shop job\/shop-db-migrate/);
  });

  it("a post-upgrade hook failure: the new workloads run while the release is marked failed", () => {
    const f = only(run(migrationFailed({ event: "post-upgrade" })), "hook-failed");
    expect(f.title).toMatch(
      /Post-upgrade hook Job shop-cache-warm failed.*revision 2 is applied but marked failed/,
    );
    expect(f.explanation).toMatch(/applied revision 2's manifest/);
    expect(f.explanation).toMatch(/new workloads are running while the release is marked failed/);
    expect(actions(f)).toContainEqual(["rollback", 1]);
  });

  it("tells a timeout from a crash by the error and the hook's duration", () => {
    const f = only(run(migrationFailed({ outcome: "timeout" })), "hook-failed");
    expect(f.title).toMatch(/timed out after 5m/);
    expect(f.explanation).toMatch(/gave up after 5m \(the per-hook --timeout/);
    expect(evidenceText(f)).toMatch(/CrashLoopBackOff/);
    expect(f.remediations.find((r) => r.action === "chart-fix")?.summary).toMatch(/activeDeadlineSeconds/);
    const dl = only(run(migrationFailed({ outcome: "deadline" })), "hook-failed");
    expect(dl.title).toMatch(/failed \(DeadlineExceeded\)/);
  });

  it("says the logs are gone when the hook-failed policy deleted the Job", () => {
    const f = only(run(migrationFailed({ policy: "before-hook-creation,hook-failed" })), "hook-failed");
    expect(f.severity).toBe("critical");
    expect(evidenceText(f)).toMatch(
      /Job shop\/shop-db-migrate does not exist: deleted by its hook-failed delete policy; its logs are lost/,
    );
    expect(f.explanation).toMatch(/hook-failed\), so its pods and their logs are gone/);
    expect(f.remediations.find((r) => r.action === "chart-fix")?.summary).toMatch(
      /hook-output-log-policy: hook-failed/,
    );
  });

  it("says the Job's state is unknown when Jobs could not be read", () => {
    const f = only(
      run(migrationFailed(), {
        drop: (o) => o.kind === "Job" || o.metadata?.ownerReferences?.[0]?.kind === "Job",
        gaps: [{ what: "jobs", reason: "forbidden", detail: "add list jobs" }],
      }),
      "hook-failed",
    );
    expect(evidenceText(f)).toMatch(
      /Job shop\/shop-db-migrate: unknown, jobs could not be read \(forbidden\)/,
    );
    expect(evidenceText(f)).not.toMatch(/logs are lost/);
  });

  it("near miss: a later revision deployed with the hook Succeeded — nothing at warning or above", () => {
    const d = run(migrationFailed({ fixedLater: true }));
    expect(d.findings.filter((f) => f.code === "hook-failed")).toEqual([]);
    expect(seriousOfGroupB(d)).toEqual([]);
  });

  it("reads Helm 4's error shape", () => {
    const s = migrationFailed();
    s.releases[1]!.info.description =
      'Upgrade "shop" failed: pre-upgrade hooks failed: resource Job/shop/shop-db-migrate not ready. status: Failed, message: Job has reached the specified backoff limit';
    s.releases[1]!.hooks![0]!.last_run!.phase = "Running";
    const f = only(run(s), "hook-failed");
    expect(f.resources[0]?.name).toBe("shop-db-migrate");
    expect(f.title).toMatch(/BackoffLimitExceeded/);
  });
  it("reads old Helm 3's `job failed: …` (no event, no hook marked Failed) from the live Job", () => {
    const s = migrationFailed();
    s.releases[1]!.info.description = 'Upgrade "shop" failed: job failed: BackoffLimitExceeded';
    s.releases[1]!.hooks![0]!.last_run = { started_at: "", completed_at: "", phase: "" };
    const f = only(run(s), "hook-failed");
    expect(f.title).toMatch(/Pre-upgrade hook Job shop-db-migrate failed \(BackoffLimitExceeded\)/);
  });
});

describe("hook-failed for a rollback hook", () => {
  it("a pre-rollback Job failed: the hook first, the stuck pending-rollback folded in, no rollback that reruns it", () => {
    const d = diagnoseScenario(preRollbackHookFailed(), CAUSES_NOW);
    const f = only(d, "hook-failed");
    expect(d.findings[0]).toBe(f);
    expect(d.findings.map((x) => x.code)).not.toContain("release-pending-stuck");
    expect(f.title).toBe(
      "Pre-rollback hook Job ledger-backup failed (BackoffLimitExceeded): the rollback to revision 1 is stuck in pending-rollback",
    );
    expect(f.revisions).toEqual([1, 3]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/ExpiredToken: The provided token has expired/);
    expect(ev).toMatch(/also \(release-pending-stuck\)/);
    expect(f.explanation).toMatch(/Running the rollback again runs ledger-backup again/);
    // Every earlier revision runs the same pre-rollback hook: no executable rollback is offered.
    expect(actions(f).map((a) => a[0])).not.toContain("rollback");
    expect(f.remediations[0]!.summary).toMatch(/helm rollback ledger 1 -n finance/);
    expect(f.remediations.some((r) => /--no-hooks/.test(r.summary))).toBe(true);
  });

  it("near miss: the rollback hook completed and its Job was kept by a hook-failed policy", () => {
    const d = diagnoseScenario(preRollbackHookFailed({ completed: true }), CAUSES_NOW);
    expect(d.findings.map((x) => x.code)).not.toContain("hook-failed");
  });
});
