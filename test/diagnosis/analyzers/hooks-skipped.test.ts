// hooks-skipped: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import { CAUSES_NOW, migrationSkipped } from "../../support/scenarios/causes.js";
import {
  HOOKS_NOW,
  installedWithNoHooks,
  rollbackWithoutRollbackHooks,
} from "../../support/scenarios/release-state.js";
import { actions, codes, diagnoseScenario, evidenceText, only, diagnoseScenario as run } from "../support.js";

describe("hooks-skipped", () => {
  it("helm install --no-hooks: the settings ConfigMap hook never ran, the pods hang on it", () => {
    const d = run(installedWithNoHooks(), HOOKS_NOW);
    const f = only(d, "hooks-skipped");
    expect(d.findings[0]).toBe(f);
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "Revision 1 is deployed but its install hooks never ran: ConfigMap shop-api-settings, Job shop-api-db-init",
    );
    expect(f.revisions).toEqual([1]);
    // The test hook never counts.
    expect(f.resources.map((r) => r.name)).not.toContain("shop-api-test-connection");
    const ev = evidenceText(f);
    expect(ev).toMatch(/description "Install complete" \(a install\)|description "Install complete"/);
    expect(ev).toMatch(
      /ConfigMap shop-api-settings .*events pre-install,pre-upgrade, weight -5.*never ran in this revision; does not exist, and Deployment shop-api uses it/,
    );
    expect(ev).toMatch(/Job shop-api-db-init .*not live: its work was never done/);
    expect(actions(f)).toContainEqual(["restore-hook-resources", 1]);
    expect(actions(f)).toContainEqual(["rerun-upgrade", 1]);
    expect(f.remediations.find((r) => r.action === "rerun-upgrade")!.summary).toMatch(
      /runs shop-api-settings — the other hooks are install-only/,
    );
    expect(actions(f).map((a) => a[0])).toContain("chart-fix");
    expect(f.explanation).toMatch(/--no-hooks/);
    // The stuck pods are evidence of the root cause, not findings of their own.
    expect(codes(d)).not.toContain("pod-mount-failed");
    expect(ev).toMatch(/FailedMount ×14/);
  });

  it("near miss: the same install with hooks that ran", () => {
    expect(codes(run(installedWithNoHooks({ ran: true }), HOOKS_NOW))).not.toContain("hooks-skipped");
  });

  it("near miss: a rollback whose chart has no rollback hooks (copied install/upgrade hooks do not count)", () => {
    expect(codes(run(rollbackWithoutRollbackHooks(), HOOKS_NOW))).not.toContain("hooks-skipped");
  });
});

describe("hooks-skipped explains the crash loop of a skipped migration", () => {
  it("an upgrade with --no-hooks skipped the migration; the new pods crash on the missing table", () => {
    const d = diagnoseScenario(migrationSkipped(), CAUSES_NOW);
    const f = only(d, "hooks-skipped");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("pod-crash-loop");
    expect(f.severity).toBe("critical");
    expect(f.explanation).toMatch(/never migrated the database for revision 2/);
    expect(f.explanation).toMatch(/A rollback does not help/);
    const ev = evidenceText(f);
    // The Job from revision 1's run is still live, but it did nothing for revision 2.
    expect(ev).toMatch(
      /the live Job is from an earlier run \(created .*\): its work for revision 2 was never done/,
    );
    expect(ev).toMatch(/relation "order_items" does not exist/);
    // Re-running the upgrade with hooks runs the migration; rolling back does not.
    expect(actions(f)).toContainEqual(["rerun-upgrade", 2]);
    expect(actions(f).map((a) => a[0])).not.toContain("rollback");
  });

  it("near miss: the migration ran — the crash loop stands alone", () => {
    expect(codes(diagnoseScenario(migrationSkipped({ hooksRan: true }), CAUSES_NOW))).toEqual([
      "pod-crash-loop",
    ]);
  });

  it("near miss: hooks skipped, but the pods fail for another reason — two findings, the crash first", () => {
    const d = diagnoseScenario(
      migrationSkipped({ message: "dial tcp 10.0.0.5:5432: connect: connection refused" }),
      CAUSES_NOW,
    );
    expect(codes(d)).toEqual(["pod-crash-loop", "hooks-skipped"]);
    expect(only(d, "hooks-skipped").severity).toBe("warning");
  });
});

describe("hooks-skipped reads each database's wording", () => {
  it("Postgres's 'column <table>.<column> does not exist' links the crash to the skipped migration", () => {
    const d = diagnoseScenario(
      migrationSkipped({
        message: "ERROR: column accounts_invoice.tenant_id does not exist (SQLSTATE 42703)",
      }),
      CAUSES_NOW,
    );
    expect(codes(d)).toEqual(["hooks-skipped"]);
  });
});
