// atomic-rollback-masked-failure: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import type { Scenario } from "../../support/scenario.js";
import { ATOMIC_OWNERSHIP_OUTPUT, atomicOwnership, CAUSES_NOW } from "../../support/scenarios/causes.js";
import {
  ATOMIC_NOW,
  atomicHookFailedRollbackStuck,
  atomicTimeout,
} from "../../support/scenarios/release-state.js";
import { actions, codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

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

// --atomic hid an ownership conflict: the conflict, naming the release that owns the object, is the finding; the
// rollback that hid it is its evidence.
describe("an atomic rollback masking an ownership conflict", () => {
  const out = ATOMIC_OWNERSHIP_OUTPUT("web", "cache");
  const withOutput = (s: Scenario, helmOutput?: string) =>
    run(s, CAUSES_NOW, helmOutput ? { helmOutput } : {});

  it("stored (revision 2 failed, 3 'Rollback to 1') with helm's output: the conflict first, the rollback folded under it", () => {
    const d = withOutput(atomicOwnership({ stored: true }), out);
    expect(codes(d)).toEqual(["resource-ownership-conflict"]);
    const f = d.findings[0]!;
    expect(f.title).toBe(
      "ConfigMap web-cache belongs to release cache, so web's upgrade cannot take it over",
    );
    expect(f.explanation).toMatch(/its latest revision 1 is deployed/);
    expect(f.explanation).toMatch(
      /rolled the release back \(revision 3, "Rollback to 1"\), as --atomic does/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /also \(atomic-rollback-masked-failure\): Upgrade to revision 2 failed and was rolled back/,
    );
    expect(ev).toMatch(/meta.helm.sh\/release-name=cache/);
  });

  it("stored, without the output: the same", () => {
    const d = withOutput(atomicOwnership({ stored: true }));
    expect(d.findings[0]!.code).toBe("resource-ownership-conflict");
    expect(codes(d)).not.toContain("atomic-rollback-masked-failure");
  });

  it("only the output (Helm stored nothing): the conflict, saying --atomic led helm's message", () => {
    const d = withOutput(atomicOwnership(), out);
    expect(codes(d)).toEqual(["resource-ownership-conflict"]);
    expect(d.findings[0]!.title).toMatch(/belongs to release cache/);
    expect(d.findings[0]!.explanation).toMatch(/--atomic rolled the upgrade back/);
    expect(evidenceText(d.findings[0]!)).not.toMatch(
      /helm output: release web failed, and has been rolled back/,
    );
  });

  it("near miss: an atomic rollback of a timeout has no other cause and stays the finding", () => {
    expect(codes(run(atomicTimeout(), ATOMIC_NOW))[0]).toBe("atomic-rollback-masked-failure");
  });

  describe("through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-atomic-owner-"));
    const bundle = join(dir, "web.json");
    writeFileSync(bundle, JSON.stringify(atomicOwnership({ stored: true }).bundle()));
    const log = join(dir, "upgrade.log");
    writeFileSync(log, `${out}\n`);
    const args = ["diagnose", "shop/web", "--bundle", bundle, "--now", CAUSES_NOW, "-o", "json"];
    for (const [how, extra, stdin] of [
      ["from a file", [log], undefined],
      ["from standard input", ["-"], out],
    ] as const) {
      it(how, async () => {
        const r = await runMain([...args, "--helm-output", ...extra], {}, stdin ? { stdin } : {});
        expect(r.code).toBe(0);
        const [first, ...rest] = JSON.parse(r.stdout).findings;
        expect(first.code).toBe("resource-ownership-conflict");
        expect(first.title).toMatch(/belongs to release cache/);
        expect(rest).toEqual([]);
      });
    }
  });
});
