// Group A (release state): each analyzer on a realistic cluster state built with the scenario builders, through
// diagnose(buildSnapshot(bundle items)) — the path the CLI takes — plus near misses, the real records from
// test/fixtures/real-releases, and end-to-end CLI runs.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis, Finding, FindingCode } from "../../src/diagnosis/types.js";
import { decodeRecord } from "../../src/helm/codec.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Gap, KubeObject } from "../../src/snapshot/types.js";
import { BIN, runCli } from "../support/cli.js";
import { readRealRecord, realRecordFiles } from "../support/real-fixtures.js";
import type { Scenario } from "../support/scenario.js";
import {
  ATOMIC_NOW,
  atomicHookFailedRollbackStuck,
  atomicTimeout,
  bigChart,
  HOOKS_NOW,
  helm2CrdChart,
  installedWithNoHooks,
  PENDING_NOW,
  pendingInstall,
  pendingUpgrade,
  rollbackWithoutRollbackHooks,
  typoHookConfigMap,
  UNINSTALL_NOW,
  uninstalledKeptHistory,
  uninstallStuck,
} from "../support/scenarios/release-state.js";

const GROUP_A: FindingCode[] = [
  "release-pending-stuck",
  "no-deployed-release",
  "release-uninstall-stuck",
  "atomic-rollback-masked-failure",
  "release-record-size",
  "hooks-skipped",
  "unknown-hook-dropped",
];

function run(
  s: Scenario,
  now: string,
  o: { drop?: (x: KubeObject) => boolean; gaps?: Gap[] } = {},
): Diagnosis {
  const items = (s.bundle().items as KubeObject[]).filter((x) => !o.drop?.(x));
  const snap = buildSnapshot({
    release: s.release,
    namespace: s.namespace,
    objects: items,
    now: new Date(now),
    source: "test",
    gaps: o.gaps ?? [],
  });
  return diagnose(snap);
}

function only(d: Diagnosis, code: FindingCode): Finding {
  const fs = d.findings.filter((f) => f.code === code);
  expect(fs, `${code} in ${d.findings.map((f) => f.code).join(",")}`).toHaveLength(1);
  return fs[0]!;
}

const actions = (f: Finding) => f.remediations.map((r) => [r.action, r.revision]);
const evidenceText = (f: Finding) => f.evidence.map((e) => `${e.source}: ${e.detail}`).join("\n");
const codes = (d: Diagnosis) => d.findings.map((f) => f.code);

