// Proven fixes: each remediation is planned and carried out on the snapshot (predict), the predicted state is
// diagnosed again, and only a remediation that leaves the finding gone is offered as a fix — least invasive first,
// one recommended; the others say why not.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis, Remediation } from "../../src/diagnosis/types.js";
import { plan } from "../../src/remediation/plan.js";
import { simulate } from "../../src/remediation/predict.js";
import { diagnoseVerified, Verifier } from "../../src/remediation/verify.js";
import { diagnosisJson } from "../../src/report/json.js";
import { orderedRemediations } from "../../src/report/present.js";
import { makeStyle } from "../../src/report/style.js";
import { renderText } from "../../src/report/text.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { KubeObject, Snapshot } from "../../src/snapshot/types.js";
import type { Scenario } from "../support/scenario.js";
import * as C from "../support/scenarios/causes.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";
import * as H from "../support/scenarios/hooks.js";

function snap(s: Scenario, now: string): Snapshot {
  return buildSnapshot({
    release: s.release,
    namespace: s.namespace,
    objects: s.bundle().items as KubeObject[],
    now: new Date(now),
    source: "test",
  });
}

function fixes(d: Diagnosis, code: string): Remediation[] {
  const f = d.findings.find((x) => x.code === code);
  if (!f) throw new Error(`no ${code} in ${d.findings.map((x) => x.code).join(", ")}`);
  return orderedRemediations(f).filter((r) => r.action !== "chart-fix" && r.action !== "manual");
}

const releaseOf = (s: Snapshot, v: number) => s.records.find((r) => r.release?.version === v)?.release;

describe("predict", () => {
  it("restoring the founding case's ConfigMap: the object from the stored hook, the stuck pod starts, the rollout completes", () => {
    const s = snap(foundingCase(), FOUNDING_NOW);
    const p = simulate(plan(s, { action: "restore-hook-resources", revision: 2 }), s);
    expect(p.failure).toBeUndefined();
    const cm = p.snapshot.objects.find(
      (o) => o.kind === "ConfigMap" && o.metadata?.name === "basic-app-config",
    );
    expect(cm?.data).toEqual({ "app.properties": "greeting=hello\nlog.level=info\n" });
    expect(cm?.metadata?.annotations?.["meta.helm.sh/release-name"]).toBeUndefined();
    const pods = p.snapshot.objects.filter((o) => o.kind === "Pod");
    expect(pods.map((o) => o.metadata?.name)).toEqual([expect.stringContaining("yahoo-basic-app-7d9c6b5f4")]);
    expect(pods[0]!.status.phase).toBe("Running");
    const dep = p.snapshot.objects.find((o) => o.kind === "Deployment")!;
    expect(dep.status.readyReplicas).toBe(1);
    expect(p.snapshot.events.filter((e) => e.reason === "FailedMount")).toEqual([]);
    // The snapshot it was made on is untouched.
    expect(s.objects.filter((o) => o.kind === "Pod")).toHaveLength(2);
    expect(s.objects.some((o) => o.kind === "ConfigMap")).toBe(false);
  });

  it("a rollback writes the next revision deployed and supersedes the old one, from the target's manifest", () => {
    const s = snap(foundingCase(), FOUNDING_NOW);
    const p = simulate(plan(s, { action: "rollback", revision: 1 }, { requestedBy: "@ana" }), s);
    expect(p.failure).toBeUndefined();
    expect(releaseOf(p.snapshot, 2)?.info.status).toBe("superseded");
    const r3 = releaseOf(p.snapshot, 3)!;
    expect(r3.info).toMatchObject({
      status: "deployed",
      description: "Rollback to 1 (helm-doctor, requested by @ana)",
    });
    const cm = p.snapshot.objects.find((o) => o.kind === "ConfigMap")!;
    expect(cm.metadata?.annotations?.["meta.helm.sh/release-name"]).toBe("yahoo");
    // Revision 1's pod template is the old ReplicaSet's: it serves again, the stuck new pod goes.
    const pods = p.snapshot.objects.filter((o) => o.kind === "Pod");
    expect(pods.map((o) => o.metadata?.name)).toEqual([expect.stringContaining("yahoo-basic-app-6c8f7d9b8")]);
    expect(releaseOf(s, 2)?.info.status).toBe("deployed");
  });

  it("a pre-rollback hook that failed unchanged fails again: nothing is applied, the record stays pending-rollback", () => {
    const s = snap(C.preRollbackHookFailed(), C.CAUSES_NOW);
    const p = simulate(plan(s, { action: "rollback", revision: 1 }), s);
    expect(p.failure).toContain("job ledger-backup failed: BackoffLimitExceeded");
    expect(p.why).toBe(
      "rolling back to revision 1 re-runs the failing pre-rollback hook ledger-backup: it failed with BackoffLimitExceeded and has not changed; revision 4 would stay pending-rollback",
    );
    const r4 = releaseOf(p.snapshot, 4)!;
    expect(r4.info.status).toBe("pending-rollback");
    expect(r4.hooks?.find((h) => h.name === "ledger-backup")?.last_run?.phase).toBe("Failed");
    expect(releaseOf(p.snapshot, 3)?.info.status).toBe("pending-rollback");
    // Helm stopped before the manifest: the Deployment still runs revision 2's image.
    const dep = p.snapshot.objects.find((o) => o.kind === "Deployment")!;
    expect(dep.spec.template.spec.containers[0].image).toBe("registry.example.com/ledger:3.1.0");
  });

  it("an upgrade whose pre-upgrade hook fails again is recorded failed with Helm's description", () => {
    const s = snap(H.migrationFailed(), H.HOOKS_NOW);
    const p = simulate(plan(s, { action: "rerun-upgrade", revision: 2 }), s);
    const r3 = releaseOf(p.snapshot, 3)!;
    expect(r3.info.status).toBe("failed");
    expect(r3.info.description).toBe(
      'Upgrade "shop" failed: pre-upgrade hooks failed: 1 error occurred:\n\t* job shop-db-migrate failed: BackoffLimitExceeded (helm-doctor)',
    );
    expect(releaseOf(p.snapshot, 1)?.info.status).toBe("deployed");
  });
});

