// resource-ownership-conflict: a failed revision whose error names an object that is not the release's to
// change — another release's, nobody's, or fields another manager owns; near misses stay quiet.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import { type Obj, Scenario } from "../../support/scenario.js";
import {
  CAUSES_NOW,
  neighbourHookCollision,
  rollbackHitsForeignObject,
  sharedObject,
  ssaReplicasConflict,
} from "../../support/scenarios/causes.js";
import {
  appDeployment,
  liveDeployment,
  movedOutOfHook,
  TRANSITIONS_NOW,
} from "../../support/scenarios/transitions.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

/** An upgrade whose new ConfigMap already exists, created by kubectl (no Helm ownership). */
function unownedConfigMap(o: { adopted?: boolean } = {}): Scenario {
  const s = new Scenario({ release: "billing", namespace: "shop", chart: "billing" });
  const cm: Obj = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "billing-flags" },
    data: { a: "1" },
  };
  const d = appDeployment("billing", { image: "registry.example.com/billing:1.0.0" });
  s.revision({ status: "deployed", at: 0, templates: [{ path: "templates/deployment.yaml", object: d }] });
  s.revision({
    status: "failed",
    at: 60,
    description:
      'Upgrade "billing" failed: Unable to continue with update: ConfigMap "billing-flags" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "billing"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "shop"',
    templates: [
      { path: "templates/deployment.yaml", object: d },
      { path: "templates/flags.yaml", object: cm },
    ],
  });
  s.add(
    o.adopted
      ? s.owned(cm)
      : {
          ...structuredClone(cm),
          metadata: {
            ...cm.metadata,
            managedFields: [{ manager: "kubectl-client-side-apply", operation: "Update" }],
          },
        },
    30,
  );
  liveDeployment(s, d, { newPods: [{ state: "running" }], newAt: 0 });
  return s;
}

describe("resource-ownership-conflict", () => {
  it("a ConfigMap created by kubectl: the missing label and annotations, and the exact commands that adopt it", () => {
    const d = run(unownedConfigMap(), CAUSES_NOW);
    const f = only(d, "resource-ownership-conflict");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("release-failed");
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "ConfigMap billing-flags exists without Helm ownership, so the upgrade to revision 2 cannot adopt it",
    );
    expect(evidenceText(f)).toMatch(
      /no Helm ownership: label app.kubernetes.io\/managed-by=Helm, annotation meta.helm.sh\/release-name=billing/,
    );
    expect(evidenceText(f)).toMatch(/by kubectl-client-side-apply/);
    const fix = summaries(f, "manual");
    expect(fix).toContain(
      "kubectl label configmap billing-flags -n shop app.kubernetes.io/managed-by=Helm --overwrite",
    );
    expect(fix).toContain(
      "kubectl annotate configmap billing-flags -n shop meta.helm.sh/release-name=billing meta.helm.sh/release-namespace=shop --overwrite",
    );
    expect(fix).toMatch(/--take-ownership/);
  });

  it("a rollback that meets another release's object names that release", () => {
    const f = only(run(rollbackHitsForeignObject(), CAUSES_NOW), "resource-ownership-conflict");
    expect(f.title).toBe(
      "ConfigMap mail-settings belongs to release mail-legacy, so mail's rollback cannot take it over",
    );
    expect(f.explanation).toMatch(/no adoption step/);
    expect(summaries(f, "manual")).toMatch(/rename it in mail's chart, or drop it from mail-legacy/);
  });

  it("a rollback that meets an object an uninstalled release left behind: nobody's, delete it and roll back again", () => {
    const f = only(
      run(rollbackHitsForeignObject({ legacyGone: true }), CAUSES_NOW),
      "resource-ownership-conflict",
    );
    expect(f.title).toBe(
      "ConfigMap mail-settings was left behind by release mail-legacy, which no longer exists, so the rollback to revision 3 cannot create it",
    );
    expect(f.explanation).toMatch(/a rollback has no adoption step/);
    expect(summaries(f, "manual")).toMatch(/kubectl delete configmap mail-settings -n shop/);
  });

  it("a Helm 4 server-side apply conflict on replicas: the field manager, --force-conflicts, and the chart fix", () => {
    const f = only(run(ssaReplicasConflict(), CAUSES_NOW), "resource-ownership-conflict");
    expect(f.title).toBe(
      "Deployment web: .spec.replicas belongs to kube-controller-manager, so Helm's server-side apply conflicts",
    );
    expect(evidenceText(f)).toMatch(/field managers helm, kube-controller-manager/);
    expect(summaries(f, "chart-fix")).toMatch(/Leave spec.replicas out/);
    expect(summaries(f, "manual")).toMatch(/--force-conflicts/);
  });

  it("near miss: a leftover hook copy of this release is resource-moved-out-of-hook's", () => {
    const d = run(movedOutOfHook(), TRANSITIONS_NOW);
    expect(codes(d)).toContain("resource-moved-out-of-hook");
    expect(codes(d)).not.toContain("resource-ownership-conflict");
  });

  it("the object was adopted since: only a warning that a retry passes", () => {
    const f = only(run(unownedConfigMap({ adopted: true }), CAUSES_NOW), "resource-ownership-conflict");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "ConfigMap billing-flags blocked the upgrade to revision 2; it now carries billing's ownership, so a retry adopts it",
    );
    expect(summaries(f, "manual")).toBe("Run the same helm upgrade again.");
  });
});

