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

interface Timing {
  min: number;
  median: number;
}

/**
 * CPU ms of each function over fresh copies of the snapshot, each run with a cold manifest parse cache (what one CLI
 * run pays); the functions take turns. CPU time, not wall time: on a machine shared with other work a run that is
 * preempted does not count the time it waited, and a longer run is preempted more often.
 */
function times(snap: Snapshot, fns: ((s: Snapshot) => unknown)[], runs: number): Timing[] {
  const all: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    fns.forEach((fn, k) => {
      const s = structuredClone(snap);
      s.now = new Date(FOUNDING_NOW);
      clearParseCache();
      if (process.env.BENCH_GC !== "0") gc();
      const t = process.cpuUsage();
      fn(s);
      const used = process.cpuUsage(t);
      all[k]!.push((used.user + used.system) / 1000);
    });
  }
  return all.map((t) => {
    const warm = [...t.slice(2)].sort((a, b) => a - b);
    return { min: warm[0]!, median: warm[Math.floor(warm.length / 2)]! };
  });
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
    ["founding case", snapshotOf(foundingCase().bundle().items), 41],
    ["200 revisions, 500 pods, 5000 events", snapshotOf(input(200, 500, 5000)), 31],
  ];
  for (const [name, snap, runs] of cases) {
    const d = diagnoseVerified(structuredClone(snap));
    const offered = d.findings.flatMap((f) => f.remediations.filter((r) => r.verified !== undefined));
    const [alone, verified] = times(snap, [diagnose, diagnoseVerified], runs) as [Timing, Timing];
    ratios.push(verified.median / alone.median);
    rows.push([
      `${name}: ${offered.length} remediation${offered.length === 1 ? "" : "s"} (${offered.filter((r) => r.verified).length} proven)`,
      `analysis ${alone.median.toFixed(1)} ms CPU, with verification ${verified.median.toFixed(1)} ms (×${(verified.median / alone.median).toFixed(2)}; fastest ${alone.min.toFixed(1)} / ${verified.min.toFixed(1)} ms)`,
    ]);
  }
  rows.push(["target", "verification adds less than the analysis itself: ≤ ×2.00"]);
  return { rows, ratios };
}
