// The real records written by the helm CLI: every analyzer runs on them without a crash, and only the records
// that are themselves inconsistent (labels edited by hand, per SOURCES.md) give anything at warning or above.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { decodeRecord } from "../../src/helm/codec.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { KubeObject } from "../../src/snapshot/types.js";
import { readRealRecord, realRecordFiles } from "../support/real-fixtures.js";

const INCONSISTENT = new Set([
  "FairwindsOps__pluto__test-reencoded-secret.json",
  "deckhouse__deckhouse__foo2-v1-label-superseded-secret.yaml",
  // Stored in namespace default while its payload names d8-system.
  "deckhouse__deckhouse__fooing-v1-secret.yaml",
]);

describe("diagnosis of the real records", () => {
  for (const file of realRecordFiles()) {
    it(file, () => {
      const obj = readRealRecord(file);
      const rel = decodeRecord(obj).release!;
      const d = diagnose(
        buildSnapshot({
          release: rel.name,
          namespace: obj.metadata?.namespace ?? rel.namespace,
          objects: [obj as KubeObject],
          now: new Date("2026-11-24T00:00:00Z"),
          source: file,
        }),
      );
      expect(d.gaps.filter((g) => g.what.startsWith("analyzer"))).toEqual([]);
      expect(d.findings.filter((f) => f.severity === "critical")).toEqual([]);
      const serious = d.findings.filter((f) => f.severity === "warning").map((f) => f.code);
      if (INCONSISTENT.has(file)) expect(serious).toContain("release-record-corrupt");
      else expect(serious).toEqual([]);
    });
  }
});