describe("release-pending-stuck", () => {
  for (const helm4 of [false, true]) {
    it(`an upgrade killed mid-hook leaves revision 2 pending-upgrade (Helm ${helm4 ? 4 : 3} record)`, () => {
      const d = run(pendingUpgrade({ helm4 }), PENDING_NOW);
      const f = only(d, "release-pending-stuck");
      expect(d.findings[0]).toBe(f);
      expect(f.severity).toBe("critical");
      expect(f.role).toBe("root");
      expect(f.title).toMatch(/Revision 2 is stuck in pending-upgrade for 45m/);
      expect(f.title).toMatch(/another operation is in progress/);
      expect(f.revisions).toEqual([1, 2]);
      expect(f.resources[0]).toEqual({
        kind: "Secret",
        name: "sh.helm.release.v1.shop-api.v2",
        namespace: "shop",
      });
      expect(actions(f)).toContainEqual(["rollback", 1]);
      expect(f.remediations.find((r) => r.action === "rollback")!.summary).toMatch(/writes revision 3/);
      expect(actions(f).map((a) => a[0])).toContain("manual");
      const ev = evidenceText(f);
      expect(ev).toMatch(/status pending-upgrade, description "Preparing upgrade"/);
      expect(ev).toMatch(
        /hook shop-api-migrate started at 2026-11-20T11:00:00.000Z, 45m ago; the threshold is 10m/,
      );
      expect(ev).toMatch(
        /revision 2 hooks: Job shop-api-migrate \(shop-api\/templates\/migrate-job.yaml\): events pre-install,pre-upgrade, weight 0, delete policy before-hook-creation, last run Running/,
      );
      expect(ev).toMatch(/live Job shop\/shop-api-migrate: Complete at 2026-11-20T11:03:00.000Z/);
      expect(ev).toMatch(/revision 1 record: last good revision: status deployed/);
      expect(f.explanation).toMatch(/while running the pre-upgrade hook Job shop-api-migrate/);
      expect(f.explains).toContain("Job/shop/shop-api-migrate");
    });
  }

  it("near miss: a pending-upgrade 3 minutes old is an operation in progress (a warning, nothing to do yet)", () => {
    const d = run(pendingUpgrade({ startedAt: 102 }), PENDING_NOW);
    const f = only(d, "release-pending-stuck");
    // Not critical and no fix offered; a warning because a release mid-operation is never "no problems".
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/probably still running/);
    expect(f.remediations).toEqual([]);
    expect(evidenceText(f)).toMatch(/description "Preparing upgrade"/);
    expect(d.findings.map((x) => x.code)).not.toContain("release-failed");
  });

  it("a hook Job still running 15 minutes in may be a long --timeout: warning; after 30 minutes critical", () => {
    const s = pendingUpgrade({ hookJob: "running" });
    const f = only(run(s, "2026-11-20T11:15:00Z"), "release-pending-stuck");
    expect(f.severity).toBe("warning");
    expect(evidenceText(f)).toMatch(/live Job shop\/shop-api-migrate: still running \(1 active pod\)/);
    expect(evidenceText(f)).toMatch(/a helm run with a longer --timeout may still be waiting for it/);
    expect(only(run(s, PENDING_NOW), "release-pending-stuck").severity).toBe("critical");
  });

  it("near miss: a deployed latest revision is not pending", () => {
    const s = pendingUpgrade();
    s.releases[1]!.info.status = "deployed";
    s.releases[1]!.info.description = "Upgrade complete";
    s.releases[0]!.info.status = "superseded";
    expect(codes(run(s, PENDING_NOW))).not.toContain("release-pending-stuck");
  });

  it("a first install stuck in pending-install on a failed hook: the hook first, then uninstall and reinstall", () => {
    const d = run(pendingInstall(), "2026-11-20T12:00:00Z");
    // The failed pre-install hook is the cause; the stuck revision is its consequence, folded into it.
    const f = only(d, "hook-failed");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("release-pending-stuck");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Pre-install hook Job shop-api-migrate failed \(BackoffLimitExceeded\): the install of shop-api \(revision 1\) is stuck in pending-install/,
    );
    expect(f.revisions).toEqual([1]);
    expect(actions(f).map((a) => a[0])).not.toContain("rollback");
    expect(f.remediations[0]!.summary).toMatch(/helm uninstall shop-api -n shop/);
    const ev = evidenceText(f);
    expect(ev).toMatch(/Job shop\/shop-api-migrate: condition Failed, reason BackoffLimitExceeded/);
    expect(ev).toMatch(
      /also \(release-pending-stuck\): Install of shop-api \(revision 1\) is stuck in pending-install/,
    );
  });

  it("a pending-install killed without a failed hook is still release-pending-stuck", () => {
    const s = pendingInstall();
    // The migration Job is still running: nothing failed, Helm is gone.
    for (const o of s.live) if (o.kind === "Job") o.status = { startTime: o.status.startTime, active: 1 };
    const f = only(run(s, "2026-11-20T12:00:00Z"), "release-pending-stuck");
    expect(f.title).toMatch(/Install of shop-api \(revision 1\) is stuck in pending-install/);
    expect(f.remediations[0]!.summary).toMatch(/helm uninstall shop-api -n shop/);
  });
});

