// What the analyzer tests share: diagnose a scenario the way the CLI does (its bundle through buildSnapshot),
// and read findings back.
import { expect } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis, Finding, FindingCode } from "../../src/diagnosis/types.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { Gap, KubeObject } from "../../src/snapshot/types.js";
import type { Scenario } from "../support/scenario.js";

export interface RunOptions {
  /** Leave objects out of the snapshot (as if they did not exist, or could not be read). */
  drop?: (o: KubeObject) => boolean;
  /** Objects the cluster holds besides the scenario's (another release's records). */
  extra?: KubeObject[];
  gaps?: Gap[];
  /** The failed helm command's output, given as evidence (`--helm-output`). */
  helmOutput?: string;
}

/** Diagnose scenario `s` at `now`. No analyzer may throw (diagnose turns a throw into a gap). */
export function diagnoseScenario(s: Scenario, now: string, o: RunOptions = {}): Diagnosis {
  const items = [...(s.bundle().items as KubeObject[]), ...(o.extra ?? [])].filter((x) => !o.drop?.(x));
  const d = diagnose(
    buildSnapshot({
      release: s.release,
      namespace: s.namespace,
      objects: items,
      now: new Date(now),
      gaps: o.gaps ?? [],
      source: "test",
      ...(o.helmOutput !== undefined ? { helmOutput: o.helmOutput } : {}),
    }),
  );
  expect(d.gaps.filter((g) => g.what.startsWith("analyzer "))).toEqual([]);
  return d;
}

/** The one finding of `code` (fails the test when there is none or more than one). */
export function only(d: Diagnosis, code: FindingCode): Finding {
  const fs = d.findings.filter((f) => f.code === code);
  expect(fs, `${code} in ${d.findings.map((f) => f.code).join(", ")}`).toHaveLength(1);
  return fs[0]!;
}

export const codes = (d: Diagnosis) => d.findings.map((f) => f.code);
export const actions = (f: Finding) => f.remediations.map((r) => [r.action, r.revision]);
export const evidenceText = (f: Finding) => f.evidence.map((e) => `${e.source}: ${e.detail}`).join("\n");
export const summaries = (f: Finding, action: string) =>
  f.remediations
    .filter((r) => r.action === action)
    .map((r) => r.summary)
    .join("\n");
/** Codes of the findings that are not informational. */
export const serious = (d: Diagnosis) => d.findings.filter((f) => f.severity !== "info").map((f) => f.code);
