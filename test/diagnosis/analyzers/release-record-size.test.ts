// release-record-size: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import { bigChart, HOOKS_NOW } from "../../support/scenarios/release-state.js";
import { codes, evidenceText, only, diagnoseScenario as run } from "../support.js";

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