describe("atomic-rollback-masked-failure", () => {
  it("a --atomic upgrade that timed out: the cause, the rollback and the leftover ReplicaSet at 0", () => {
    const d = run(atomicTimeout(), ATOMIC_NOW);
    const f = only(d, "atomic-rollback-masked-failure");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "Upgrade to revision 2 failed and was rolled back to revision 1: context deadline exceeded",
    );
    expect(f.revisions).toEqual([1, 2, 3]);
    expect(f.resources).toContainEqual({ kind: "ReplicaSet", name: "shop-api-7f6b4d9c8", namespace: "shop" });
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 2 record: status failed.*Upgrade "shop-api" failed: context deadline exceeded/,
    );
    expect(ev).toMatch(
      /revision 3 record: status deployed, description "Rollback to 1".*5m after revision 2's upgrade began, as --atomic does/,
    );
    expect(ev).toMatch(
      /live ReplicaSet shop-api-7f6b4d9c8: Deployment shop-api's ReplicaSet from revision 2 .*now at 0 replicas: the rollback scaled it down/,
    );
    expect(ev).toMatch(/SuccessfulDelete/);
    expect(ev).toMatch(/its pods are deleted/);
    expect(f.explanation).toMatch(/timed out waiting for the new resources/);
    expect(actions(f).map((a) => a[0])).toEqual(["manual", "chart-fix"]);
    expect(f.explains).toContain("ReplicaSet/shop/shop-api-7f6b4d9c8");
  });

  it("three hours later the evidence has expired, and the finding says so", () => {
    const d = run(atomicTimeout(), "2026-11-20T14:30:00Z", { drop: (x) => x.kind === "Event" });
    const f = only(d, "atomic-rollback-masked-failure");
    expect(evidenceText(f)).toMatch(
      /its pods are deleted, so their events \(why they failed\) are not in the snapshot; no events left: events expire after about an hour and the rollback was 3h ago/,
    );
  });

  it("a failed hook, then a rollback stuck in its pre-rollback hook: both findings, with the original cause", () => {
    const d = run(atomicHookFailedRollbackStuck(), "2026-11-20T12:00:00Z");
    const a = only(d, "atomic-rollback-masked-failure");
    expect(a.severity).toBe("critical");
    expect(a.title).toMatch(
      /Upgrade to revision 2 failed and was rolled back to revision 1: pre-upgrade hooks failed: job shop-api-migrate failed: BackoffLimitExceeded/,
    );
    expect(evidenceText(a)).toMatch(/revision 2 hooks: Job shop-api-migrate .*last run Failed after 2m/);
    expect(evidenceText(a)).toMatch(/live Job shop\/shop-api-migrate: Failed \(BackoffLimitExceeded/);
    expect(a.remediations.find((r) => r.action === "chart-fix")!.summary).toMatch(
      /shop-api\/templates\/migrate-job.yaml.*hook-output-log-policy/,
    );
    const p = only(d, "release-pending-stuck");
    expect(p.severity).toBe("critical");
    expect(p.title).toMatch(/Revision 3 is stuck in pending-rollback/);
    expect(actions(p)).toContainEqual(["rollback", 1]);
    expect(p.remediations[0]!.summary).toMatch(
      /shop-api-restore-snapshot is where the last rollback stopped/,
    );
  });

  it("near miss: a failed upgrade followed by a successful upgrade is not a masked rollback", () => {
    const s = atomicTimeout();
    s.releases[2]!.info.description = "Upgrade complete";
    expect(codes(run(s, ATOMIC_NOW))).not.toContain("atomic-rollback-masked-failure");
  });
});

