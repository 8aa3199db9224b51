// Group C (object transitions and live workloads): resource-moved-out-of-hook, hook-object-needed-by-workload,
// immutable-job-in-manifest and the live workload symptoms — each from a realistic cluster state through
// buildSnapshot + diagnose (the CLI's path), plus the built CLI for three held-out-like cases.
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
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";
import {
  crashLoopCase,
  extraReplicaUnschedulable,
  forbiddenCase,
  healthyRelease,
  hookObjectNeeded,
  IMAGE_TYPO,
  imagePullCase,
  immutableJob,
  movedOutOfHook,
  notReadyCase,
  oomCase,
  progressDeadlineExceeded,
  pvcCase,
  stalledCase,
  TRANSITIONS_NOW,
  unschedulableCase,
} from "../support/scenarios/transitions.js";

function run(s: Scenario, o: { drop?: (o: Obj) => boolean; gaps?: Gap[]; now?: string } = {}): Diagnosis {
  const items = (s.bundle().items as Obj[]).filter((x) => !o.drop?.(x));
  const d = diagnose(
    buildSnapshot({
      release: s.release,
      namespace: s.namespace,
      objects: items,
      now: new Date(o.now ?? TRANSITIONS_NOW),
      gaps: o.gaps ?? [],
      source: "test",
    }),
  );
  // No analyzer may throw (diagnose turns a throw into a gap).
  expect(d.gaps.filter((g) => g.what.startsWith("analyzer "))).toEqual([]);
  return d;
}

function only(d: Diagnosis, code: FindingCode): Finding {
  const fs = d.findings.filter((f) => f.code === code);
  expect(fs, `${code} in ${d.findings.map((f) => f.code).join(", ")}`).toHaveLength(1);
  return fs[0]!;
}

const codes = (d: Diagnosis) => d.findings.map((f) => f.code);
const actions = (f: Finding) => f.remediations.map((r) => [r.action, r.revision]);
const evidenceText = (f: Finding) => f.evidence.map((e) => `${e.source}: ${e.detail}`).join("\n");
const summaries = (f: Finding, action: string) =>
  f.remediations
    .filter((r) => r.action === action)
    .map((r) => r.summary)
    .join("\n");
const serious = (d: Diagnosis) => d.findings.filter((f) => f.severity !== "info").map((f) => f.code);

