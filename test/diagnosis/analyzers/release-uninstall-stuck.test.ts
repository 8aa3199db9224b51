// release-uninstall-stuck: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import {
  pendingInstall,
  UNINSTALL_NOW,
  uninstalledKeptHistory,
  uninstallStuck,
} from "../../support/scenarios/release-state.js";
import { actions, codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

describe("release-uninstall-stuck and no-deployed-release", () => {
  for (const storedPhase of ["Running", "Failed"]) {
    it(`a failed pre-delete hook leaves revision 2 uninstalling (stored phase ${storedPhase})`, () => {
      const d = run(uninstallStuck({ storedPhase }), UNINSTALL_NOW);
      // A failed uninstall hook is a hook failure like any other; the stuck uninstall is its consequence.
      const f = only(d, "hook-failed");
      expect(d.findings[0]).toBe(f);
      expect(codes(d)).not.toContain("release-uninstall-stuck");
      expect(f.severity).toBe("critical");
      expect(f.title).toMatch(
        /^Pre-delete hook Job shop-api-cleanup failed \(BackoffLimitExceeded\): the uninstall of shop-api \(revision 2\) is stuck uninstalling$/,
      );
      expect(f.revisions).toEqual([2]);
      expect(f.resources).toContainEqual({ kind: "Job", name: "shop-api-cleanup", namespace: "shop" });
      const ev = evidenceText(f);
      expect(ev).toMatch(/status uninstalling, description "Deletion in progress \(or silently failed\)"/);
      expect(ev).toMatch(
        /revision 2 hooks: Job shop-api-cleanup .*events pre-delete, weight 0, delete policy before-hook-creation,hook-succeeded, last run/,
      );
      expect(ev).toMatch(/Job shop\/shop-api-cleanup: condition Failed, reason BackoffLimitExceeded/);
      expect(ev).toMatch(/also \(release-uninstall-stuck\): Uninstall of shop-api is stuck at revision 2/);
      expect(ev).toMatch(
        /live cluster: 2 of 2 manifest objects still exist: Service shop-api, Deployment shop-api/,
      );
      expect(actions(f)).toContainEqual(["rollback", 2]);
      expect(actions(f).map((a) => a[0])).toEqual(["manual", "manual", "rollback", "chart-fix"]);
      expect(f.remediations[0]!.summary).toMatch(/helm uninstall shop-api -n shop/);
      expect(f.remediations[1]!.summary).toMatch(/--no-hooks/);
      expect(f.remediations.at(-1)!.summary).toMatch(/shop-api\/templates\/cleanup-job.yaml/);
      // "has no deployed releases" is the consequence: folded into the root cause.
      expect(codes(d)).not.toContain("no-deployed-release");
      expect(`${f.explanation}\n${ev}`).toMatch(/has no deployed releases|none deployed/);
    });
  }

  it("says so when the hook Job could not be read, instead of calling it deleted", () => {
    const d = run(uninstallStuck(), UNINSTALL_NOW, {
      drop: (x) => x.kind === "Job" || (x.metadata?.name ?? "").startsWith("shop-api-cleanup"),
      gaps: [{ what: "jobs", reason: "forbidden", detail: "add list jobs in namespace shop" }],
    });
    const f = only(d, "release-uninstall-stuck");
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /live Job shop\/shop-api-cleanup: not found, but jobs could not be fully read \(forbidden\)/,
    );
    expect(ev).toMatch(/read gap: jobs could not be fully read \(forbidden\)/);
    expect(ev).not.toMatch(/does not exist/);
    expect(f.title).toMatch(/pre-delete hook Job shop-api-cleanup never finished/);
  });

  it("uninstalled with --keep-history: upgrade says no deployed releases (warning), rollback to 2 offered", () => {
    const d = run(uninstalledKeptHistory(), UNINSTALL_NOW);
    const f = only(d, "no-deployed-release");
    expect(f.severity).toBe("warning");
    expect(f.role).toBe("root");
    expect(f.title).toMatch(/uninstalled with --keep-history \(revision 2\).*has no deployed releases/);
    expect(f.revisions).toEqual([2]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(f.remediations[0]!.summary).toMatch(/helm upgrade --install shop-api <chart> -n shop/);
    expect(evidenceText(f)).toMatch(/2 revision\(s\): 1 superseded, 2 uninstalled; none deployed/);
    expect(evidenceText(f)).toMatch(/none of revision 2's manifest objects exist/);
    expect(codes(d)).not.toContain("release-uninstall-stuck");
  });

  it("near misses: a failed latest revision or a superseded-only history still has a base for upgrade", () => {
    const s = uninstalledKeptHistory();
    s.releases[1]!.info.status = "failed";
    s.releases[1]!.info.description = 'Upgrade "shop-api" failed: timed out waiting for the condition';
    expect(codes(run(s, UNINSTALL_NOW))).not.toContain("no-deployed-release");
    s.releases[1]!.info.status = "superseded";
    expect(codes(run(s, UNINSTALL_NOW))).not.toContain("no-deployed-release");
    // A pending latest revision fails upgrades with "another operation", not "no deployed releases".
    expect(codes(run(pendingInstall(), UNINSTALL_NOW))).not.toContain("no-deployed-release");
  });
});
