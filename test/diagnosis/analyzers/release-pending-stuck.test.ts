// release-pending-stuck: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import { pendingWithClientClockAhead } from "../../support/scenarios/causes.js";
import { PENDING_NOW, pendingInstall, pendingUpgrade } from "../../support/scenarios/release-state.js";
import { actions, codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

describe("release-pending-stuck", () => {
  for (const helm4 of [false, true]) {
    it(`an upgrade killed mid-hook leaves revision 2 pending-upgrade (Helm ${helm4 ? 4 : 3} record)`, () => {
      const d = run(pendingUpgrade({ helm4 }), PENDING_NOW);
      const f = only(d, "release-pending-stuck");
      expect(d.findings[0]).toBe(f);
      expect(f.severity).toBe("critical");
      expect(f.role).toBe("root");
      // Idle since the hook Job Helm waited for completed (cluster time): Helm, had it lived, would have moved on.
      expect(f.title).toMatch(/Revision 2 is stuck in pending-upgrade for 42m/);
      expect(f.title).toMatch(/another operation is in progress/);
      expect(f.revisions).toEqual([1, 2]);
      expect(f.resources[0]).toEqual({
        kind: "Secret",
        name: "sh.helm.release.v1.shop-api.v2",
        namespace: "shop",
      });
      expect(actions(f)).toContainEqual(["rollback", 1]);
      expect(f.remediations.find((r) => r.action === "rollback")!.summary).toMatch(/writes revision 3/);
      expect(actions(f).map((a) => a[0])).toContain("manual");
      const ev = evidenceText(f);
      expect(ev).toMatch(/status pending-upgrade, description "Preparing upgrade"/);
      expect(ev).toMatch(
        /hook Job shop-api-migrate completed \(cluster time\) at 2026-11-20T11:03:00.000Z, 42m ago; the threshold is 10m/,
      );
      expect(ev).toMatch(
        /revision 2 hooks: Job shop-api-migrate \(shop-api\/templates\/migrate-job.yaml\): events pre-install,pre-upgrade, weight 0, delete policy before-hook-creation, last run Running/,
      );
      expect(ev).toMatch(/live Job shop\/shop-api-migrate: Complete at 2026-11-20T11:03:00.000Z/);
      expect(ev).toMatch(/revision 1 record: last good revision: status deployed/);
      expect(f.explanation).toMatch(/while running the pre-upgrade hook Job shop-api-migrate/);
      expect(f.explains).toContain("Job/shop/shop-api-migrate");
    });
  }

  it("near miss: a pending-upgrade 3 minutes old is an operation in progress (a warning, nothing to do yet)", () => {
    const d = run(pendingUpgrade({ startedAt: 102 }), PENDING_NOW);
    const f = only(d, "release-pending-stuck");
    // Not critical and no fix offered; a warning because a release mid-operation is never "no problems".
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/probably still running/);
    expect(f.remediations).toEqual([]);
    expect(evidenceText(f)).toMatch(/description "Preparing upgrade"/);
    expect(d.findings.map((x) => x.code)).not.toContain("release-failed");
  });

  it("a hook Job still running 15 minutes in may be a long --timeout: warning; after 30 minutes critical", () => {
    const s = pendingUpgrade({ hookJob: "running" });
    const f = only(run(s, "2026-11-20T11:15:00Z"), "release-pending-stuck");
    expect(f.severity).toBe("warning");
    expect(evidenceText(f)).toMatch(/live Job shop\/shop-api-migrate: still running \(1 active pod\)/);
    expect(evidenceText(f)).toMatch(/a helm run with a longer --timeout may still be waiting for it/);
    expect(only(run(s, PENDING_NOW), "release-pending-stuck").severity).toBe("critical");
  });

  it("near miss: a deployed latest revision is not pending", () => {
    const s = pendingUpgrade();
    s.releases[1]!.info.status = "deployed";
    s.releases[1]!.info.description = "Upgrade complete";
    s.releases[0]!.info.status = "superseded";
    expect(codes(run(s, PENDING_NOW))).not.toContain("release-pending-stuck");
  });

  it("a first install stuck in pending-install on a failed hook: the hook first, then uninstall and reinstall", () => {
    const d = run(pendingInstall(), "2026-11-20T12:00:00Z");
    // The failed pre-install hook is the cause; the stuck revision is its consequence, folded into it.
    const f = only(d, "hook-failed");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("release-pending-stuck");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Pre-install hook Job shop-api-migrate failed \(BackoffLimitExceeded\): the install of shop-api \(revision 1\) is stuck in pending-install/,
    );
    expect(f.revisions).toEqual([1]);
    expect(actions(f).map((a) => a[0])).not.toContain("rollback");
    expect(f.remediations[0]!.summary).toMatch(/helm uninstall shop-api -n shop/);
    const ev = evidenceText(f);
    expect(ev).toMatch(/Job shop\/shop-api-migrate: condition Failed, reason BackoffLimitExceeded/);
    expect(ev).toMatch(
      /also \(release-pending-stuck\): Install of shop-api \(revision 1\) is stuck in pending-install/,
    );
  });

  it("a pending-install killed without a failed hook is still release-pending-stuck", () => {
    const s = pendingInstall();
    // The migration Job is still running: nothing failed, Helm is gone.
    for (const o of s.live) if (o.kind === "Job") o.status = { startTime: o.status.startTime, active: 1 };
    const f = only(run(s, "2026-11-20T12:00:00Z"), "release-pending-stuck");
    expect(f.title).toMatch(/Install of shop-api \(revision 1\) is stuck in pending-install/);
    expect(f.remediations[0]!.summary).toMatch(/helm uninstall shop-api -n shop/);
  });
});

