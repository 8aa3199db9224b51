// Group B (hook execution): hook-failed, hook-leftover-blocks, pre-install-hook-needs-manifest-object,
// hook-sidecar-blocks-completion, post-hook-wait-deadlock, hook-order-dependency — each from a realistic
// cluster state, through buildSnapshot + diagnose (the CLI's path), plus the built CLI for two held-out-like cases.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis, Finding, FindingCode } from "../../src/diagnosis/types.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Gap } from "../../src/snapshot/types.js";
import { runCli } from "../support/cli.js";
import type { Obj, Scenario } from "../support/scenario.js";
import {
  HOOKS_NOW,
  healthyWithHooks,
  hookOrder,
  leftoverHook,
  migrationFailed,
  postHookDeadlock,
  preInstallNeedsManifestObject,
  sidecarHook,
} from "../support/scenarios/hooks.js";

const GROUP_B: FindingCode[] = [
  "hook-failed",
  "hook-leftover-blocks",
  "pre-install-hook-needs-manifest-object",
  "hook-sidecar-blocks-completion",
  "post-hook-wait-deadlock",
  "hook-order-dependency",
];

function run(s: Scenario, o: { drop?: (o: Obj) => boolean; gaps?: Gap[] } = {}): Diagnosis {
  const items = (s.bundle().items as Obj[]).filter((x) => !o.drop?.(x));
  const d = diagnose(
    buildSnapshot({
      release: s.release,
      namespace: s.namespace,
      objects: items,
      now: new Date(HOOKS_NOW),
      gaps: o.gaps ?? [],
      source: "test",
    }),
  );
  // None of our analyzers may throw (diagnose turns a throw into a gap).
  expect(d.gaps.filter((g) => g.what.startsWith("analyzer "))).toEqual([]);
  return d;
}

function only(d: Diagnosis, code: FindingCode): Finding {
  const fs = d.findings.filter((f) => f.code === code);
  expect(fs, `${code} in ${d.findings.map((f) => f.code).join(", ")}`).toHaveLength(1);
  return fs[0]!;
}

const actions = (f: Finding) => f.remediations.map((r) => [r.action, r.revision]);
const evidenceText = (f: Finding) => f.evidence.map((e) => `${e.source}: ${e.detail}`).join("\n");
const seriousOfGroupB = (d: Diagnosis) =>
  d.findings.filter((f) => GROUP_B.includes(f.code) && f.severity !== "info").map((f) => f.code);

