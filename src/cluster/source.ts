// Where snapshots come from: a bundle file or a live cluster. One small interface, interchangeable sources
// (like Helm's storage drivers).
import type { ReleaseListing } from "../snapshot/build.js";
import type { Snapshot } from "../snapshot/types.js";

export interface SnapshotSource {
  /** The snapshot of one release. */
  load(release: string, namespace: string, now: Date, opts?: LoadHints): Promise<Snapshot>;
  /** Releases that have records in `namespace` (all namespaces when undefined). */
  releases(namespace?: string): Promise<ReleaseListing[]>;
  describe(): string;
}

export interface LoadHints {
  /** Read every stored revision in full (history), not only those the analysis needs. */
  allRevisions?: boolean;
  /**
   * The output of a failed helm command: the objects it names are read too, and it becomes evidence (failures
   * Helm prints without storing a revision).
   */
  helmOutput?: string;
  /** Told what is being read, step by step (a terminal shows it when reading is slow). */
  onStep?: (step: string) => void;
}

/** A failure a person can act on; `exitCode` follows the CLI contract. */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "SourceError";
  }
}
