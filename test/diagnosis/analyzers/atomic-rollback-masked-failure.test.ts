// atomic-rollback-masked-failure: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import {
  ATOMIC_NOW,
  atomicHookFailedRollbackStuck,
  atomicTimeout,
} from "../../support/scenarios/release-state.js";
import { actions, codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

describe("atomic-rollback-masked-failure", () => {
  it("a --atomic upgrade that timed out: the cause, the rollback and the leftover ReplicaSet at 0", () => {
    const d = run(atomicTimeout(), ATOMIC_NOW);
    const f = only(d, "atomic-rollback-masked-failure");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "Upgrade to revision 2 failed and was rolled back to revision 1: context deadline exceeded",
    );
    expect(f.revisions).toEqual([1, 2, 3]);
    expect(f.resources).toContainEqual({ kind: "ReplicaSet", name: "shop-api-7f6b4d9c8", namespace: "shop" });
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2 record: status failed.*Upgrade "shop-api" failed: context deadline exceeded/,
    );
    expect(ev).toMatch(
      /revision 3 record: status deployed, description "Rollback to 1".*5m after revision 2's upgrade began, as --atomic does/,
    );
    expect(ev).toMatch(
      /live ReplicaSet shop-api-7f6b4d9c8: Deployment shop-api's ReplicaSet from revision 2 .*now at 0 replicas: the rollback scaled it down/,
    );
    expect(ev).toMatch(/SuccessfulDelete/);
    expect(ev).toMatch(/its pods are deleted/);
    expect(f.explanation).toMatch(/timed out waiting for the new resources/);
    expect(actions(f).map((a) => a[0])).toEqual(["manual", "chart-fix"]);
    expect(f.explains).toContain("ReplicaSet/shop/shop-api-7f6b4d9c8");
  });

  it("three hours later the evidence has expired, and the finding says so", () => {
    const d = run(atomicTimeout(), "2026-11-20T14:30:00Z", { drop: (x) => x.kind === "Event" });
    const f = only(d, "atomic-rollback-masked-failure");
    expect(evidenceText(f)).toMatch(
      /its pods are deleted, so their events \(why they failed\) are not in the snapshot; no events left: events expire after about an hour and the rollback was 3h ago/,
    );
  });

  it("a failed hook, then a rollback stuck in its pre-rollback hook: both findings, with the original cause", () => {
    const d = run(atomicHookFailedRollbackStuck(), "2026-11-20T12:00:00Z");
    const a = only(d, "atomic-rollback-masked-failure");
    expect(a.severity).toBe("critical");
    expect(a.title).toMatch(
      /Upgrade to revision 2 failed and was rolled back to revision 1: pre-upgrade hooks failed: job shop-api-migrate failed: BackoffLimitExceeded/,
    );
    expect(evidenceText(a)).toMatch(/revision 2 hooks: Job shop-api-migrate .*last run Failed after 2m/);
    expect(evidenceText(a)).toMatch(/live Job shop\/shop-api-migrate: Failed \(BackoffLimitExceeded/);
    expect(a.remediations.find((r) => r.action === "chart-fix")!.summary).toMatch(
      /shop-api\/templates\/migrate-job.yaml.*hook-output-log-policy/,
    );
    const p = only(d, "release-pending-stuck");
    expect(p.severity).toBe("critical");
    expect(p.title).toMatch(/Revision 3 is stuck in pending-rollback/);
    expect(actions(p)).toContainEqual(["rollback", 1]);
    expect(p.remediations[0]!.summary).toMatch(
      /shop-api-restore-snapshot is where the last rollback stopped/,
    );
  });

  it("near miss: a failed upgrade followed by a successful upgrade is not a masked rollback", () => {
    const s = atomicTimeout();
    s.releases[2]!.info.description = "Upgrade complete";
    expect(codes(run(s, ATOMIC_NOW))).not.toContain("atomic-rollback-masked-failure");
  });
});
