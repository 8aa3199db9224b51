// The diagnose command end to end through the CLI's `main`: bundles of scenario cluster states in, text and JSON
// reports and exit codes out.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import type { Scenario } from "../support/scenario.js";
import { HOOKS_NOW, migrationFailed, preInstallNeedsManifestObject } from "../support/scenarios/hooks.js";
import {
  PENDING_NOW,
  pendingUpgrade,
  UNINSTALL_NOW,
  uninstallStuck,
} from "../support/scenarios/release-state.js";
import {
  hookObjectNeeded,
  imagePullCase,
  movedOutOfHook,
  TRANSITIONS_NOW,
} from "../support/scenarios/transitions.js";

describe("end to end through the CLI", () => {
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

describe("through the CLI", () => {
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

const tmp = mkdtempSync(join(tmpdir(), "hd-group-a-"));
function bundleFile(name: string, s: Scenario): string {
  const f = join(tmp, name);
  writeFileSync(f, JSON.stringify(s.bundle()));
  return f;
}

describe("CLI end to end", () => {
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
    // The summary wraps the title at the terminal width.
    expect(r.stdout.replace(/\s+/g, " ")).toMatch(
      /CRITICAL Pre-delete hook Job shop-api-cleanup failed \(BackoffLimitExceeded\): the uninstall of shop-api \(revision 2\) is stuck uninstalling/,
    );
    expect(r.stdout).toMatch(/\$ helm-doctor rollback shop-api 2 -n shop/);
    expect(r.stdout).not.toMatch(/\[no-deployed-release\]/);
  });
});