describe("release-uninstall-stuck and no-deployed-release", () => {
  for (const storedPhase of ["Running", "Failed"]) {
    it(`a failed pre-delete hook leaves revision 2 uninstalling (stored phase ${storedPhase})`, () => {
      const d = run(uninstallStuck({ storedPhase }), UNINSTALL_NOW);
      // A failed uninstall hook is a hook failure like any other; the stuck uninstall is its consequence.
      const f = only(d, "hook-failed");
      expect(d.findings[0]).toBe(f);
      expect(codes(d)).not.toContain("release-uninstall-stuck");
      expect(f.severity).toBe("critical");
      expect(f.title).toMatch(
        /^Pre-delete hook Job shop-api-cleanup failed \(BackoffLimitExceeded\): the uninstall of shop-api \(revision 2\) is stuck uninstalling$/,
      );
      expect(f.revisions).toEqual([2]);
      expect(f.resources).toContainEqual({ kind: "Job", name: "shop-api-cleanup", namespace: "shop" });
      const ev = evidenceText(f);
      expect(ev).toMatch(/status uninstalling, description "Deletion in progress \(or silently failed\)"/);
      expect(ev).toMatch(
        /revision 2 hooks: Job shop-api-cleanup .*events pre-delete, weight 0, delete policy before-hook-creation,hook-succeeded, last run/,
      );
      expect(ev).toMatch(/Job shop\/shop-api-cleanup: condition Failed, reason BackoffLimitExceeded/);
      expect(ev).toMatch(/also \(release-uninstall-stuck\): Uninstall of shop-api is stuck at revision 2/);
      expect(ev).toMatch(
        /live cluster: 2 of 2 manifest objects still exist: Service shop-api, Deployment shop-api/,
      );
      expect(actions(f)).toContainEqual(["rollback", 2]);
      expect(actions(f).map((a) => a[0])).toEqual(["manual", "manual", "rollback", "chart-fix"]);
      expect(f.remediations[0]!.summary).toMatch(/helm uninstall shop-api -n shop/);
      expect(f.remediations[1]!.summary).toMatch(/--no-hooks/);
      expect(f.remediations.at(-1)!.summary).toMatch(/shop-api\/templates\/cleanup-job.yaml/);
      // "has no deployed releases" is the consequence: folded into the root cause.
      expect(codes(d)).not.toContain("no-deployed-release");
      expect(`${f.explanation}\n${ev}`).toMatch(/has no deployed releases|none deployed/);
    });
  }

  it("says so when the hook Job could not be read, instead of calling it deleted", () => {
    const d = run(uninstallStuck(), UNINSTALL_NOW, {
      drop: (x) => x.kind === "Job" || (x.metadata?.name ?? "").startsWith("shop-api-cleanup"),
      gaps: [{ what: "jobs", reason: "forbidden", detail: "add list jobs in namespace shop" }],
    });
    const f = only(d, "release-uninstall-stuck");
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /live Job shop\/shop-api-cleanup: not found, but jobs could not be fully read \(forbidden\)/,
    );
    expect(ev).toMatch(/read gap: jobs could not be fully read \(forbidden\)/);
    expect(ev).not.toMatch(/does not exist/);
    expect(f.title).toMatch(/pre-delete hook Job shop-api-cleanup never finished/);
  });

  it("uninstalled with --keep-history: upgrade says no deployed releases (warning), rollback to 2 offered", () => {
    const d = run(uninstalledKeptHistory(), UNINSTALL_NOW);
    const f = only(d, "no-deployed-release");
    expect(f.severity).toBe("warning");
    expect(f.role).toBe("root");
    expect(f.title).toMatch(/uninstalled with --keep-history \(revision 2\).*has no deployed releases/);
    expect(f.revisions).toEqual([2]);
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(f.remediations[0]!.summary).toMatch(/helm upgrade --install shop-api <chart> -n shop/);
    expect(evidenceText(f)).toMatch(/2 revision\(s\): 1 superseded, 2 uninstalled; none deployed/);
    expect(evidenceText(f)).toMatch(/none of revision 2's manifest objects exist/);
    expect(codes(d)).not.toContain("release-uninstall-stuck");
  });

  it("near misses: a failed latest revision or a superseded-only history still has a base for upgrade", () => {
    const s = uninstalledKeptHistory();
    s.releases[1]!.info.status = "failed";
    s.releases[1]!.info.description = 'Upgrade "shop-api" failed: timed out waiting for the condition';
    expect(codes(run(s, UNINSTALL_NOW))).not.toContain("no-deployed-release");
    s.releases[1]!.info.status = "superseded";
    expect(codes(run(s, UNINSTALL_NOW))).not.toContain("no-deployed-release");
    // A pending latest revision fails upgrades with "another operation", not "no deployed releases".
    expect(codes(run(pendingInstall(), UNINSTALL_NOW))).not.toContain("no-deployed-release");
  });
});

