// Where snapshots come from: a bundle file or a live cluster. One small interface, interchangeable sources
// (like Helm's storage drivers).
import type { ReleaseListing } from "../snapshot/build.js";
import type { Snapshot } from "../snapshot/types.js";

export interface SnapshotSource {
  /** The snapshot of one release. */
  load(release: string, namespace: string, now: Date, opts?: { allRevisions?: boolean }): Promise<Snapshot>;
  /** Releases that have records in `namespace` (all namespaces when undefined). */
  releases(namespace?: string): Promise<ReleaseListing[]>;
  describe(): string;
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