describe("resource-ownership-conflict with the namespace's other releases", () => {
  it("a neighbour's hook of the same name deleted our ConfigMap: the neighbour first, our stuck pods folded in", () => {
    const d = run(neighbourHookCollision(), CAUSES_NOW);
    const f = only(d, "resource-ownership-conflict");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("pod-mount-failed");
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "ConfigMap app-config of shop is also a hook of release shop-jobs: its pre-upgrade hook deletes it after each run",
    );
    expect(evidenceText(f)).toMatch(
      /release shop-jobs revision 2 hooks: ConfigMap app-config is a hook of release shop-jobs/,
    );
    expect(summaries(f, "chart-fix")).toMatch(/Give one of them another name/);
  });

  it("a neighbour's hook deleted our Secret: the same finding, naming the neighbour and its hook", () => {
    const d = run(neighbourHookCollision({ kind: "Secret" }), CAUSES_NOW);
    expect(codes(d)).toEqual(["resource-ownership-conflict"]);
    const f = d.findings[0]!;
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "Secret app-config of shop is also a hook of release shop-jobs: its pre-upgrade hook deletes it after each run",
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /release shop-jobs revision 2 hooks: Secret app-config is a hook of release shop-jobs \(shop-jobs\/templates\/hook.yaml\)/,
    );
    expect(ev).toMatch(/live pods: 1 pod of Deployment shop-web cannot start without it/);
    expect(JSON.stringify(f)).not.toMatch(/s3cret|czNjcmV0/);
  });

  it("a neighbour's hook replaced our Secret: its copy is live, our pods read the other release's values", () => {
    const f = only(
      run(neighbourHookCollision({ kind: "Secret", replaced: true }), CAUSES_NOW),
      "resource-ownership-conflict",
    );
    expect(f.title).toBe(
      "Secret app-config of shop is also a hook of release shop-jobs: its pre-upgrade hook replaces it on every run",
    );
    expect(f.explanation).toMatch(/Deployment shop-web uses it, so its pods now read shop-jobs's values/);
    expect(evidenceText(f)).toMatch(
      /Secret shop\/app-config exists .* without this release's ownership: release shop-jobs's hook copy/,
    );
  });

  it("a neighbour's hook replaced our Secret and our pods are refused with its password: the cause first, the crash loop folded in", () => {
    const d = run(neighbourHookCollision({ kind: "Secret", replaced: true, refused: true }), CAUSES_NOW);
    expect(d.findings[0]).toMatchObject({ code: "resource-ownership-conflict", severity: "critical" });
    expect(codes(d)).not.toContain("pod-crash-loop");
    expect(evidenceText(d.findings[0]!)).toMatch(
      /1 pod of Deployment shop-web, started after release shop-jobs's copy was created, is refused: "FATAL: password authentication failed/,
    );
    // Near miss: the same collision with healthy pods stays a warning.
    const calm = only(
      run(neighbourHookCollision({ kind: "Secret", replaced: true }), CAUSES_NOW),
      "resource-ownership-conflict",
    );
    expect(calm.severity).toBe("warning");
  });

  it("through the CLI: the neighbour's hook is the first finding, and no Secret value is printed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-neighbour-secret-"));
    const bundle = join(dir, "shop.json");
    writeFileSync(bundle, JSON.stringify(neighbourHookCollision({ kind: "Secret" }).bundle()));
    const r = await runMain([
      "diagnose",
      "shop/shop",
      "--bundle",
      bundle,
      "--now",
      CAUSES_NOW,
      "--fail-on",
      "critical",
    ]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/CRITICAL Secret app-config of shop is also a hook of release shop-jobs/);
    expect(r.stdout).not.toMatch(/s3cret|czNjcmV0/);
  });

  it("near miss: a neighbour's hook of the same name but another kind", () => {
    expect(
      codes(run(neighbourHookCollision({ kind: "Secret", theirKind: "ConfigMap" }), CAUSES_NOW)),
    ).toEqual([]);
  });

  it("near miss: the release with that hook lives in another namespace (also when it has our release's name)", () => {
    for (const neighbourRelease of ["shop-jobs", "shop"])
      expect(
        codes(
          run(
            neighbourHookCollision({ kind: "Secret", neighbourNamespace: "staging", neighbourRelease }),
            CAUSES_NOW,
          ),
        ),
      ).toEqual([]);
  });

  it("near miss: a neighbour's failed hook that touches nothing of ours", () => {
    expect(codes(run(neighbourHookCollision({ unrelated: true }), CAUSES_NOW))).toEqual([]);
  });

  it("an object both releases render: uninstalling either deletes it", () => {
    const f = only(run(sharedObject(), CAUSES_NOW), "resource-ownership-conflict");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "ConfigMap feature-flags is rendered by both shop and legacy-shop: uninstalling either deletes it",
    );
  });

  it("ownership naming a release with no records here (renamed, uninstalled, or another namespace's)", () => {
    const f = only(run(sharedObject({ legacyGone: true }), CAUSES_NOW), "resource-ownership-conflict");
    expect(f.title).toBe("ConfigMap feature-flags of shop says it belongs to release legacy-shop");
    expect(f.explanation).toMatch(/No records of legacy-shop are in this namespace/);
  });

  it("ownership that names the release of the same name in another namespace (--take-ownership there): named namespace/release", () => {
    const f = only(run(sharedObject({ sameNameFrom: "staging" }), CAUSES_NOW), "resource-ownership-conflict");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe("ConfigMap feature-flags of shop/shop says it belongs to release staging/shop");
    expect(f.explanation).toMatch(/a release of the same name in another namespace is another release/);
    expect(f.explanation).toMatch(/Its records are in namespace staging, which this diagnosis does not read/);
  });
});
