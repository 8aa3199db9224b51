// unknown-hook-dropped: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import { CAUSES_NOW, operatorWithoutCrd } from "../../support/scenarios/causes.js";
import { HOOKS_NOW, helm2CrdChart, typoHookConfigMap } from "../../support/scenarios/release-state.js";
import { codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

describe("unknown-hook-dropped", () => {
  it("a Helm 2 crd-install CRD is dropped from the release", () => {
    const d = run(helm2CrdChart(), HOOKS_NOW);
    const f = only(d, "unknown-hook-dropped");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      'CustomResourceDefinition widgets.example.com (templates/crd.yaml) is never created: helm.sh/hook "crd-install" is not a Helm 3 hook event',
    );
    expect(f.resources).toEqual([{ kind: "CustomResourceDefinition", name: "widgets.example.com" }]);
    expect(f.revisions).toEqual([1]);
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /chart template templates\/crd.yaml: line \d+: helm.sh\/hook: "crd-install" — Helm 2's crd-install/,
    );
    expect(ev).toMatch(
      /revision 1 manifest and hooks: nothing from templates\/crd.yaml of kind CustomResourceDefinition/,
    );
    expect(ev).toMatch(/not visible here/);
    expect(f.remediations[0]).toMatchObject({ action: "chart-fix" });
    expect(f.remediations[0]!.summary).toMatch(
      /In templates\/crd.yaml: remove `helm.sh\/hook: crd-install` and move the CRDs to the chart's crds\//,
    );
  });

  it("a typo (pre-instal) drops a ConfigMap the Deployment mounts: critical, and the stuck pod folds in", () => {
    const d = run(typoHookConfigMap(), HOOKS_NOW);
    const f = only(d, "unknown-hook-dropped");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /ConfigMap shop-api-settings \(templates\/settings-configmap.yaml\) is never created/,
    );
    expect(evidenceText(f)).toMatch(/"pre-instal", which is not a hook event/);
    expect(evidenceText(f)).toMatch(
      /Deployment shop-api uses ConfigMap shop-api-settings, which does not exist/,
    );
    expect(f.explains).toContain("ConfigMap/shop/shop-api-settings");
    expect(codes(d)).not.toContain("pod-mount-failed");
  });

  it("near misses: valid events (test-success alias), and templated values, are not judged", () => {
    expect(codes(run(helm2CrdChart({ hook: "pre-install,test-success" }), HOOKS_NOW))).not.toContain(
      "unknown-hook-dropped",
    );
    const templated = [
      "apiVersion: apiextensions.k8s.io/v1",
      "kind: CustomResourceDefinition",
      "metadata:",
      "  name: widgets.example.com",
      "  annotations:",
      "    helm.sh/hook: {{ .Values.crdHook | quote }}",
      "    # helm.sh/hook: crd-install",
      "spec: {}",
    ].join("\n");
    expect(
      codes(run(helm2CrdChart({ hook: "pre-install", rawCrdTemplate: templated }), HOOKS_NOW)),
    ).not.toContain("unknown-hook-dropped");
  });
});

describe("unknown-hook-dropped explains the crash loop it causes", () => {
  it("an operator crash-looping on the kind of a CRD Helm dropped: the CRD first, critical, no rollback", () => {
    const d = run(operatorWithoutCrd(), CAUSES_NOW);
    const f = only(d, "unknown-hook-dropped");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("pod-crash-loop");
    expect(f.severity).toBe("critical");
    expect(f.resources).toContainEqual({
      kind: "CustomResourceDefinition",
      name: "certificates.certs.acme.io",
    });
    expect(f.explanation).toMatch(/Deployment acme-operator fails with .*no matches for kind "Certificate"/);
    expect(evidenceText(f)).toMatch(/1 pod of Deployment acme-operator fails because the kind is not served/);
    // The crash loop's own remedy (roll back the image) cannot install the CRD.
    expect(f.remediations.map((r) => r.action)).not.toContain("rollback");
  });

  it("near miss: the operator crashes for another reason — two findings, the crash first", () => {
    const d = run(
      operatorWithoutCrd({
        message: "panic: runtime error: invalid memory address or nil pointer dereference",
      }),
      CAUSES_NOW,
    );
    expect(codes(d)).toEqual(["pod-crash-loop", "unknown-hook-dropped"]);
    expect(only(d, "unknown-hook-dropped").severity).toBe("warning");
  });

  it("near miss: the missing kind is another one", () => {
    const d = run(
      operatorWithoutCrd({ message: 'no matches for kind "Issuer" in version "certs.acme.io/v1"' }),
      CAUSES_NOW,
    );
    expect(codes(d)).toEqual(["pod-crash-loop", "unknown-hook-dropped"]);
  });
});

describe("unknown-hook-dropped reads structured logs", () => {
  it("an operator that logs JSON (escaped quotes) is linked all the same", () => {
    const d = run(
      operatorWithoutCrd({
        message:
          '{"level":"error","ts":"2026-11-20T11:31:02Z","msg":"unable to start manager","error":"failed to wait for caches to sync: no matches for kind \\"Certificate\\" in version \\"certs.acme.io/v1\\""}',
      }),
      CAUSES_NOW,
    );
    expect(codes(d)).toEqual(["unknown-hook-dropped"]);
  });
});
