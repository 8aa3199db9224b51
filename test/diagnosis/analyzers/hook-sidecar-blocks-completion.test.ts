// hook-sidecar-blocks-completion: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { HOOKS_NOW, sidecarHook } from "../../support/scenarios/hooks.js";
import { actions, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions = {}) => diagnoseScenario(s, HOOKS_NOW, o);

describe("hook-sidecar-blocks-completion", () => {
  it("istio-proxy keeps a pre-install Job's pod running after the main container exited 0", () => {
    const d = run(sidecarHook());
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-sidecar-blocks-completion");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/Hook Job argo-cd-redis-secret-init never completes.*istio-proxy/);
    expect(f.resources[0]).toEqual({ kind: "Job", name: "argo-cd-redis-secret-init", namespace: "argocd" });
    expect(f.revisions).toEqual([1]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/no Complete or Failed condition, 1 active pod/);
    expect(ev).toMatch(/main terminated Completed \(exit code 0\); istio-proxy running/);
    expect(ev).toMatch(/last run Failed after 5m/);
    expect(f.remediations.find((r) => r.action === "chart-fix")?.summary).toMatch(
      /argo-cd\/templates\/redis-secret-init\/job\.yaml: add `sidecar\.istio\.io\/inject: "false"`/,
    );
    expect(actions(f)).toContainEqual(["rerun-upgrade", 1]);
    expect(d.findings.map((x) => x.code)).not.toContain("hook-failed");
  });

  it("linkerd-proxy: the Linkerd opt-out annotation", () => {
    const f = only(run(sidecarHook({ mesh: "linkerd" })), "hook-sidecar-blocks-completion");
    expect(f.title).toMatch(/linkerd-proxy/);
    expect(f.remediations[0]!.summary).toMatch(/linkerd\.io\/inject: disabled/);
  });

  it("near misses: the main container still running, or the Job completed", () => {
    for (const o of [{ mainRunning: true }, { complete: true }]) {
      const codes = run(sidecarHook(o)).findings.map((f) => f.code);
      expect(codes).not.toContain("hook-sidecar-blocks-completion");
    }
  });
});
