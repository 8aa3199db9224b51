// Proven fixes: the time to verify every remediation a diagnosis offers (plan, predict, diagnose the predicted
// state) next to the analysis alone, for the founding case and for a 200-revision release with 500 pods and
// 5,000 events. Target: verification adds less than the analysis itself (≤ 2× analysis alone).
import v8 from "node:v8";
import vm from "node:vm";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { clearParseCache } from "../../src/helm/manifest.js";
import { diagnoseVerified } from "../../src/remediation/verify.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Snapshot } from "../../src/snapshot/types.js";
import type { Obj } from "../support/scenario.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";
import { input } from "./diagnose.js";

// A collection before each timed run, so that each pays only for the garbage it makes itself (not for the copies
// of the input the harness makes between runs).
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median ms of each function over fresh copies of the snapshot, each run with a cold manifest parse cache (what one
 * CLI run pays). The functions take turns, so a busy machine slows both alike.
 */
function times(snap: Snapshot, fns: ((s: Snapshot) => unknown)[], runs: number): number[] {
  const all: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    fns.forEach((fn, k) => {
      const s = structuredClone(snap);
      s.now = new Date(FOUNDING_NOW);
      clearParseCache();
      gc();
      const t = performance.now();
      fn(s);
      all[k]!.push(performance.now() - t);
    });
  }
  return all.map((t) => median(t.slice(2)));
}

function snapshotOf(items: Obj[]): Snapshot {
  return buildSnapshot({
    release: "yahoo",
    namespace: "default",
    objects: items,
    now: new Date(FOUNDING_NOW),
    source: "bench",
  });
}

export function benchVerify(): { rows: string[][]; ratios: number[] } {
  const rows: string[][] = [];
  const ratios: number[] = [];
  const cases: [string, Snapshot, number][] = [
    ["founding case", snapshotOf(foundingCase().bundle().items), 25],
    ["200 revisions, 500 pods, 5000 events", snapshotOf(input(200, 500, 5000)), 9],
  ];
  for (const [name, snap, runs] of cases) {
    const d = diagnoseVerified(structuredClone(snap));
    const offered = d.findings.flatMap((f) => f.remediations.filter((r) => r.verified !== undefined));
    const [alone, verified] = times(snap, [diagnose, diagnoseVerified], runs) as [number, number];
    ratios.push(verified / alone);
    rows.push([
      `${name}: ${offered.length} remediation${offered.length === 1 ? "" : "s"} (${offered.filter((r) => r.verified).length} proven)`,
      `analysis ${alone.toFixed(1)} ms, with verification ${verified.toFixed(1)} ms (×${(verified / alone).toFixed(2)})`,
    ]);
  }
  rows.push(["target", "verification adds less than the analysis itself: ≤ ×2.00"]);
  return { rows, ratios };
}
