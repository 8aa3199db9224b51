// release-record-missing when the newest record left says "deployed": the revision after it was deleted by hand,
// and the live objects show it — a later chart version in their helm.sh/chart label, or objects with the release's
// ownership created after that record and in no stored revision. Helm marks revision N superseded when it deploys
// N+1 (pkg/action/upgrade.go); deleting N+1's record and setting N back to deployed hides that, the cluster does not.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import { type FakeApiServer, startFakeApiServer } from "../../support/fake-apiserver/index.js";
import { CAUSES_NOW, type LaterRecordVariant, laterRecordDeleted } from "../../support/scenarios/causes.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

describe("release-record-missing: the newest record is deployed, the cluster runs a later revision", () => {
  it("the Deployment carries a later chart label: revision 3 is missing, with the object, both labels and how to restore", () => {
    const d = run(laterRecordDeleted("chart"), CAUSES_NOW);
    expect(codes(d)).toEqual(["release-record-missing"]);
    const f = d.findings[0]!;
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "Revision 3 of notify has no record: Deployment notify carries chart notify-1.3.0, later than revision 2's notify-1.2.0",
    );
    expect(f.revisions).toEqual([3]);
    expect(f.resources.map((r) => `${r.kind}/${r.name}`)).toEqual([
      "Secret/sh.helm.release.v1.notify.v2",
      "Deployment/notify",
    ]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/stored revisions 1 superseded, 2 deployed; no record for revision 3/);
    expect(ev).toMatch(
      /Deployment notify: label helm.sh\/chart=notify-1.3.0 on the live object; revision 2 \(deployed, the newest record\) rendered notify-1.2.0, and no stored revision rendered notify-1.3.0/,
    );
    expect(ev).toMatch(
      /1 object carries release notify's ownership but is in no stored manifest, created after revision 2's record — what the missing revision deployed: ConfigMap notify-templates \(created 2026-11-20T11:00:00.000Z\)/,
    );
    expect(f.explanation).toMatch(
      /Revision 2 still says deployed because Helm marks the previous revision superseded only at the very end of a successful upgrade \(pkg\/action\/upgrade.go\): revision 3 failed or was interrupted/,
    );
    const fixes = summaries(f, "manual");
    expect(fixes).toMatch(/kubectl get secret sh.helm.release.v1.notify.v3 -n shop -o yaml/);
    expect(fixes).toMatch(/`helm upgrade notify <chart> -n shop --version 1.3.0`/);
    expect(fixes).toMatch(
      /writes revision 3 again; objects only the lost revision created \(ConfigMap notify-templates\)/,
    );
  });

  it("a values-only upgrade (same chart version) that added an object: the object created after the record proves it", () => {
    const f = only(run(laterRecordDeleted("created-only"), CAUSES_NOW), "release-record-missing");
    expect(f.title).toBe(
      "Revision 3 of notify has no record: 1 object with its ownership was created after revision 2 and is in no stored revision",
    );
    expect(f.revisions).toEqual([3]);
    expect(summaries(f, "manual")).not.toMatch(/--version/);
  });

  it("an earlier revision's chart on the objects of a deployed newest revision: a rollback whose record is gone", () => {
    const f = only(run(laterRecordDeleted("rollback-lost"), CAUSES_NOW), "release-record-missing");
    expect(f.title).toBe(
      "Revision 3 of notify has no record: Deployment notify carries revision 1's chart notify-1.1.0, not revision 2's notify-1.2.0: a rollback whose record is gone",
    );
    expect(summaries(f, "manual")).toMatch(
      /`helm rollback notify 1 -n shop` writes revision 3 with revision 1's chart and values/,
    );
  });

  it("near miss: a failed newest revision that never reached the object (it still carries the earlier chart)", () => {
    expect(codes(run(laterRecordDeleted("failed-partial"), CAUSES_NOW))).not.toContain(
      "release-record-missing",
    );
  });

  it("a chart whose templates set no helm.sh/chart label: the new object still proves the lost revision", () => {
    const f = only(run(laterRecordDeleted("no-chart-label"), CAUSES_NOW), "release-record-missing");
    expect(f.revisions).toEqual([3]);
  });

  const quiet: [LaterRecordVariant, string][] = [
    ["kubectl-edit", "kubectl edit/scale changed the Deployment's image and replicas, not its chart label"],
    ["same-chart", "the chart label is the deployed revision's"],
    ["other-namespace", "notify in another namespace runs chart 1.3.0 with its own records"],
    ["kept-from-uninstall", "an object kept (resource-policy: keep) by an earlier uninstall"],
    ["kubectl-apply", "`helm template | kubectl apply` wrote the later label (managedFields: kubectl)"],
    [
      "in-flight",
      "an upgrade that began after the records were read (label and object written a minute ago)",
    ],
    ["argocd-sync", "Argo CD applied the rendered chart 1.3.0 (managedFields: argocd-controller)"],
    ["subchart", "a subchart's objects carry the subchart's own chart label"],
    ["rollout-restart", "a ReplicaSet `kubectl rollout restart` created inherits Helm's annotations"],
    [
      "pruned-leftover",
      "an object older than the newest record, left by a failed upgrade whose record was pruned",
    ],
  ];
  for (const [v, why] of quiet)
    it(`near miss: ${why}`, () => {
      expect(codes(run(laterRecordDeleted(v), CAUSES_NOW))).toEqual([]);
    });

  it("near miss: an upgrade in progress (its pending-upgrade record exists)", () => {
    expect(codes(run(laterRecordDeleted("pending-upgrade"), CAUSES_NOW))).not.toContain(
      "release-record-missing",
    );
  });

  describe("through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-later-record-"));
    const servers: FakeApiServer[] = [];
    afterAll(() => Promise.all(servers.map((a) => a.close())));
    /** A fake API server holding the cluster state of variant `v`, and the env to reach it. */
    const cluster = async (v: LaterRecordVariant) => {
      const api = await startFakeApiServer();
      servers.push(api);
      api.seed(laterRecordDeleted(v).bundle().items);
      return { KUBECONFIG: api.writeKubeconfig(mkdtempSync(join(dir, `${v}-`))) };
    };

    it("from a bundle, with --fail-on warning: exit 4 and the finding", async () => {
      const f = join(dir, "chart.json");
      writeFileSync(f, JSON.stringify(laterRecordDeleted("chart").bundle()));
      const r = await runMain([
        "diagnose",
        "shop/notify",
        "--bundle",
        f,
        "--now",
        CAUSES_NOW,
        "--fail-on",
        "warning",
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(
        /Revision 3 of notify has no record: Deployment notify carries chart notify-1.3.0/,
      );
    });

    for (const v of ["chart", "created-only"] as const)
      it(`from a live cluster (${v}): the object no stored manifest names is found by its ownership`, async () => {
        const env = await cluster(v);
        const r = await runMain(["diagnose", "notify", "-n", "shop", "--now", CAUSES_NOW, "-o", "json"], env);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout);
        expect(j.findings.map((x: { code: string }) => x.code)).toEqual(["release-record-missing"]);
        expect(j.findings[0].revisions).toEqual([3]);
        expect(j.findings[0].evidence.map((e: { detail: string }) => e.detail).join("\n")).toMatch(
          /ConfigMap notify-templates \(created 2026-11-20T11:00:00.000Z\)/,
        );
        expect(j.gaps).toEqual([]);
      });

    for (const v of ["kubectl-edit", "other-namespace", "rollout-restart"] as const)
      it(`near miss from a live cluster (${v}): no findings`, async () => {
        const env = await cluster(v);
        const r = await runMain(["diagnose", "notify", "-n", "shop", "--now", CAUSES_NOW, "-o", "json"], env);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout).findings).toEqual([]);
      });
  });
});