describe("resource-moved-out-of-hook", () => {
  it("a ConfigMap that was a hook in revision 1 and is a regular resource in revision 2 fails on ownership", () => {
    const d = run(movedOutOfHook());
    const f = d.findings[0]!;
    expect(f.code).toBe("resource-moved-out-of-hook");
    expect(f.severity).toBe("critical");
    expect(f.role).toBe("root");
    expect(f.resources[0]).toEqual({ kind: "ConfigMap", name: "web-settings", namespace: "shop" });
    expect(f.revisions).toEqual([1, 2]);
    expect(f.title).toMatch(
      /ConfigMap web-settings was a hook in revision 1 .* revision 2: the upgrade fails on ownership/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 1 hooks: ConfigMap web-settings is a hook \(web-app\/templates\/configmap.yaml\): events pre-install,pre-upgrade/,
    );
    expect(ev).toMatch(/revision 2 manifest: ConfigMap web-settings is a regular release resource/);
    expect(ev).toMatch(
      /live cluster: ConfigMap shop\/web-settings exists .*no label app.kubernetes.io\/managed-by, no annotation meta.helm.sh\/release-name/,
    );
    expect(ev).toMatch(/revision 2 description: .*exists and cannot be imported into the current release/);
    expect(actions(f).map((a) => a[0])).toEqual(["manual", "chart-fix"]);
    const manual = summaries(f, "manual");
    expect(manual).toContain(
      "kubectl -n shop annotate configmap/web-settings meta.helm.sh/release-name=web meta.helm.sh/release-namespace=shop",
    );
    expect(manual).toContain(
      "kubectl -n shop label configmap/web-settings app.kubernetes.io/managed-by=Helm",
    );
    expect(manual).toContain("--take-ownership");
    expect(summaries(f, "chart-fix")).toContain("web-app/templates/configmap.yaml");
    expect(f.explanation).toMatch(/Helm checks this before it changes anything/);
  });

  it("a warning once the live object carries ownership (a retry passes)", () => {
    const f = only(run(movedOutOfHook({ ownershipFixed: true })), "resource-moved-out-of-hook");
    expect(f.severity).toBe("warning");
    expect(summaries(f, "manual")).toMatch(/Run the same helm upgrade again/);
    expect(evidenceText(f)).toMatch(/now carries Helm ownership for release web/);
  });

  it("predicts the failure while revision 2 is still pending", () => {
    const f = only(run(movedOutOfHook({ outcome: "pending" })), "resource-moved-out-of-hook");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/the upgrade will fail on ownership metadata/);
  });

  it("a rollback into the regular-resource revision fails on the leftover hook copy", () => {
    const f = only(run(movedOutOfHook({ rollback: true })), "resource-moved-out-of-hook");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/the rollback to revision 1 fails on the leftover hook copy/);
    expect(f.revisions).toEqual([3, 4]);
    expect(actions(f)).toContainEqual(["rollback", 1]);
    expect(summaries(f, "manual")).toMatch(/kubectl -n shop delete configmap\/web-settings/);
    // The hook copy's hook-object-needed-by-workload warning for revision 3 is moot: the chart has moved on.
    expect(codes(run(movedOutOfHook({ rollback: true })))).not.toContain("hook-object-needed-by-workload");
  });

  it("near miss: the upgrade went through after the object was adopted", () => {
    expect(codes(run(movedOutOfHook({ outcome: "deployed" })))).not.toContain("resource-moved-out-of-hook");
  });
});

describe("hook-object-needed-by-workload", () => {
  it("a hook-succeeded Secret the Deployment still needs comes first, with restore and a chart fix", () => {
    const d = run(hookObjectNeeded());
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-object-needed-by-workload");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "Secret", name: "api-db-credentials", namespace: "payments" });
    expect(f.resources).toContainEqual({ kind: "Deployment", name: "api", namespace: "payments" });
    expect(f.revisions).toEqual([2]);
    expect(actions(f)).toContainEqual(["restore-hook-resources", 2]);
    expect(summaries(f, "chart-fix")).toMatch(
      /In api\/templates\/db-secret.yaml: never put `hook-succeeded`/,
    );
    expect(actions(f).map((a) => a[0])).not.toContain("rerun-upgrade");
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2 hooks: Secret api-db-credentials is a hook .*delete policy before-hook-creation,hook-succeeded, last run Succeeded/,
    );
    expect(ev).toMatch(
      /Deployment api .* uses Secret api-db-credentials: env DB_PASSWORD of container api \(key password\)/,
    );
    expect(ev).toMatch(/live cluster: Secret payments\/api-db-credentials does not exist/);
    // The stuck pods are evidence of this finding, not findings of their own.
    expect(codes(d)).not.toContain("pod-config-missing");
    expect(ev).toMatch(/event Warning Failed ×14.*secret "api-db-credentials" not found/);
    expect(f.explanation).toMatch(/after the pre-upgrade hook phase of revision 2 succeeded/);
    expect(f.explanation).toMatch(/Re-running the upgrade does not help/);
  });

  it("a hook-succeeded ServiceAccount: the ReplicaSet's FailedCreate folds into it", () => {
    const d = run(hookObjectNeeded({ serviceAccount: true }));
    const f = d.findings[0]!;
    expect(f.code).toBe("hook-object-needed-by-workload");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toMatchObject({ kind: "ServiceAccount", name: "api-sa" });
    expect(codes(d)).not.toContain("pod-create-forbidden");
    expect(evidenceText(f)).toMatch(/FailedCreate ×17.*serviceaccount "api-sa" not found/);
    expect(actions(f)).toContainEqual(["restore-hook-resources", 2]);
  });

  it("a warning when the Secret exists again: the next hook run deletes it", () => {
    const f = only(run(hookObjectNeeded({ secretLive: true })), "hook-object-needed-by-workload");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/the next pre-install\/pre-upgrade run deletes it again/);
    expect(actions(f).map((a) => a[0])).not.toContain("restore-hook-resources");
  });

  it("a warning for a before-hook-creation Secret regenerated (randAlphaNum) on every upgrade", () => {
    const f = only(
      run(hookObjectNeeded({ policy: "before-hook-creation", random: true })),
      "hook-object-needed-by-workload",
    );
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/recreated by every pre-upgrade hook run .*randAlphaNum/);
    expect(evidenceText(f)).toMatch(/chart template api\/templates\/db-secret.yaml: uses randAlphaNum/);
    expect(summaries(f, "chart-fix")).toMatch(/lookup/);
  });

  it("near miss: only the migration Job uses the hook Secret", () => {
    expect(codes(run(hookObjectNeeded({ onlyJobUses: true })))).not.toContain(
      "hook-object-needed-by-workload",
    );
  });

  it("does not double-fire with resource-moved-into-hook (the founding case)", () => {
    const s = foundingCase();
    const d = run(s, { now: FOUNDING_NOW });
    expect(d.findings[0]!.code).toBe("resource-moved-into-hook");
    expect(codes(d)).not.toContain("hook-object-needed-by-workload");
    expect(codes(d)).not.toContain("pod-mount-failed");
  });
});

