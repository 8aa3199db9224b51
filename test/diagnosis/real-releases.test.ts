// real-releases: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { FindingCode } from "../../src/diagnosis/types.js";
import { decodeRecord } from "../../src/helm/codec.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { KubeObject } from "../../src/snapshot/types.js";
import { readRealRecord, realRecordFiles } from "../support/real-fixtures.js";
import { only } from "./support.js";

const GROUP_A: FindingCode[] = [
  "release-pending-stuck",
  "no-deployed-release",
  "release-uninstall-stuck",
  "atomic-rollback-masked-failure",
  "release-record-size",
  "hooks-skipped",
  "unknown-hook-dropped",
];

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
