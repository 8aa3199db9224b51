// resource-moved-into-hook across the whole stored history, judged by what ran: a transition revisions ago, a
// post-upgrade hook that never ran because the --wait failed; near misses stay quiet. (The founding case itself is
// in test/cli/founding.test.ts.)
import { describe, expect, it } from "vitest";
import {
  CAUSES_NOW,
  movedIntoPostHookWaitFailed,
  movedIntoPreInstallHookEarlier,
} from "../../support/scenarios/causes.js";
import { actions, codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

describe("resource-moved-into-hook", () => {
  it("a ConfigMap made a pre-install-only hook three revisions ago is still missing: the transition, not the mount error", () => {
    const d = run(movedIntoPreInstallHookEarlier(), CAUSES_NOW);
    const f = only(d, "resource-moved-into-hook");
    expect(d.findings[0]).toBe(f);
    // The stuck pods are evidence of it, not a finding of their own.
    expect(codes(d)).not.toContain("pod-mount-failed");
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "ConfigMap catalog-config became a pre-install hook in revision 2 (2 revisions ago) and the upgrade deleted it",
    );
    expect(f.revisions).toEqual([1, 2, 4]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/revision 1 manifest: ConfigMap catalog-config is a regular release resource/);
    expect(ev).toMatch(/revisions 3–4: none of them created ConfigMap catalog-config again/);
    expect(ev).toMatch(/FailedMount/);
    expect(f.explanation).toMatch(
      /did not run the hook \(its events are pre-install, none of them pre-upgrade\)/,
    );
    // Re-running cannot help: no upgrade runs a pre-install hook. Rolling back to 1 or restoring it can.
    expect(actions(f)).toEqual([
      ["rollback", 1],
      ["restore-hook-resources", 4],
      ["chart-fix", undefined],
    ]);
  });

  it("a ConfigMap made a post-upgrade hook: the --wait timed out on it, so the hook that recreates it never ran", () => {
    const d = run(movedIntoPostHookWaitFailed(), CAUSES_NOW);
    const f = only(d, "resource-moved-into-hook");
    expect(d.findings[0]).toBe(f);
    // The failed revision and the deadlock are this story: no separate findings.
    expect(codes(d)).not.toContain("release-failed");
    expect(codes(d)).not.toContain("post-hook-wait-deadlock");
    expect(codes(d)).not.toContain("pod-mount-failed");
    expect(f.explanation).toMatch(
      /waited for the workloads \(--wait\) — which need that very ConfigMap — until it timed out, so the post-upgrade hook that would have created it again never ran/,
    );
    expect(evidenceText(f)).toMatch(/description "Upgrade "inventory" failed: context deadline exceeded"/);
    expect(actions(f)).toContainEqual(["rollback", 1]);
    expect(actions(f)).toContainEqual(["restore-hook-resources", 2]);
  });

  it("near miss: the live object carried helm.sh/resource-policy: keep, so the upgrade kept it", () => {
    expect(codes(run(movedIntoPreInstallHookEarlier({ keepOnLive: true }), CAUSES_NOW))).toEqual([]);
  });

  it("near miss: a later revision made it a regular resource again and recreated it", () => {
    expect(codes(run(movedIntoPreInstallHookEarlier({ madeRegularAgain: true }), CAUSES_NOW))).toEqual([]);
  });

  it("near miss: the post-upgrade hook ran and recreated it", () => {
    expect(codes(run(movedIntoPostHookWaitFailed({ hookRan: true }), CAUSES_NOW))).toEqual([]);
  });
});