describe("pod-mount-failed", () => {
  it("a warning, not an alarm, when the missing ConfigMap exists again after the pods' events", () => {
    const s = foundingCase();
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "basic-app-config",
        namespace: "default",
        creationTimestamp: new Date(Date.parse(FOUNDING_NOW) - 60_000).toISOString(),
      },
      data: { "app.conf": "x" },
    };
    const d = diagnose(
      buildSnapshot({
        release: s.release,
        namespace: s.namespace,
        objects: [...(s.bundle().items as Obj[]), cm],
        now: new Date(FOUNDING_NOW),
        gaps: [],
        source: "test",
      }),
    );
    expect(d.findings.filter((f) => f.severity === "critical").map((f) => f.code)).toEqual([]);
    const f = only(d, "pod-mount-failed");
    expect(f.severity).toBe("warning");
    expect(f.explanation).toContain(
      "ConfigMap basic-app-config exists now, created 1 min before this diagnosis",
    );
    expect(summaries(f, "manual")).toMatch(/^Wait a few minutes for the pods to start/);
  });
});

describe("immutable-job-in-manifest", () => {
  it("a regular Job whose pod template changed fails the upgrade with field is immutable", () => {
    const d = run(immutableJob());
    const f = d.findings[0]!;
    expect(f.code).toBe("immutable-job-in-manifest");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "Job", name: "billing-db-migrate", namespace: "billing" });
    expect(f.revisions).toEqual([1, 2]);
    expect(actions(f)).toEqual([
      ["manual", undefined],
      ["rollback", 1],
      ["chart-fix", undefined],
    ]);
    expect(summaries(f, "manual")).toContain("kubectl -n billing delete job billing-db-migrate");
    expect(summaries(f, "chart-fix")).toMatch(
      /In billing\/templates\/migrate-job.yaml: make the Job a hook .*before-hook-creation/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2 manifest: Job billing-db-migrate is a regular release resource .*not a hook/,
    );
    expect(ev).toMatch(
      /revision 1 → 2: the Job's pod template changed: container migrate image ghcr.io\/acme\/billing:1.4.0 → ghcr.io\/acme\/billing:1.5.0/,
    );
    expect(ev).toMatch(/live cluster: Job billing\/billing-db-migrate exists \(Complete/);
    expect(ev).toMatch(/revision 2 description: .*field is immutable/);
    expect(f.explanation).toMatch(/the cluster now runs revision 2's workloads with revision 1's Job/);
  });

  it("a warning when the Job has since been deleted (a retry passes)", () => {
    const f = only(run(immutableJob({ jobDeleted: true })), "immutable-job-in-manifest");
    expect(f.severity).toBe("warning");
    expect(summaries(f, "manual")).toMatch(/the Job no longer exists/);
  });

  it("predicts the failure while revision 2 is pending", () => {
    const f = only(run(immutableJob({ pending: true })), "immutable-job-in-manifest");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/will fail with "field is immutable"/);
  });

  it("near misses: the Job is a hook; the template did not change", () => {
    expect(codes(run(immutableJob({ hook: true })))).not.toContain("immutable-job-in-manifest");
    expect(codes(run(immutableJob({ unchanged: true })))).not.toContain("immutable-job-in-manifest");
  });
});

