// Analysis time alone (no I/O): diagnose() over a synthetic release with many revisions, pods and events, and
// how it grows when the input doubles.
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { clearParseCache } from "../../src/helm/manifest.js";
import type { Release } from "../../src/helm/types.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Obj } from "../support/scenario.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";
import { replicaSet } from "../support/scenarios/workloads.js";

export function input(revisions: number, pods: number, events: number): Obj[] {
  const sc = foundingCase();
  const [r1, r2] = sc.releases;
  const all: Release[] = [];
  for (let v = 1; v <= revisions; v++) {
    const rel = structuredClone(v === revisions ? r2! : r1!) as Release;
    rel.version = v;
    rel.info = { ...rel.info, status: v === revisions ? "deployed" : "superseded" };
    all.push(rel);
  }
  sc.releases.splice(0, sc.releases.length, ...all);
  const deploy = sc.live.find((o) => o.kind === "Deployment")!;
  const states = ["running", "container-creating", "crash-loop", "image-pull", "not-ready"];
  const { pods: made } = replicaSet(
    sc,
    deploy as Obj,
    "5f5f5f5f5",
    3,
    Array.from({ length: pods }, (_, i) => ({ state: states[i % states.length]! })),
    60,
  );
  for (let i = 0; i < events; i++) {
    const p = made[i % made.length]!;
    sc.event(
      p,
      "Warning",
      i % 2 ? "FailedMount" : "BackOff",
      `event ${i} for ${p.metadata.name}: configmap "basic-app-config" not found`,
      1 + (i % 7),
      61,
      69,
    );
  }
  return sc.bundle().items;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function benchDiagnose(): { rows: string[][]; ms: number } {
  const rows: string[][] = [];
  let base = 0;
  for (const k of [1, 2, 4]) {
    const [rv, pd, ev] = [200 * k, 500 * k, 5000 * k];
    const snap = buildSnapshot({
      release: "yahoo",
      namespace: "default",
      objects: input(rv, pd, ev),
      now: new Date(FOUNDING_NOW),
      source: "bench",
    });
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const s = structuredClone(snap);
      s.now = new Date(FOUNDING_NOW);
      clearParseCache(); // cold: what one CLI run pays
      const t = performance.now();
      diagnose(s);
      times.push(performance.now() - t);
    }
    const ms = median(times.slice(2));
    if (k === 1) base = ms;
    rows.push([
      `${rv} revisions, ${pd} pods, ${ev} events`,
      `${ms.toFixed(1)} ms (×${(ms / base).toFixed(2)} for ×${k} input)`,
    ]);
  }
  rows.push(["target", "< 100 ms at 200/500/5000, growing linearly"]);
  return { rows, ms: base };
}