describe("release-pending-stuck judges by the cluster's clock", () => {
  it("a Helm client two hours ahead: the record's times are in the future, the cluster says 42 minutes idle — stuck", () => {
    const d = run(pendingWithClientClockAhead(120), PENDING_NOW);
    const f = only(d, "release-pending-stuck");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/is stuck in pending-upgrade for 42m/);
    const ev = evidenceText(f);
    expect(ev).toMatch(/the Helm client's clock was 2h ahead of the API server's/);
    expect(ev).toMatch(/last sign of progress: hook Job shop-api-migrate completed \(cluster time\)/);
    // No negative, unknown or "0s" ages.
    expect(`${f.title}\n${f.explanation}\n${ev}`).not.toMatch(/\?|-\d+m|\b0s\b/);
  });

  for (const minutes of [120, -45])
    it(`a Helm client ${Math.abs(minutes)}m ${minutes > 0 ? "ahead" : "behind"}: title, impact, explanation and hook ages in cluster time, the client's time only beside it`, () => {
      const f = only(run(pendingWithClientClockAhead(minutes), PENDING_NOW), "release-pending-stuck");
      // The upgrade started at 11:00 by the cluster's clock (the record object's creationTimestamp).
      expect(f.impact).toBe(
        "every helm upgrade of shop-api fails while revision 2 stays pending-upgrade since 2026-11-20 11:00:00 UTC",
      );
      const client = new Date(Date.parse("2026-11-20T11:00:00Z") + minutes * 60_000).toISOString();
      expect(f.explanation).toContain(
        `started at 2026-11-20T11:00:00.000Z by the cluster's clock (${client} by the Helm client's, which was off)`,
      );
      expect(evidenceText(f)).toMatch(
        /Job shop-api-migrate .*\(started \S+ by the Helm client's clock, 2026-11-20T11:00:00.000Z by the cluster's, 45m ago\)/,
      );
    });

  it("near miss: a correct client clock changes nothing", () => {
    const f = only(run(pendingWithClientClockAhead(0), PENDING_NOW), "release-pending-stuck");
    expect(f.severity).toBe("critical");
    expect(evidenceText(f)).not.toMatch(/clock was/);
  });
});