describe("pod-image-pull", () => {
  it("an image typo in the new ReplicaSet comes first, naming the revision and rolling back to the previous one", () => {
    const d = run(imagePullCase());
    const f = d.findings[0]!;
    expect(f.code).toBe("pod-image-pull");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "Deployment", name: "storefront", namespace: "shop" });
    expect(f.title).toBe(
      `Deployment storefront cannot pull image ${IMAGE_TYPO} (introduced in revision 3): 2 pods in ImagePullBackOff (not found)`,
    );
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)[0]).toEqual(["rollback", 2]);
    expect(summaries(f, "manual")).toMatch(/image.tag=1.17-typo/);
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 3 manifest: Deployment storefront .*image nginx:1.17-typo; revision 2 had nginx:1.16.0/,
    );
    expect(ev).toMatch(/Failed ×8.*nginx:1.17-typo: not found/);
    expect(ev).toMatch(/old ReplicaSet storefront-6c8f7d9b8 still serves 2 ready pods/);
    expect(f.explanation).toMatch(/rollout of Deployment storefront is stuck/);
  });

  it("keeps the cause when the kubelet's later Failed events only say ErrImagePull / ImagePullBackOff", () => {
    const s = imagePullCase();
    const items = s.bundle().items as Obj[];
    const pulls = items.filter(
      (o) => o.kind === "Event" && o.reason === "Failed" && /^Failed to pull image/.test(String(o.message)),
    );
    expect(pulls.length).toBeGreaterThan(0);
    const later = (pull: Obj, n: number, message: string): Obj => ({
      ...pull,
      metadata: { ...(pull.metadata as Obj), name: `${(pull.metadata as Obj).name}-${n}` },
      message,
      lastTimestamp: new Date(Date.parse(TRANSITIONS_NOW) - 1000 * n).toISOString(),
    });
    const extra = pulls.flatMap((p) => [
      later(p, 2, "Error: ErrImagePull"),
      later(p, 1, "Error: ImagePullBackOff"),
    ]);
    const d = diagnose(
      buildSnapshot({
        release: s.release,
        namespace: s.namespace,
        objects: [...items, ...extra],
        now: new Date(TRANSITIONS_NOW),
        gaps: [],
        source: "test",
      }),
    );
    expect(d.findings[0]!.title).toMatch(/\(not found\)$/);
  });

  it("the stalled rollout folds into the image pull finding", () => {
    const d = run(imagePullCase({ conditions: progressDeadlineExceeded() }));
    expect(d.findings[0]!.code).toBe("pod-image-pull");
    expect(codes(d)).not.toContain("rollout-stalled");
    expect(evidenceText(d.findings[0]!)).toMatch(/ProgressDeadlineExceeded/);
  });

  it("says so when events could not be read", () => {
    const d = run(imagePullCase(), {
      drop: (o) => o.kind === "Event",
      gaps: [{ what: "events", reason: "forbidden", detail: "add list events" }],
    });
    const f = only(d, "pod-image-pull");
    expect(evidenceText(f)).toMatch(/events: could not be read \(forbidden: add list events\)/);
  });

  it("near miss: a healthy release gives nothing at warning or above", () => {
    expect(serious(run(healthyRelease()))).toEqual([]);
  });
});