describe("hooks-skipped", () => {
  it("helm install --no-hooks: the settings ConfigMap hook never ran, the pods hang on it", () => {
    const d = run(installedWithNoHooks(), HOOKS_NOW);
    const f = only(d, "hooks-skipped");
    expect(d.findings[0]).toBe(f);
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "Revision 1 is deployed but its install hooks never ran: ConfigMap shop-api-settings, Job shop-api-db-init",
    );
    expect(f.revisions).toEqual([1]);
    // The test hook never counts.
    expect(f.resources.map((r) => r.name)).not.toContain("shop-api-test-connection");
    const ev = evidenceText(f);
    expect(ev).toMatch(/description "Install complete" \(a install\)|description "Install complete"/);
    expect(ev).toMatch(
      /ConfigMap shop-api-settings .*events pre-install,pre-upgrade, weight -5.*never ran in this revision; does not exist, and Deployment shop-api uses it/,
    );
    expect(ev).toMatch(/Job shop-api-db-init .*not live: its work was never done/);
    expect(actions(f)).toContainEqual(["restore-hook-resources", 1]);
    expect(actions(f)).toContainEqual(["rerun-upgrade", 1]);
    expect(f.remediations.find((r) => r.action === "rerun-upgrade")!.summary).toMatch(
      /runs shop-api-settings — the other hooks are install-only/,
    );
    expect(actions(f).map((a) => a[0])).toContain("chart-fix");
    expect(f.explanation).toMatch(/--no-hooks/);
    // The stuck pods are evidence of the root cause, not findings of their own.
    expect(codes(d)).not.toContain("pod-mount-failed");
    expect(ev).toMatch(/FailedMount ×14/);
  });

  it("near miss: the same install with hooks that ran", () => {
    expect(codes(run(installedWithNoHooks({ ran: true }), HOOKS_NOW))).not.toContain("hooks-skipped");
  });

  it("near miss: a rollback whose chart has no rollback hooks (copied install/upgrade hooks do not count)", () => {
    expect(codes(run(rollbackWithoutRollbackHooks(), HOOKS_NOW))).not.toContain("hooks-skipped");
  });
});

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

describe("release-record-size", () => {
  it("a record at ~85% of the 1 MiB limit warns and names the biggest chart file", () => {
    const d = run(bigChart(640), HOOKS_NOW);
    const f = only(d, "release-record-size");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/Release record for revision 2 is \d+ KiB, 8\d% of Kubernetes' 1 MiB limit/);
    expect(f.revisions).toEqual([2]);
    expect(f.resources[0]).toEqual({
      kind: "Secret",
      name: "sh.helm.release.v1.grafana-stack.v2",
      namespace: "shop",
    });
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /data.release is \d+ bytes .* of the 1048576-byte limit; warning above 768 KiB, critical above 1000 KiB/,
    );
    expect(ev).toMatch(
      /file grafana-stack\/assets\/geoip.mmdb: 640 KiB raw, about 8\d\d KiB of the stored record/,
    );
    // Parts under 1% of the record are not worth a line.
    expect(ev).not.toMatch(/\.helmignore|requests\.json/);
    expect(ev).toMatch(/revision 1's record is \d+ KiB \(growing\)/);
    expect(f.remediations[0]).toMatchObject({ action: "chart-fix" });
    expect(f.remediations[0]!.summary).toMatch(/\.helmignore \(largest: assets\/geoip.mmdb\);/);
  });

  it("a record over 1000 KiB is critical", () => {
    const f = only(run(bigChart(760), HOOKS_NOW), "release-record-size");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/the next upgrade will almost certainly fail to save/);
  });

  it("near miss: an ordinary chart", () => {
    expect(codes(run(bigChart(0), HOOKS_NOW))).not.toContain("release-record-size");
  });
});

