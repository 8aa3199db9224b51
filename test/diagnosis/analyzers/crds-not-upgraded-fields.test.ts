// crds-not-upgraded for a field: the new chart's custom resource sets a field its live CRD does not declare
// (Helm 4: "field not declared in schema"; Helm 3: "ValidationError(Kind.spec): unknown field"), because Helm
// applies a chart's crds/ on first install only.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import { startFakeApiServer } from "../../support/fake-apiserver/index.js";
import { CAUSES_NOW, crdNewField, crdsNotUpgraded, FIELD_ERROR } from "../../support/scenarios/causes.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

describe("crds-not-upgraded: a field the live CRD lacks", () => {
  it("Helm 4 records the failure; the failing chart's crds/ declares the field: the CRD, the file and the fix", () => {
    const d = run(crdNewField({ failed: true }), CAUSES_NOW);
    expect(codes(d)[0]).toBe("crds-not-upgraded");
    expect(codes(d)).not.toContain("release-failed");
    const f = only(d, "crds-not-upgraded");
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "CustomResourceDefinition widgets.example.com does not declare spec.shards, which the chart's Widget sets: Helm does not upgrade a chart's crds/ (crds/widgets.yaml of widget-operator 2.1.0 declares it)",
    );
    expect(f.resources[0]).toEqual({ kind: "CustomResourceDefinition", name: "widgets.example.com" });
    expect(evidenceText(f)).toMatch(/serves v1; none of their schemas lists spec.shards/);
    expect(summaries(f, "manual")).toMatch(
      /^Apply the new chart's CRDs, then run the upgrade again: `helm show crds <repo>\/widget-operator --version 2.1.0 \| kubectl apply --server-side -f -`/,
    );
  });

  it("Helm 3's client-side validation in the failed command's output (nothing stored): the CRD, with the typo caveat", () => {
    const d = run(crdNewField(), CAUSES_NOW, { helmOutput: FIELD_ERROR.helm3("shards") });
    const f = only(d, "crds-not-upgraded");
    expect(codes(d)).toEqual(["crds-not-upgraded"]);
    expect(f.title).toBe(
      "The chart's Widget sets spec.shards, which CustomResourceDefinition widgets.example.com does not declare: a newer CRD the upgrade did not apply, or a misspelt field",
    );
    expect(f.explanation).toMatch(/check that it declares spec.shards \(`helm show crds`\)/);
  });

  it("near miss: the failing chart's own CRD does not declare the field either (a misspelt field): no CRD finding", () => {
    const d = run(crdNewField({ failed: true, typo: true }), CAUSES_NOW);
    expect(codes(d)).not.toContain("crds-not-upgraded");
    expect(codes(d)).toContain("release-failed");
  });

  it("near miss: the live CRD declares the field (applied by hand since): no CRD finding", () => {
    const d = run(crdNewField(), CAUSES_NOW, { helmOutput: FIELD_ERROR.helm3("shards") });
    expect(codes(d)).toContain("crds-not-upgraded");
    const fixed = crdNewField({ liveFields: ["size", "shards"] });
    expect(codes(run(fixed, CAUSES_NOW, { helmOutput: FIELD_ERROR.helm3("shards") }))).not.toContain(
      "crds-not-upgraded",
    );
  });

  it("through the CLI with --helm-output from standard input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-crd-field-"));
    const bundle = join(dir, "b.json");
    writeFileSync(bundle, JSON.stringify(crdNewField().bundle()));
    const r = await runMain(
      [
        "diagnose",
        "shop/widget-operator",
        "--bundle",
        bundle,
        "--now",
        CAUSES_NOW,
        "-o",
        "json",
        "--helm-output",
        "-",
      ],
      {},
      { stdin: `${FIELD_ERROR.helm3("shards")}\n` },
    );
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).findings.map((x: { code: string }) => x.code)).toEqual(["crds-not-upgraded"]);
  });
});