describe("pod-crash-loop", () => {
  it("names the change of revision 3 and rolls back to 2", () => {
    const f = only(run(crashLoopCase()), "pod-crash-loop");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Deployment storefront is crash-looping since revision 3: container storefront exits with code 1/,
    );
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(evidenceText(f)).toMatch(/command\/args \(image default\) → --config \/etc\/storefront\/app.yaml/);
    expect(summaries(f, "manual")).toMatch(
      /kubectl logs -n shop storefront-5d4b9c7f6-\w+ -c storefront --previous/,
    );
  });

  it("near miss: one old restart of a running, ready container", () => {
    const s = healthyRelease();
    const pod = s.live.find((o) => o.kind === "Pod")!;
    pod.status.containerStatuses[0].restartCount = 1;
    pod.status.containerStatuses[0].lastState = { terminated: { reason: "Error", exitCode: 1 } };
    expect(codes(run(s))).not.toContain("pod-crash-loop");
  });
});

describe("pod-oom-killed", () => {
  it("names the memory limit lowered in revision 3", () => {
    const d = run(oomCase());
    const f = only(d, "pod-oom-killed");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/exceeds its memory limit 64Mi \(changed from 256Mi in revision 3\)/);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(codes(d)).not.toContain("pod-crash-loop");
  });

  it("a warning when the killed containers run and are ready again", () => {
    expect(only(run(oomCase({ recovered: true })), "pod-oom-killed").severity).toBe("warning");
  });
});

describe("pod-unschedulable", () => {
  it("the new ReplicaSet asks for more CPU than any node has: critical, rollback to 2", () => {
    const d = run(unschedulableCase());
    const f = only(d, "pod-unschedulable");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/2 pods cannot be scheduled since revision 3 \(3 Insufficient cpu\)/);
    expect(evidenceText(f)).toMatch(/cpu request 100m → 8/);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(codes(d)).not.toContain("pod-pvc-unbound");
  });

  it("a warning when one extra replica of a finished rollout does not fit", () => {
    const f = only(run(extraReplicaUnschedulable()), "pod-unschedulable");
    expect(f.severity).toBe("warning");
    expect(actions(f).map((a) => a[0])).not.toContain("rollback");
  });
});

describe("pod-pvc-unbound", () => {
  it("names the claim and why it does not bind", () => {
    const d = run(pvcCase());
    const f = only(d, "pod-pvc-unbound");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Pending on PersistentVolumeClaim storefront-uploads \(storageclass.storage.k8s.io "fast-ssd" not found\)/,
    );
    expect(evidenceText(f)).toMatch(
      /PersistentVolumeClaim storefront-uploads: is Pending \(storageClassName "fast-ssd"\); defined in revision 3 manifest \(storefront\/templates\/pvc.yaml\)/,
    );
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(codes(d)).not.toContain("pod-unschedulable");
  });
});

describe("pod-create-forbidden", () => {
  it("a ResourceQuota refuses the new ReplicaSet's pods after revision 3 raised the limits", () => {
    const d = run(forbiddenCase("quota"));
    const f = d.findings[0]!;
    expect(f.code).toBe("pod-create-forbidden");
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "Deployment storefront cannot create pods: exceeded quota compute-quota (since revision 3)",
    );
    expect(f.resources).toContainEqual({
      kind: "ReplicaSet",
      name: "storefront-5d4b9c7f6",
      namespace: "shop",
    });
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/ReplicaSet storefront-5d4b9c7f6: 0 of 2 pods exist; event Warning FailedCreate ×12/);
    expect(ev).toMatch(/memory limit 256Mi → 4Gi/);
  });

  it("PodSecurity: a chart fix in the Deployment's template", () => {
    const f = only(run(forbiddenCase("pod-security")), "pod-create-forbidden");
    expect(f.title).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(summaries(f, "chart-fix")).toMatch(
      /In storefront\/templates\/deployment.yaml: make the pod comply/,
    );
  });

  it("near miss: old FailedCreate events of a ReplicaSet that has all its pods", () => {
    expect(codes(run(forbiddenCase("quota", { stale: true })))).not.toContain("pod-create-forbidden");
  });
});