describe("real release records from test/fixtures/real-releases", () => {
  for (const file of realRecordFiles()) {
    it(`${file}: no critical finding from group A`, () => {
      const obj = readRealRecord(file) as KubeObject;
      const rec = decodeRecord(obj);
      const names = new Set([rec.release?.name, rec.labels.name].filter((x): x is string => !!x));
      for (const release of names) {
        const snap = buildSnapshot({
          release,
          namespace: obj.metadata?.namespace ?? "default",
          objects: [obj],
          now: new Date("2026-11-20T10:00:00Z"),
          source: file,
        });
        const d = diagnose(snap);
        expect(d.gaps.filter((g) => g.what.startsWith("analyzer"))).toEqual([]);
        const ours = d.findings.filter((f) => GROUP_A.includes(f.code));
        expect(ours.filter((f) => f.severity === "critical").map((f) => f.title)).toEqual([]);
      }
    });
  }

  it("the kots dry-run record with never-run hooks is an info note, not a failure", () => {
    for (const file of realRecordFiles().filter((f) => f.includes("kots"))) {
      const obj = readRealRecord(file) as KubeObject;
      const snap = buildSnapshot({
        release: "test-chart",
        namespace: obj.metadata?.namespace ?? "helmns",
        objects: [obj],
        now: new Date("2026-11-20T10:00:00Z"),
        source: file,
      });
      const f = only(diagnose(snap), "hooks-skipped");
      expect(f.severity).toBe("info");
      expect(f.title).toMatch(/stored dry run/);
      expect(f.resources.map((r) => r.name).sort()).toEqual(["post-install-job", "pre-install-job"]);
    }
  });
});

// End to end through the built CLI (npm run build first; `npm test` does).
const tmp = mkdtempSync(join(tmpdir(), "hd-group-a-"));
function bundleFile(name: string, s: Scenario): string {
  const f = join(tmp, name);
  writeFileSync(f, JSON.stringify(s.bundle()));
  return f;
}

describe.skipIf(!existsSync(BIN))("CLI end to end", () => {
  it("a release stuck in pending-upgrade (Helm 4 record format): JSON report, --fail-on critical exits 4", async () => {
    const s = pendingUpgrade({ helm4: true });
    // It really is a Helm 4 record: zero times omitted, apply_method set.
    const raw = JSON.stringify(s.releases[1]);
    expect(raw).toContain('"apply_method":"csa"');
    expect(raw).not.toContain('"deleted"');
    const f = bundleFile("pending-helm4.json", s);
    const args = [
      "diagnose",
      "shop-api",
      "-n",
      "shop",
      "--bundle",
      f,
      "--output",
      "json",
      "--now",
      PENDING_NOW,
    ];
    // The report is printed, and a critical finding makes --fail-on critical exit 4.
    const r = await runCli([...args, "--fail-on", "critical"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(4);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({
      release: "shop-api",
      namespace: "shop",
      revision: 2,
      status: "pending-upgrade",
    });
    const first = rep.findings[0];
    expect(first.code).toBe("release-pending-stuck");
    expect(first.severity).toBe("critical");
    expect(first.revisions).toEqual([1, 2]);
    expect(first.remediations).toContainEqual(expect.objectContaining({ action: "rollback", revision: 1 }));
    // The same bundle judged three minutes after the upgrade started: in progress, not stuck — but a release
    // mid-operation is never "no problem": a warning, so --fail-on warning still stops a pipeline.
    const early = await runCli([...args.slice(0, -1), "2026-11-20T11:03:00Z", "--fail-on", "warning"]);
    expect(early.code).toBe(4);
    const earlyFirst = JSON.parse(early.stdout).findings[0];
    expect(earlyFirst).toMatchObject({ code: "release-pending-stuck", severity: "warning" });
    expect(earlyFirst.title).toMatch(/probably still running/);
  });

  it("a stuck uninstall, as text: the verdict, the failed hook and the rollback command", async () => {
    const f = bundleFile("uninstall.json", uninstallStuck());
    const r = await runCli(["diagnose", "shop/shop-api", "--bundle", f, "--now", UNINSTALL_NOW]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /CRITICAL Pre-delete hook Job shop-api-cleanup failed \(BackoffLimitExceeded\): the uninstall of shop-api \(revision 2\) is stuck uninstalling/,
    );
    expect(r.stdout).toMatch(/\$ helm-doctor rollback shop-api 2 -n shop/);
    expect(r.stdout).not.toMatch(/\[no-deployed-release\]/);
  });
});
