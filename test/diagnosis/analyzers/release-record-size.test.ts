// release-record-size: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import type { Scenario } from "../../support/scenario.js";
import { bigChart, HOOKS_NOW, RECORD_TOO_LARGE } from "../../support/scenarios/release-state.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

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

// The record Helm could not store: the failed command printed the API server's refusal, and nothing was written.
describe("release-record-size from the failed command's output", () => {
  const withOutput = (s: Scenario, helmOutput: string) => run(s, HOOKS_NOW, { helmOutput });

  it("the Secret driver's 'data: Too long': the record too big, the chart's biggest file named, nothing else", () => {
    const d = withOutput(bigChart(640), RECORD_TOO_LARGE("Secret", "grafana-stack", 3));
    expect(codes(d)).toEqual(["release-record-size"]);
    const f = d.findings[0]!;
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "Helm could not store revision 3 of grafana-stack: its release record is over Kubernetes' 1 MiB limit, so the upgrade stopped before changing anything",
    );
    expect(f.resources[0]).toEqual({
      kind: "Secret",
      name: "sh.helm.release.v1.grafana-stack.v3",
      namespace: "shop",
    });
    expect(f.explanation).toMatch(/the cluster still runs revision 2/);
    expect(f.explanation).toMatch(/large files in templates\/ or files\/.*\.helmignore/);
    const ev = evidenceText(f);
    expect(ev).toMatch(/helm output: create: failed to create: Secret "sh.helm.release.v1.grafana-stack.v3"/);
    expect(ev).toMatch(/file grafana-stack\/assets\/geoip.mmdb: 640 KiB raw/);
    expect(summaries(f, "chart-fix")).toMatch(/\.helmignore \(largest: assets\/geoip.mmdb\)/);
    expect(summaries(f, "manual")).toMatch(/helm package/);
    // One finding: release-failed's quote of the error is its evidence, and the size warning is this finding.
    expect(d.findings.filter((x) => x.code === "release-failed")).toEqual([]);
  });

  it("the ConfigMap driver's wording ('[]: Too long') names the ConfigMap record", () => {
    const d = withOutput(
      bigChart(640, { driver: "configmap" }),
      RECORD_TOO_LARGE("ConfigMap", "grafana-stack", 3),
    );
    expect(codes(d)).toEqual(["release-record-size"]);
    expect(d.findings[0]!.resources[0]).toMatchObject({
      kind: "ConfigMap",
      name: "sh.helm.release.v1.grafana-stack.v3",
    });
  });

  it("HTTP 413 from the storage driver's create is the same refusal", () => {
    const d = withOutput(
      bigChart(640),
      "Error: UPGRADE FAILED: create: failed to create: the server responded with the status code 413 but did not return more information (post secrets)",
    );
    expect(codes(d)).toEqual(["release-record-size"]);
    expect(d.findings[0]!.title).toMatch(/could not store revision 3/);
  });

  it("a small stored record: the new chart grew past the limit; its biggest parts are named", () => {
    const d = withOutput(bigChart(0), RECORD_TOO_LARGE("Secret", "grafana-stack", 3));
    const f = only(d, "release-record-size");
    expect(f.explanation).toMatch(
      /Revision 2's record is \d+ KiB \(\d+% of the limit\), its largest parts dashboards\/requests.json/,
    );
    expect(f.explanation).toMatch(/the new chart and values are bigger still/);
  });

  it("near miss: a chart object that is too big (a dashboards ConfigMap) is that object's error, not the record's", () => {
    const d = withOutput(
      bigChart(0),
      'Error: UPGRADE FAILED: failed to create resource: ConfigMap "grafana-dashboards" is invalid: []: Too long: must have at most 1048576 bytes',
    );
    expect(codes(d)).not.toContain("release-record-size");
    expect(only(d, "release-failed").title).toMatch(/ConfigMap "grafana-dashboards" is invalid/);
  });

  it("near miss: a CRD whose last-applied annotation is too long", () => {
    const d = withOutput(
      bigChart(0),
      'Error: UPGRADE FAILED: cannot patch "prometheuses.monitoring.coreos.com" with kind CustomResourceDefinition: CustomResourceDefinition.apiextensions.k8s.io "prometheuses.monitoring.coreos.com" is invalid: metadata.annotations: Too long: must have at most 262144 bytes',
    );
    expect(codes(d)).not.toContain("release-record-size");
  });

  describe("through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-record-size-"));
    const bundle = join(dir, "stack.json");
    writeFileSync(bundle, JSON.stringify(bigChart(640).bundle()));
    const log = join(dir, "upgrade.log");
    writeFileSync(log, `${RECORD_TOO_LARGE("Secret", "grafana-stack", 3)}\n`);
    const args = ["diagnose", "shop/grafana-stack", "--bundle", bundle, "--now", HOOKS_NOW, "-o", "json"];

    it("from a file", async () => {
      const r = await runMain([...args, "--helm-output", log, "--fail-on", "critical"]);
      expect(r.code).toBe(4);
      const j = JSON.parse(r.stdout);
      expect(j.findings.map((f: { code: string }) => f.code)).toEqual(["release-record-size"]);
    });

    it("from standard input, for a first install that stored nothing (no 'release not found')", async () => {
      const empty = join(dir, "empty.json");
      writeFileSync(empty, JSON.stringify({ apiVersion: "v1", kind: "List", items: [] }));
      const out = RECORD_TOO_LARGE("Secret", "grafana-stack", 1).replace("UPGRADE", "INSTALLATION");
      const r = await runMain(
        ["diagnose", "shop/grafana-stack", "--bundle", empty, "-o", "json", "--helm-output", "-"],
        {},
        { stdin: out },
      );
      expect(r.code).toBe(0);
      const f = JSON.parse(r.stdout).findings[0];
      expect(f.code).toBe("release-record-size");
      expect(f.title).toMatch(/could not store revision 1 of grafana-stack.*so the install stopped/);
      expect(f.explanation).toMatch(/the cluster still runs nothing of this release/);
    });
  });
});
