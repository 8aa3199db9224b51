// The analyzer registry: each analyzer is a pure function of the snapshot index.
import type { SnapshotIndex } from "../snapshot/index.js";
import type { Finding, FindingCode } from "./types.js";

export interface Analyzer {
  code: FindingCode;
  run(ix: SnapshotIndex): Finding[];
}

const analyzers: Analyzer[] = [];

export function register(a: Analyzer): Analyzer {
  analyzers.push(a);
  return a;
}

export function allAnalyzers(): readonly Analyzer[] {
  return analyzers;
}