describe("hook-failed", () => {
  it("a pre-upgrade migration Job that hit its backoff limit: the manifest was never applied", () => {
    const d = run(migrationFailed());
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-failed");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/Pre-upgrade hook Job shop-db-migrate failed \(BackoffLimitExceeded\)/);
    expect(f.title).toMatch(/revision 2 was never applied/);
    expect(f.resources[0]).toEqual({ kind: "Job", name: "shop-db-migrate", namespace: "shop" });
    expect(f.revisions).toEqual([1, 2]);
    expect(actions(f)).toContainEqual(["rerun-upgrade", 2]);
    expect(actions(f)).toContainEqual(["rollback", 1]);
    expect(f.remediations.find((r) => r.action === "chart-fix")?.summary).toMatch(
      /webshop\/templates\/migrate-job\.yaml/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2: status failed, description "Upgrade "shop" failed: pre-upgrade hooks failed/,
    );
    expect(ev).toMatch(
      /revision 2 hooks: Job shop-db-migrate .*weight -5, delete policy before-hook-creation, last run Failed after 3m/,
    );
    expect(ev).toMatch(/Job shop\/shop-db-migrate: condition Failed, reason BackoffLimitExceeded/);
    expect(ev).toMatch(/3 failed pods; backoffLimit 2/);
    expect(ev).toMatch(/BackoffLimitExceeded.*Job has reached the specified backoff limit/);
    expect(ev).toMatch(
      /main terminated Error \(exit code 1\): dial tcp 10\.0\.3\.7:5432: connect: connection refused/,
    );
    expect(f.explanation).toMatch(/never applied: the cluster still runs revision 1's objects/);
    expect(f.explanation).toMatch(/kubectl logs -n shop job\/shop-db-migrate/);
  });

  it("a post-upgrade hook failure: the new workloads run while the release is marked failed", () => {
    const f = only(run(migrationFailed({ event: "post-upgrade" })), "hook-failed");
    expect(f.title).toMatch(
      /Post-upgrade hook Job shop-cache-warm failed.*revision 2 is applied but marked failed/,
    );
    expect(f.explanation).toMatch(/applied revision 2's manifest/);
    expect(f.explanation).toMatch(/new workloads are running while the release is marked failed/);
    expect(actions(f)).toContainEqual(["rollback", 1]);
  });

  it("tells a timeout from a crash by the error and the hook's duration", () => {
    const f = only(run(migrationFailed({ outcome: "timeout" })), "hook-failed");
    expect(f.title).toMatch(/timed out after 5m/);
    expect(f.explanation).toMatch(/gave up after 5m \(the per-hook --timeout/);
    expect(evidenceText(f)).toMatch(/CrashLoopBackOff/);
    expect(f.remediations.find((r) => r.action === "chart-fix")?.summary).toMatch(/activeDeadlineSeconds/);
    const dl = only(run(migrationFailed({ outcome: "deadline" })), "hook-failed");
    expect(dl.title).toMatch(/failed \(DeadlineExceeded\)/);
  });

  it("says the logs are gone when the hook-failed policy deleted the Job", () => {
    const f = only(run(migrationFailed({ policy: "before-hook-creation,hook-failed" })), "hook-failed");
    expect(f.severity).toBe("critical");
    expect(evidenceText(f)).toMatch(
      /Job shop\/shop-db-migrate does not exist: deleted by its hook-failed delete policy; its logs are lost/,
    );
    expect(f.explanation).toMatch(/hook-failed\), so its pods and their logs are gone/);
    expect(f.remediations.find((r) => r.action === "chart-fix")?.summary).toMatch(
      /hook-output-log-policy: hook-failed/,
    );
  });

  it("says the Job's state is unknown when Jobs could not be read", () => {
    const f = only(
      run(migrationFailed(), {
        drop: (o) => o.kind === "Job" || o.metadata?.ownerReferences?.[0]?.kind === "Job",
        gaps: [{ what: "jobs", reason: "forbidden", detail: "add list jobs" }],
      }),
      "hook-failed",
    );
    expect(evidenceText(f)).toMatch(
      /Job shop\/shop-db-migrate: unknown, jobs could not be read \(forbidden\)/,
    );
    expect(evidenceText(f)).not.toMatch(/logs are lost/);
  });

  it("near miss: a later revision deployed with the hook Succeeded — nothing at warning or above", () => {
    const d = run(migrationFailed({ fixedLater: true }));
    expect(d.findings.filter((f) => f.code === "hook-failed")).toEqual([]);
    expect(seriousOfGroupB(d)).toEqual([]);
  });

  it("reads Helm 4's error shape", () => {
    const s = migrationFailed();
    s.releases[1]!.info.description =
      'Upgrade "shop" failed: pre-upgrade hooks failed: resource Job/shop/shop-db-migrate not ready. status: Failed, message: Job has reached the specified backoff limit';
    s.releases[1]!.hooks![0]!.last_run!.phase = "Running";
    const f = only(run(s), "hook-failed");
    expect(f.resources[0]?.name).toBe("shop-db-migrate");
    expect(f.title).toMatch(/BackoffLimitExceeded/);
  });
  it("reads old Helm 3's `job failed: …` (no event, no hook marked Failed) from the live Job", () => {
    const s = migrationFailed();
    s.releases[1]!.info.description = 'Upgrade "shop" failed: job failed: BackoffLimitExceeded';
    s.releases[1]!.hooks![0]!.last_run = { started_at: "", completed_at: "", phase: "" };
    const f = only(run(s), "hook-failed");
    expect(f.title).toMatch(/Pre-upgrade hook Job shop-db-migrate failed \(BackoffLimitExceeded\)/);
  });
});

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

describe("hook-leftover-blocks", () => {
  it("revision 3 failed with already exists on the Job revision 2's failed run left behind", () => {
    const d = run(leftoverHook({ mode: "already-exists" }));
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-leftover-blocks");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/Leftover hook Job example-lakefs-migrate already exists/);
    expect(f.resources[0]).toEqual({ kind: "Job", name: "example-lakefs-migrate", namespace: "lakefs" });
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toEqual([
      ["delete-leftover-hook", 3],
      ["rerun-upgrade", 3],
      ["chart-fix", undefined],
    ]);
    expect(f.remediations[0]!.resources).toEqual([
      { kind: "Job", name: "example-lakefs-migrate", namespace: "lakefs" },
    ]);
    expect(f.remediations[2]!.summary).toMatch(
      /lakefs\/templates\/job\.yaml: set `helm\.sh\/hook-delete-policy: before-hook-creation,hook-succeeded`/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(/jobs\.batch "example-lakefs-migrate" already exists/);
    expect(ev).toMatch(/delete policy hook-succeeded, last run Failed/);
    expect(ev).toMatch(/no meta\.helm\.sh\/\* ownership annotations/);
    expect(ev).toMatch(/created by revision 2's run of the hook \(last run Failed/);
    expect(f.explanation).toMatch(/explicit policy replaces the before-hook-creation default/);
    // The hook failure of revision 3 folds into the leftover.
    expect(d.findings.map((x) => x.code)).not.toContain("hook-failed");
  });

  it("predicts the next upgrade's failure: a Complete hook Job kept by a hook-failed-only policy", () => {
    const d = run(leftoverHook({ mode: "kept-after-success" }));
    const f = only(d, "hook-leftover-blocks");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/will make the next upgrade fail with "already exists"/);
    expect(actions(f)).toEqual([
      ["delete-leftover-hook", 2],
      ["chart-fix", undefined],
    ]);
    expect(evidenceText(f)).toMatch(/condition Complete/);
  });

  it("a failed hook Job that stays (hook-succeeded only) warns about the re-run beside the critical hook-failed", () => {
    const s = leftoverHook({ mode: "already-exists" });
    s.releases.pop(); // only revisions 1 (deployed) and 2 (failed)
    const d = run(s);
    expect(d.findings[0]!.code).toBe("hook-failed");
    expect(d.findings[0]!.remediations.find((r) => r.action === "rerun-upgrade")?.summary).toMatch(
      /delete the leftover Job example-lakefs-migrate first/,
    );
    expect(only(d, "hook-leftover-blocks").severity).toBe("warning");
  });

  it("near misses: policy before-hook-creation,hook-succeeded (Job cleaned up), and Helm 4 server-side apply", () => {
    expect(run(leftoverHook({ mode: "cleaned" })).findings.map((f) => f.code)).not.toContain(
      "hook-leftover-blocks",
    );
    expect(
      run(leftoverHook({ mode: "kept-after-success", helm4ssa: true })).findings.map((f) => f.code),
    ).not.toContain("hook-leftover-blocks");
  });
});

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

describe("post-hook-wait-deadlock", () => {
  it("the Deployment needs a Secret only a post-install hook creates; --wait timed out", () => {
    const d = run(postHookDeadlock());
    const f = d.findings[0]!;
    expect(f.code).toBe("post-hook-wait-deadlock");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Deployment keycloak cannot become ready: Secret keycloak-db-credentials is only created by a post-install hook/,
    );
    expect(f.resources[0]).toEqual({ kind: "Secret", name: "keycloak-db-credentials", namespace: "auth" });
    expect(f.revisions).toEqual([1]);
    expect(actions(f)).toEqual([
      ["restore-hook-resources", 1],
      ["rerun-upgrade", 1],
      ["chart-fix", undefined],
    ]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/context deadline exceeded/);
    expect(ev).toMatch(
      /post-install hooks never ran: Secret keycloak-db-credentials \(never ran in this revision\); Job keycloak-db-setup/,
    );
    expect(ev).toMatch(/Secret auth\/keycloak-db-credentials does not exist/);
    expect(ev).toMatch(/CreateContainerConfigError/);
    // The stuck pod is evidence, not a finding of its own.
    expect(d.findings.map((x) => x.code)).not.toContain("pod-config-missing");
  });

  it("an --atomic upgrade rolled back: a warning that the next upgrade deadlocks again", () => {
    const f = only(run(postHookDeadlock({ atomicUpgrade: true })), "post-hook-wait-deadlock");
    expect(f.severity).toBe("warning");
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rerun-upgrade", 2]);
  });

  it("near miss: the Secret exists, so the timeout had another cause", () => {
    expect(run(postHookDeadlock({ secretLive: true })).findings.map((f) => f.code)).not.toContain(
      "post-hook-wait-deadlock",
    );
  });
});

describe("hook-order-dependency", () => {
  it("the Job sorts before its ServiceAccount at equal weight, by name", () => {
    const d = run(hookOrder());
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-order-dependency");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Hook Job app-db-init runs before the ServiceAccount app-migrator it needs \(pre-install: weight 0 vs 0\)/,
    );
    expect(f.resources).toEqual([
      { kind: "Job", name: "app-db-init", namespace: "data" },
      { kind: "ServiceAccount", name: "app-migrator", namespace: "data" },
    ]);
    expect(f.revisions).toEqual([1]);
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /pre-install run order \(weight, then name\): 1\. Job app-db-init \(weight 0\), 2\. ServiceAccount app-migrator \(weight 0\)/,
    );
    expect(ev).toMatch(/app-migrator never ran in this revision: the phase stopped at app-db-init/);
    expect(ev).toMatch(/FailedCreate ×14/);
    expect(f.explanation).toMatch(/"app-db-init" < "app-migrator" \(kind does not count\)/);
    expect(f.remediations[0]).toMatchObject({ action: "chart-fix" });
    expect(f.remediations[0]!.summary).toMatch(
      /app\/templates\/hooks\/serviceaccount\.yaml: give ServiceAccount app-migrator a lower weight/,
    );
    expect(d.findings.map((x) => x.code)).not.toContain("hook-failed");
    expect(d.findings.map((x) => x.code)).not.toContain("pre-install-hook-needs-manifest-object");
  });

  it("a higher weight on the dependency", () => {
    const f = only(run(hookOrder({ saWeight: "5" })), "hook-order-dependency");
    expect(f.explanation).toMatch(/its weight 5 is higher than app-db-init's 0/);
  });

  it("near misses: a lower weight on the dependency; a deployed release where it worked (info only)", () => {
    expect(run(hookOrder({ saWeight: "-10" })).findings.map((f) => f.code)).not.toContain(
      "hook-order-dependency",
    );
    const d = run(hookOrder({ deployed: true }));
    expect(only(d, "hook-order-dependency").severity).toBe("info");
    expect(seriousOfGroupB(d)).toEqual([]);
  });
});

describe("healthy", () => {
  it("a release whose hooks all Succeeded gives nothing at warning or above", () => {
    const d = run(healthyWithHooks());
    expect(seriousOfGroupB(d)).toEqual([]);
  });
});

describe("end to end through the built CLI", () => {
  const tmp = mkdtempSync(join(tmpdir(), "hd-groupb-"));
  async function cli(name: string, s: Scenario) {
    const f = join(tmp, `${name}.json`);
    writeFileSync(f, JSON.stringify(s.bundle()));
    const r = await runCli([
      "diagnose",
      s.release,
      "-n",
      s.namespace,
      "--bundle",
      f,
      "-o",
      "json",
      "--now",
      HOOKS_NOW,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  }

  it("a failed pre-upgrade migration Job: hook-failed first, naming the Job, rerun 2 / rollback 1", async () => {
    const rep = await cli("migration", migrationFailed());
    expect(rep).toMatchObject({ release: "shop", namespace: "shop", revision: 2, status: "failed" });
    const first = rep.findings[0];
    expect(first.code).toBe("hook-failed");
    expect(first.severity).toBe("critical");
    expect(first.resources[0]).toEqual({ kind: "Job", name: "shop-db-migrate", namespace: "shop" });
    const acts = first.remediations.map((m: { action: string; revision?: number }) => [m.action, m.revision]);
    expect(acts).toContainEqual(["rerun-upgrade", 2]);
    expect(acts).toContainEqual(["rollback", 1]);
    expect(first).not.toHaveProperty("explains");
  });

  it("a pre-install Job whose ServiceAccount only the manifest creates comes first, naming both", async () => {
    const rep = await cli("preinstall", preInstallNeedsManifestObject());
    const first = rep.findings[0];
    expect(first.code).toBe("pre-install-hook-needs-manifest-object");
    expect(first.severity).toBe("critical");
    expect(first.title).toMatch(/ServiceAccount barbican/);
    expect(first.title).toMatch(/Job barbican-migration/);
    expect(first.resources).toContainEqual({
      kind: "ServiceAccount",
      name: "barbican",
      namespace: "monsoon3",
    });
    expect(first.resources).toContainEqual({
      kind: "Job",
      name: "barbican-migration",
      namespace: "monsoon3",
    });
    expect(rep.findings.map((x: { code: string }) => x.code)).not.toContain("hook-failed");
  });
});
