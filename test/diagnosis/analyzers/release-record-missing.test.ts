// release-record-missing: a record Helm wrote is gone (deleted by hand, lost in a restore); pruning by
// --history-max is not that.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import { type FakeApiServer, startFakeApiServer } from "../../support/fake-apiserver/index.js";
import { CAUSES_NOW, recordDeleted } from "../../support/scenarios/causes.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

describe("release-record-missing", () => {
  it("the newest record is superseded: the revision after it was deleted, and its objects still run", () => {
    const d = run(recordDeleted(), CAUSES_NOW);
    const f = only(d, "release-record-missing");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "Revision 4 of notify has no record: revision 3 is superseded by a revision that is gone",
    );
    expect(f.revisions).toEqual([4]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/stored revisions 1 superseded, 2 superseded, 3 superseded; no record for revision 4/);
    expect(ev).toMatch(
      /1 object carries release notify's ownership but is in no stored manifest.*ConfigMap notify-templates/,
    );
    expect(summaries(f, "manual")).toMatch(/kubectl get secret sh.helm.release.v1.notify.v4 -n shop -o yaml/);
  });

  it("a hole in the middle of the history", () => {
    const f = only(run(recordDeleted("hole"), CAUSES_NOW), "release-record-missing");
    expect(f.title).toMatch(
      /^Revision 3 of notify has no record: it was deleted from the middle of the history/,
    );
  });

  it("near miss: the oldest revisions pruned by --history-max", () => {
    expect(codes(run(recordDeleted("pruned"), CAUSES_NOW))).toEqual([]);
  });

  it("near miss: a hole that pruning made (only the kept deployed revision is older)", () => {
    expect(codes(run(recordDeleted("pruned-deployed"), CAUSES_NOW))).not.toContain("release-record-missing");
  });
});

// Every record gone: the objects that carry the release's ownership are the proof it exists, through the bundle
// and the live cluster alike — never "no such release".
describe("release-record-missing with no record at all", () => {
  it("objects carry the release's ownership: the records were deleted, which objects prove it, how to recover", () => {
    const d = run(recordDeleted("all"), CAUSES_NOW);
    expect(codes(d)).toEqual(["release-record-missing"]);
    const f = d.findings[0]!;
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "Release notify has no records, but 2 objects in shop carry its ownership: its records were deleted",
    );
    expect(f.revisions).toEqual([]);
    expect(f.explanation).toMatch(/by hand .*cleanup script, or left behind when the storage moved/);
    expect(f.explanation).toMatch(/`helm upgrade notify` fails with "has no deployed releases"/);
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /release records: no Secret or ConfigMap labelled owner=helm,name=notify in namespace shop/,
    );
    expect(ev).toMatch(
      /2 objects carry release notify's ownership .*: Deployment notify \(created 2026-11-20T10:00:00.000Z\), ConfigMap notify-templates/,
    );
    expect(f.resources.map((r) => `${r.kind}/${r.name}`)).toEqual([
      "Deployment/notify",
      "ConfigMap/notify-templates",
    ]);
    const fixes = summaries(f, "manual");
    expect(fixes).toMatch(
      /Restore the records from a backup .*kubectl get secret -n shop -l owner=helm,name=notify -o yaml/,
    );
    expect(fixes).toMatch(/`helm upgrade --install notify <chart> -n shop`/);
  });

  it("near miss: an uninstall that kept an object (helm.sh/resource-policy: keep) is not a deleted record", () => {
    expect(run(recordDeleted("uninstalled-kept"), CAUSES_NOW).findings).toEqual([]);
  });

  it("near miss: objects with the chart's own labels but not Helm's ownership", () => {
    expect(run(recordDeleted("label-only"), CAUSES_NOW).findings).toEqual([]);
  });

  describe("through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-records-gone-"));
    const bundleOf = (v: Parameters<typeof recordDeleted>[0]) => {
      const f = join(dir, `${v}.json`);
      writeFileSync(f, JSON.stringify(recordDeleted(v).bundle()));
      return f;
    };
    let api: FakeApiServer;
    beforeAll(async () => {
      api = await startFakeApiServer();
    });
    afterAll(() => api.close());

    it("from a bundle: diagnosed (exit 0, or 4 with --fail-on warning), not 'not found'", async () => {
      const r = await runMain([
        "diagnose",
        "shop/notify",
        "--bundle",
        bundleOf("all"),
        "--now",
        CAUSES_NOW,
        "--fail-on",
        "warning",
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(/Release notify has no records, but 2 objects in shop carry its ownership/);
    });

    it("from a live cluster: the objects are found by Helm's managed-by label and ownership", async () => {
      api.seed(recordDeleted("all").bundle().items);
      const env = { KUBECONFIG: api.writeKubeconfig(dir) };
      const r = await runMain(["diagnose", "notify", "-n", "shop", "--now", CAUSES_NOW, "-o", "json"], env);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.findings.map((f: { code: string }) => f.code)).toEqual(["release-record-missing"]);
      expect(j.gaps).toEqual([]);
    });

    it("near misses still exit 3 ('not found'), from a bundle and from a live cluster", async () => {
      for (const v of ["uninstalled-kept", "label-only"] as const) {
        expect((await runMain(["diagnose", "shop/notify", "--bundle", bundleOf(v)])).code).toBe(3);
        const api2 = await startFakeApiServer();
        try {
          api2.seed(recordDeleted(v).bundle().items);
          mkdirSync(join(dir, v), { recursive: true });
          const env = { KUBECONFIG: api2.writeKubeconfig(join(dir, v)) };
          expect((await runMain(["diagnose", "notify", "-n", "shop"], env)).code).toBe(3);
        } finally {
          await api2.close();
        }
      }
    });
  });
});
