// The planner alone (pure): revision numbers and status transitions, hook order, object changes and the
// warnings a person should read before confirming.
import { describe, expect, it } from "vitest";
import { plan } from "../../src/remediation/plan.js";
import { renderPlan } from "../../src/remediation/render.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import { type Obj, Scenario } from "../support/scenario.js";
import {
  basicAppConfigMap,
  basicAppDeployment,
  basicAppService,
  FOUNDING_NOW,
  foundingCase,
} from "../support/scenarios/founding.js";
import { migrateJob } from "../support/scenarios/remediation.js";

function snap(items: Obj[]) {
  return buildSnapshot({
    release: "yahoo",
    namespace: "default",
    objects: items,
    now: new Date(FOUNDING_NOW),
    source: "test",
  });
}

const founding = () => snap(foundingCase().bundle().items);

describe("plan", () => {
  it("rerun-upgrade: revision 3, statuses, the ConfigMap hook, the unchanged manifest", () => {
    const p = plan(founding(), { action: "rerun-upgrade" }, { expectedRevision: 2, requestedBy: "@ana" });
    expect(p.refusal).toBeUndefined();
    expect(p.newRevision).toBe(3);
    expect(p.sourceRevision).toBe(2);
    expect(p.transitions).toEqual([
      {
        revision: 3,
        from: "(new)",
        to: ["pending-upgrade", "deployed"],
        description: "Upgrade complete (helm-doctor, requested by @ana)",
      },
      { revision: 2, from: "deployed", to: ["superseded"] },
    ]);
    expect(p.hooks).toEqual([
      {
        event: "pre-upgrade",
        name: "basic-app-config",
        kind: "ConfigMap",
        path: "basic-app/templates/configmap.yaml",
        weight: -5,
        policies: ["before-hook-creation"],
        waits: false,
      },
    ]);
    expect(p.changes.map((c) => `${c.op} ${c.ref.kind}/${c.ref.name}`)).toEqual([
      "create ConfigMap/basic-app-config",
      "skip Service/yahoo-basic-app",
      "skip Deployment/yahoo-basic-app",
    ]);
    expect(p.changes[0]!.owned).toBe(false);
    expect(p.warnings).toEqual([]);
    expect(renderPlan(p)).toContain(
      "pre-upgrade  ConfigMap basic-app-config  weight -5  policies before-hook-creation",
    );
  });

  it("rollback 1: creates the ConfigMap with ownership, patches the Deployment, supersedes every deployed", () => {
    const p = plan(founding(), { action: "rollback", revision: 1 }, { expectedRevision: 2 });
    expect(p.newRevision).toBe(3);
    expect(p.descriptions.success).toBe("Rollback to 1 (helm-doctor)");
    expect(p.changes.map((c) => `${c.op} ${c.ref.kind}/${c.ref.name}${c.owned ? " (owned)" : ""}`)).toEqual([
      "create ConfigMap/basic-app-config (owned)",
      "skip Service/yahoo-basic-app (owned)",
      "patch Deployment/yahoo-basic-app (owned)",
    ]);
    expect(p.transitions.map((t) => `${t.revision}:${t.to.join(">")}`)).toEqual([
      "3:pending-rollback>deployed",
      "2:superseded",
    ]);
  });

  it("refuses a stale expected revision and says what changed", () => {
    const p = plan(founding(), { action: "rerun-upgrade" }, { expectedRevision: 1 });
    expect(p.refusal).toBe(
      'release moved on: the diagnosis saw revision 1, the latest is now revision 2 (deployed, "Upgrade complete"); diagnose again',
    );
  });

  it("warns when Argo CD or Flux manage the release", () => {
    const sc = foundingCase();
    const dep = sc.live.find((o) => o.kind === "Deployment")!;
    dep.metadata.annotations["argocd.argoproj.io/tracking-id"] =
      "yahoo:apps/Deployment:default/yahoo-basic-app";
    const svc = sc.live.find((o) => o.kind === "Service")!;
    svc.metadata.labels["helm.toolkit.fluxcd.io/name"] = "yahoo";
    svc.metadata.labels["helm.toolkit.fluxcd.io/namespace"] = "flux-system";
    const p = plan(snap(sc.bundle().items), { action: "rollback", revision: 1 });
    expect(p.warnings.join("\n")).toMatch(
      /managed by Argo CD \(annotation argocd\.argoproj\.io\/tracking-id=.* on Deployment yahoo-basic-app\): Argo CD will revert/,
    );
    expect(p.warnings.join("\n")).toMatch(
      /managed by Flux \(label helm\.toolkit\.fluxcd\.io\/name=yahoo \(HelmRelease flux-system\/yahoo\)/,
    );
  });

  it("warns about hooks a rollback or an upgrade does not run, and install-rendered manifests", () => {
    const sc = foundingCase();
    sc.revision({
      status: "deployed",
      at: 80,
      templates: [
        { path: "templates/configmap.yaml", object: basicAppConfigMap(false) },
        { path: "templates/deployment.yaml", object: basicAppDeployment() },
        { path: "templates/service.yaml", object: basicAppService() },
      ],
    });
    sc.releases[1]!.info.status = "superseded";
    const s = snap(sc.bundle().items);
    const rb = plan(s, { action: "rollback", revision: 2 });
    expect(rb.warnings).toContain(
      "Not run by this rollback: ConfigMap basic-app-config (pre-install,pre-upgrade) — a rollback runs only pre-rollback/post-rollback hooks.",
    );
    const re = plan(s, { action: "rerun-upgrade", revision: 1 });
    expect(re.warnings.join("\n")).toMatch(
      /Revision 1 was rendered by an install: parts of the templates that render only on an upgrade are missing/,
    );
    expect(re.notes).toContain(
      "Upgrades from revision 3 (the diff base) to revision 1's chart, values, manifest and hooks.",
    );
  });

  it("warns when the stored hooks carry the old revision number", () => {
    const sc = new Scenario({ release: "yahoo", namespace: "default", chart: "basic-app" });
    const job = migrateJob();
    job.metadata.name = "yahoo-migrate-1";
    sc.revision({
      status: "deployed",
      at: 0,
      templates: [
        { path: "templates/deployment.yaml", object: basicAppDeployment() },
        { path: "templates/job.yaml", object: job },
      ],
    });
    const p = plan(snap(sc.bundle().items), { action: "rerun-upgrade" });
    expect(p.warnings.join("\n")).toMatch(
      /rendered with \.Release\.Revision=1 \(hook yahoo-migrate-1\); revision 2 re-applies them as they are/,
    );
  });

  it("refuses to adopt an object that exists without ownership (Helm's own message)", () => {
    // Revision 1 (deployed) has basic-app-config as a hook; failed revision 2 made it a manifest object.
    const sc = new Scenario({ release: "yahoo", namespace: "default", chart: "basic-app" });
    sc.revision({
      status: "deployed",
      at: 0,
      templates: [
        { path: "templates/configmap.yaml", object: basicAppConfigMap(true) },
        { path: "templates/deployment.yaml", object: basicAppDeployment() },
      ],
    });
    sc.revision({
      status: "failed",
      at: 60,
      description: 'Upgrade "yahoo" failed: …',
      templates: [
        { path: "templates/configmap.yaml", object: basicAppConfigMap(false) },
        { path: "templates/deployment.yaml", object: basicAppDeployment() },
      ],
    });
    sc.add(basicAppConfigMap(true), 0);
    sc.add(sc.owned(basicAppDeployment()), 0);
    const p = plan(snap(sc.bundle().items), { action: "rerun-upgrade", revision: 2 });
    expect(p.refusal).toBe(
      'Unable to continue with update: ConfigMap "basic-app-config" in namespace "default" exists and cannot be imported into the current release: invalid ownership metadata; ' +
        'label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; ' +
        'annotation validation error: missing key "meta.helm.sh/release-name": must be set to "yahoo"; ' +
        'annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "default"',
    );
  });

  it("restore-hook-resources lists the missing hook object and no revision", () => {
    const p = plan(founding(), { action: "restore-hook-resources" });
    expect(p.newRevision).toBeUndefined();
    expect(p.transitions).toEqual([]);
    expect(p.changes).toEqual([
      {
        op: "create",
        ref: { apiVersion: "v1", kind: "ConfigMap", name: "basic-app-config", namespace: "default" },
        owned: false,
        reason:
          "from revision 2's pre-install,pre-upgrade hook (basic-app/templates/configmap.yaml); no Helm ownership metadata, as a hook object",
      },
    ]);
  });
});