describe("pod-not-ready", () => {
  it("the readiness probe changed in revision 3 fails on the new pods", () => {
    const f = only(run(notReadyCase()), "pod-not-ready");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /2 pods running but not Ready since revision 3 — Readiness probe failed: HTTP probe failed with statuscode: 404/,
    );
    expect(evidenceText(f)).toMatch(
      /readiness probe HTTP GET \/healthz on port http → HTTP GET \/ready on port http/,
    );
    expect(actions(f)).toContainEqual(["rollback", 2]);
  });

  it("near miss: pods that started a minute ago and have not failed a probe", () => {
    expect(codes(run(notReadyCase({ young: true })))).not.toContain("pod-not-ready");
  });
});

describe("rollout-stalled", () => {
  it("stands alone when no pod problem explains it, and says the events are gone", () => {
    const d = run(stalledCase());
    const f = only(d, "rollout-stalled");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Deployment storefront rollout timed out: ReplicaSet "storefront-5d4b9c7f6" has timed out progressing/,
    );
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/pod storefront-5d4b9c7f6-\w+: Pending \(ContainerCreating\), not ready/);
    expect(ev).toMatch(/environment: added FEATURE_CHECKOUT_V2/);
    expect(ev).toMatch(/events: none for the new pods/);
  });

  it("near miss: a rollout that is progressing", () => {
    expect(
      codes(
        run(
          stalledCase({ conditions: [{ type: "Progressing", status: "True", reason: "ReplicaSetUpdated" }] }),
        ),
      ),
    ).not.toContain("rollout-stalled");
  });
});

describe("through the built CLI", () => {
  const tmp = mkdtempSync(join(tmpdir(), "hd-group-c-"));
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
      "--output",
      "json",
      "--now",
      TRANSITIONS_NOW,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  }
  type J = { action: string; revision?: number };
  const acts = (f: { remediations: J[] }) => f.remediations.map((m) => [m.action, m.revision]);

  it("a ConfigMap moved out of a hook into the manifest (ownership error)", async () => {
    const rep = await cli("moved-out", movedOutOfHook());
    const f = rep.findings[0];
    expect(f.code).toBe("resource-moved-out-of-hook");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "ConfigMap", name: "web-settings", namespace: "shop" });
    expect(f.revisions).toEqual([1, 2]);
    expect(acts(f).map((a: unknown[]) => a[0])).toEqual(["manual", "chart-fix"]);
  });

  it("a hook-succeeded Secret that the Deployment still needs", async () => {
    const rep = await cli("hook-secret", hookObjectNeeded());
    const f = rep.findings[0];
    expect(f.code).toBe("hook-object-needed-by-workload");
    expect(f.resources[0]).toEqual({ kind: "Secret", name: "api-db-credentials", namespace: "payments" });
    expect(acts(f)).toContainEqual(["restore-hook-resources", 2]);
    expect(acts(f).map((a: unknown[]) => a[0])).toContain("chart-fix");
    expect(rep.findings.map((x: { code: string }) => x.code)).not.toContain("pod-config-missing");
  });

  it("an image pull failure in the new ReplicaSet", async () => {
    const rep = await cli("image-pull", imagePullCase());
    const f = rep.findings[0];
    expect(f.code).toBe("pod-image-pull");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "Deployment", name: "storefront", namespace: "shop" });
    expect(acts(f)).toContainEqual(["rollback", 2]);
    expect(f.title).toContain("introduced in revision 3");
  });
});
