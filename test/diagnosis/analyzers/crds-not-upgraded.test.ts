// crds-not-upgraded: a chart's crds/ are installed on first install only, so an upgraded operator meets an old
// CRD; near misses stay quiet.
import { describe, expect, it } from "vitest";
import { CAUSES_NOW, crdsNotUpgraded } from "../../support/scenarios/causes.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

describe("crds-not-upgraded", () => {
  it("the operator needs Certificate v1, the live CRD serves only v1alpha1: the CRD first, the crash loop folded in", () => {
    const d = run(crdsNotUpgraded(), CAUSES_NOW);
    const f = only(d, "crds-not-upgraded");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("pod-crash-loop");
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "CustomResourceDefinition certificates.certs.acme.io serves v1alpha1 but not v1: Helm does not upgrade a chart's crds/ (crds/certificates.yaml of acme-operator 1.5.0)",
    );
    expect(f.resources[0]).toEqual({ kind: "CustomResourceDefinition", name: "certificates.certs.acme.io" });
    expect(evidenceText(f)).toMatch(
      /crds\/certificates.yaml defines certificates.certs.acme.io .* versions v1alpha1, v1/,
    );
    expect(summaries(f, "manual")).toMatch(
      /helm show crds <repo>\/acme-operator --version 1.5.0 \| kubectl apply --server-side -f -/,
    );
    // Rolling the operator back is not a fix for the CRD.
    expect(f.remediations.map((r) => r.action)).not.toContain("rollback");
  });

  it("near miss: the CRD was upgraded by hand and the operator crashes for another reason", () => {
    const d = run(
      crdsNotUpgraded({
        liveVersions: ["v1alpha1", "v1"],
        message: "panic: runtime error: index out of range [3] with length 3",
      }),
      CAUSES_NOW,
    );
    expect(codes(d)).toEqual(["pod-crash-loop"]);
  });

  it("near miss: the missing kind is not one the chart ships", () => {
    const d = run(
      crdsNotUpgraded({
        liveVersions: ["v1alpha1", "v1"],
        message: 'no matches for kind "Issuer" in version "certs.acme.io/v1"',
      }),
      CAUSES_NOW,
    );
    expect(codes(d)).not.toContain("crds-not-upgraded");
  });
});