describe("verify", () => {
  it("the founding case's three fixes are proven, the restore recommended and first", () => {
    const d = diagnoseVerified(snap(foundingCase(), FOUNDING_NOW));
    const rs = fixes(d, "resource-moved-into-hook");
    expect(rs.map((r) => [r.action, r.revision, r.verified, r.recommended])).toEqual([
      ["restore-hook-resources", 2, true, true],
      ["rerun-upgrade", 2, true, false],
      ["rollback", 1, true, false],
    ]);
    expect(rs[0]!.predicted).toEqual([]);
    expect(rs[2]!.predicted).toEqual([]);
    // The JSON report carries the same, with the label and command the text report prints.
    const json = diagnosisJson(d).findings[0]!.remediations;
    expect(json[0]).toMatchObject({
      action: "restore-hook-resources",
      verified: true,
      recommended: true,
      predicted: [],
      label: "Restore ConfigMap basic-app-config",
      command: "helm-doctor restore-hooks yahoo -n default --revision 2",
    });
    expect(json.filter((r) => r.recommended)).toHaveLength(1);
    const text = renderText(d, makeStyle(false));
    expect(text).toMatch(/Fix {6}1\. Restore ConfigMap basic-app-config/);
    expect(text).not.toContain("Not a fix");
  });

  it("a rollback is not a fix for a Secret a hook regenerated: the Secret stays as it is", () => {
    const s = snap(C.regeneratedPassword(), C.CAUSES_NOW);
    const d = diagnose(s);
    const f = d.findings.find((x) => x.code === "hook-object-needed-by-workload")!;
    const v = new Verifier(s, d).verify(f, { action: "rollback", revision: 1, summary: "" })!;
    expect(v.verified).toBe(false);
    expect(v.predicted).toContain("hook-object-needed-by-workload");
    expect(v.reason).toMatch(/^after it, hook-object-needed-by-workload remains: Secret shop-db-password/);
  });

  it("a rollback is not a fix when its pre-rollback hook is the one that failed, to any revision that runs it", () => {
    const s = snap(C.preRollbackHookFailed(), C.CAUSES_NOW);
    const d = diagnose(s);
    const f = d.findings.find((x) => x.code === "hook-failed")!;
    const verifier = new Verifier(s, d);
    for (const revision of [1, 2]) {
      const v = verifier.verify(f, { action: "rollback", revision, summary: "" })!;
      expect(v.verified).toBe(false);
      expect(v.reason).toContain(
        `rolling back to revision ${revision} re-runs the failing pre-rollback hook ledger-backup: it failed with BackoffLimitExceeded and has not changed`,
      );
      expect(v.predicted).toContain("hook-failed");
    }
    // Near miss: the same rollback hook completed (and its Job was cleaned up since): it runs as it ran before.
    const done = C.preRollbackHookFailed({ completed: true });
    const ok = buildSnapshot({
      release: done.release,
      namespace: done.namespace,
      objects: (done.bundle().items as KubeObject[]).filter(
        (o) => !/^ledger-backup/.test(o.metadata?.name ?? "") || o.kind === "Deployment",
      ),
      now: new Date(C.CAUSES_NOW),
      source: "test",
    });
    const p = new Verifier(ok, diagnose(ok)).predicted({ action: "rollback", revision: 2 })!;
    expect(p.prediction.failure).toBeUndefined();
    expect(releaseOf(p.prediction.snapshot, 4)?.info.status).toBe("deployed");
  });

  it("a re-run is not a fix when the failing hook Job is unchanged; the rollback is, and is recommended", () => {
    const d = diagnoseVerified(snap(H.migrationFailed(), H.HOOKS_NOW));
    const [first, second] = fixes(d, "hook-failed");
    expect(first).toMatchObject({ action: "rollback", revision: 1, verified: true, recommended: true });
    expect(second).toMatchObject({ action: "rerun-upgrade", revision: 2, verified: false });
    expect(second!.reason).toBe(
      "re-running the upgrade re-runs the failing pre-upgrade hook shop-db-migrate: it failed with BackoffLimitExceeded and has not changed",
    );
    const text = renderText(d, makeStyle(false));
    expect(text.replace(/\s+/g, " ")).toContain(
      "✗ Not a fix: Re-run the upgrade (revision 2) — re-running the upgrade re-runs the failing pre-upgrade hook shop-db-migrate",
    );
    // The summary offers only the proven fix.
    const summary = text.split("\n\n")[0]!;
    expect(summary).toContain("helm-doctor rollback shop 1 -n shop");
    expect(summary).not.toContain("helm-doctor rerun");
  });

  it("near miss: a hook whose own spec succeeded runs again as it did; one never run is assumed to succeed, and said", () => {
    const sc = H.migrationFailed();
    // Revision 1's migration is another image than the one that failed in revision 2, and it succeeded.
    const r1 = sc.releases.find((r) => r.version === 1)!;
    for (const h of r1.hooks ?? []) h.manifest = h.manifest.replace("app:2.4.0", "app:2.3.0");
    const s = snap(sc, H.HOOKS_NOW);
    const p = simulate(plan(s, { action: "rerun-upgrade", revision: 1 }), s);
    expect(p.failure).toBeUndefined();
    expect(p.assumptions).toEqual([]);
    expect(releaseOf(p.snapshot, 3)?.info.status).toBe("deployed");

    // Skipped with --no-hooks: the migration never ran.
    const skipped = snap(C.migrationSkipped(), C.CAUSES_NOW);
    const q = simulate(plan(skipped, { action: "rerun-upgrade", revision: 2 }), skipped);
    expect(q.failure).toBeUndefined();
    expect(q.assumptions).toContain(
      "the pre-upgrade hook Job orders-migrate has not run with this spec before: assumed to succeed",
    );
  });

  it("a fix as a first step: delete the leftover hook Job, then re-run the upgrade whose hook changed since", () => {
    const d = diagnoseVerified(snap(H.leftoverHook({ mode: "already-exists", helm4ssa: true }), H.HOOKS_NOW));
    const [first, second] = fixes(d, "hook-leftover-blocks");
    expect(first).toMatchObject({
      action: "delete-leftover-hook",
      verified: true,
      recommended: true,
      followedBy: { action: "rerun-upgrade", revision: 3 },
      predicted: [],
    });
    expect(second).toMatchObject({ action: "rerun-upgrade", verified: false });
    expect(second!.reason).toContain(
      "over the one an earlier run left, whose pod template differs and cannot change",
    );
    const text = renderText(d, makeStyle(false));
    expect(text).toContain(
      "Fix      Delete the leftover Job example-lakefs-migrate, then re-run the upgrade (revision 3)",
    );
  });

  it("near miss: the leftover's own run failed and the hook is unchanged: neither step is a fix", () => {
    const d = diagnoseVerified(snap(H.leftoverHook({ mode: "already-exists" }), H.HOOKS_NOW));
    const rs = fixes(d, "hook-leftover-blocks");
    expect(rs.map((r) => [r.action, r.verified, r.followedBy])).toEqual([
      ["delete-leftover-hook", false, undefined],
      ["rerun-upgrade", false, undefined],
    ]);
    expect(rs[1]!.reason).toContain('creating it fails with "already exists"');
  });
});