describe("crds-not-upgraded through a live cluster", () => {
  it("a live read does not read cluster-scoped CRDs: the crash loop still names the CRD, which is said to be unread, not missing", async () => {
    const api = await startFakeApiServer();
    try {
      api.jobs.enabled = false;
      api.seed(crdsNotUpgraded().bundle().items);
      const dir = mkdtempSync(join(tmpdir(), "hd-crd-live-"));
      const env = { KUBECONFIG: api.writeKubeconfig(dir) };
      const r = await runMain(["diagnose", "acme", "-n", "certs", "--now", CAUSES_NOW, "-o", "json"], env);
      expect(r.stderr).toBe("");
      const j = JSON.parse(r.stdout);
      expect(j.findings[0].code).toBe("crds-not-upgraded");
      const ev = j.findings[0].evidence.map((e: { detail: string }) => e.detail).join("\n");
      expect(ev).toMatch(/CustomResourceDefinition certificates.certs.acme.io could not be read \(not read/);
      expect(ev).not.toMatch(/does not exist/);
      expect(j.gaps.map((g: { what: string; reason: string }) => `${g.what} ${g.reason}`)).toEqual([
        "customresourcedefinitions not read",
      ]);
    } finally {
      await api.close();
    }
  });
});

describe("crds-not-upgraded for a field, through a live cluster (CRDs not read)", () => {
  const live = async (helmOutput?: string, failed = false) => {
    const api = await startFakeApiServer();
    try {
      api.seed(crdNewField({ failed }).bundle().items);
      const dir = mkdtempSync(join(tmpdir(), "hd-crd-field-live-"));
      const env = { KUBECONFIG: api.writeKubeconfig(dir) };
      const r = await runMain(
        [
          "diagnose",
          "widget-operator",
          "-n",
          "shop",
          "--now",
          CAUSES_NOW,
          "-o",
          "json",
          ...(helmOutput ? ["--helm-output", "-"] : []),
        ],
        env,
        helmOutput ? { stdin: helmOutput } : {},
      );
      expect(r.stderr).toBe("");
      return JSON.parse(r.stdout);
    } finally {
      await api.close();
    }
  };

  it("a failed revision whose chart's crds/ declares the field: the CRD and file named, the CRD said to be unread", async () => {
    const j = await live(undefined, true);
    expect(j.findings[0].code).toBe("crds-not-upgraded");
    expect(j.findings[0].title).toMatch(/crds\/widgets.yaml of widget-operator 2.1.0 declares it/);
    expect(j.findings[0].evidence.map((e: { detail: string }) => e.detail).join("\n")).toMatch(
      /CustomResourceDefinition widgets.example.com could not be read \(not read: .*the API server's refusal says it does not declare spec.shards/,
    );
  });

  it("the failed command's output: the CRD named, with the typo caveat", async () => {
    const j = await live(`${FIELD_ERROR.helm3("shards")}\n`);
    expect(j.findings.map((f: { code: string }) => f.code)).toEqual(["crds-not-upgraded"]);
    expect(j.findings[0].title).toMatch(/a newer CRD the upgrade did not apply, or a misspelt field$/);
  });
});

describe("crds-not-upgraded for a CRD the stored chart does not ship (a subchart's crds/)", () => {
  it("the crash loop names a version the live CRD does not serve: the CRD, and the subcharts' crds/ to apply", () => {
    const d = run(crdsNotUpgraded({ fromSubchart: true }), CAUSES_NOW);
    expect(codes(d)).toEqual(["crds-not-upgraded"]);
    const f = d.findings[0]!;
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "CustomResourceDefinition certificates.certs.acme.io serves v1alpha1 but not v1, which Deployment acme-operator needs: Helm does not upgrade CRDs",
    );
    expect(f.resources[0]).toEqual({ kind: "CustomResourceDefinition", name: "certificates.certs.acme.io" });
    expect(summaries(f, "manual")).toMatch(/acme-operator\/charts\/\*\//);
  });

  it("near miss: the live CRD serves the version (the crash has another cause): no CRD finding", () => {
    const d = run(crdsNotUpgraded({ fromSubchart: true, liveVersions: ["v1alpha1", "v1"] }), CAUSES_NOW);
    expect(codes(d)).not.toContain("crds-not-upgraded");
  });
});
