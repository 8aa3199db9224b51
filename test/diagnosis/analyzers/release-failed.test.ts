// release-failed: a failed or stuck latest revision that no more specific analyzer explains still gets a finding
// that quotes Helm's error, says where the operation stopped and where to look; near misses stay quiet.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import { CAUSES_NOW, unknownFailure } from "../../support/scenarios/causes.js";
import { imagePullCase, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import { actions, codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

const ETCD = 'Upgrade "billing" failed: the cluster refused the request: etcdserver: request timed out';

describe("release-failed", () => {
  it("an upgrade that failed with an error nobody knows: critical, Helm's words, the last good revision", () => {
    const d = run(unknownFailure(), CAUSES_NOW);
    const f = only(d, "release-failed");
    expect(d.findings[0]).toBe(f);
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "The upgrade to revision 2 failed: the cluster refused the request: etcdserver: request timed out",
    );
    expect(evidenceText(f)).toContain(`description "${ETCD}"`);
    expect(f.explanation).toMatch(/Revision 1 \(deployed\) is the last revision Helm deployed successfully/);
    expect(f.explanation).toMatch(/--debug/);
    expect(actions(f)).toEqual([
      ["manual", undefined],
      ["rollback", 1],
    ]);
  });

  it("a wait that timed out lists what is still not ready", () => {
    const f = only(
      run(
        unknownFailure({ description: 'Upgrade "billing" failed: timed out waiting for the condition' }),
        CAUSES_NOW,
      ),
      "release-failed",
    );
    expect(evidenceText(f)).toMatch(/revision 2 workloads: all are ready now/);
    expect(f.explanation).toMatch(/waited for the release's resources/);
  });

  it("is folded into the finding that explains the failure: pods that never got ready broke the --wait", () => {
    const d = run(
      imagePullCase({
        status: "failed",
        description: 'Upgrade "storefront" failed: context deadline exceeded',
      }),
      TRANSITIONS_NOW,
    );
    expect(codes(d)).not.toContain("release-failed");
    const f = only(d, "pod-image-pull");
    expect(d.findings[0]).toBe(f);
    expect(evidenceText(f)).toMatch(/description "Upgrade "storefront" failed: context deadline exceeded"/);
  });

  it("near miss: an old failed revision followed by a healthy one", () => {
    expect(codes(run(unknownFailure({ fixedLater: true }), CAUSES_NOW))).toEqual([]);
  });

  it("near miss: a healthy deployed release", () => {
    expect(codes(run(imagePullCase({}), TRANSITIONS_NOW))).not.toContain("release-failed");
  });

  it("--fail-on warning stops a pipeline on it (exit 4), and without it the report exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-release-failed-"));
    const file = join(dir, "b.json");
    writeFileSync(file, JSON.stringify(unknownFailure().bundle()));
    const args = ["diagnose", "shop/billing", "--bundle", file, "--now", CAUSES_NOW, "-o", "json"];
    const plain = await runMain(args);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).findings[0].code).toBe("release-failed");
    const gate = await runMain([...args, "--fail-on", "warning"]);
    expect(gate.code).toBe(4);
  });
});
