// pre-install-hook-needs-manifest-object: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { HOOKS_NOW, migrationFailed, preInstallNeedsManifestObject } from "../../support/scenarios/hooks.js";
import { diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions = {}) => diagnoseScenario(s, HOOKS_NOW, o);

describe("pre-install-hook-needs-manifest-object", () => {
  it("a pre-install Job whose ServiceAccount only the manifest creates comes out first, folding hook-failed", () => {
    const d = run(preInstallNeedsManifestObject());
    const f = d.findings[0]!;
    expect(f.code).toBe("pre-install-hook-needs-manifest-object");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Job barbican-migration needs ServiceAccount barbican, which only the release manifest creates/,
    );
    expect(f.resources).toEqual([
      { kind: "ServiceAccount", name: "barbican", namespace: "monsoon3" },
      { kind: "Job", name: "barbican-migration", namespace: "monsoon3" },
    ]);
    expect(f.revisions).toEqual([1]);
    // The hook failure is evidence of this root cause, not a finding of its own.
    expect(d.findings.map((x) => x.code)).not.toContain("hook-failed");
    const ev = evidenceText(f);
    expect(ev).toMatch(/also \(hook-failed\): Pre-install hook Job barbican-migration timed out/);
    expect(ev).toMatch(
      /revision 1 manifest: ServiceAccount barbican is a regular resource \(barbican\/templates\/serviceaccount\.yaml\)/,
    );
    expect(ev).toMatch(/Job barbican-migration spec: uses ServiceAccount barbican as serviceAccountName/);
    expect(ev).toMatch(/ServiceAccount monsoon3\/barbican does not exist/);
    expect(ev).toMatch(/FailedCreate ×14.*error looking up service account monsoon3\/barbican/);
    expect(f.remediations.map((r) => r.action)).toEqual(["manual", "chart-fix"]);
    expect(f.remediations[0]!.summary).toMatch(/kubectl -n monsoon3 create serviceaccount barbican/);
    expect(f.remediations[0]!.summary).toMatch(/meta\.helm\.sh\/release-name=barbican/);
    expect(f.remediations[1]!.summary).toMatch(/barbican\/templates\/serviceaccount\.yaml/);
  });

  it("a ConfigMap mounted by the pre-install Job: FailedMount on its pod", () => {
    const f = only(
      run(preInstallNeedsManifestObject({ needs: "configmap" })),
      "pre-install-hook-needs-manifest-object",
    );
    expect(f.title).toMatch(/needs ConfigMap barbican-etc/);
    expect(evidenceText(f)).toMatch(/FailedMount ×8.*configmap "barbican-etc" not found/);
  });

  it("a pending-install that is still waiting on the hook", () => {
    const f = only(
      run(preInstallNeedsManifestObject({ status: "pending-install" })),
      "pre-install-hook-needs-manifest-object",
    );
    expect(f.severity).toBe("critical");
    expect(f.explanation).toMatch(/still pending-install with barbican-migration Running/);
  });

  it("near miss: the ServiceAccount exists (pre-created), and an upgrade of an installed release", () => {
    const d = run(preInstallNeedsManifestObject({ objectLive: true }));
    expect(d.findings.map((f) => f.code)).not.toContain("pre-install-hook-needs-manifest-object");
    expect(run(migrationFailed()).findings.map((f) => f.code)).not.toContain(
      "pre-install-hook-needs-manifest-object",
    );
  });
});
