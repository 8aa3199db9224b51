// The shape of an analyzer: a pure function of the snapshot index. Its finding code is its key in the registry.
import type { SnapshotIndex } from "../snapshot/index.js";
import type { Finding } from "./types.js";

export interface Analyzer {
  run(ix: SnapshotIndex): Finding[];
}
