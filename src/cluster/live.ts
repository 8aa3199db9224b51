// LiveSource: snapshots read from a cluster through @kubernetes/client-node. (Being built: see issue 4.)
import type { ReleaseListing } from "../snapshot/build.js";
import type { Snapshot } from "../snapshot/types.js";
import { type SnapshotSource, SourceError } from "./source.js";

export interface LiveOptions {
  kubeconfig?: string;
  context?: string;
  driver?: string;
  env: NodeJS.ProcessEnv;
}

export class LiveSource implements SnapshotSource {
  static async fromKubeconfig(_o: LiveOptions): Promise<LiveSource> {
    throw new SourceError(
      "reading a live cluster is not available in this build yet; capture a bundle and use --bundle FILE",
    );
  }
  describe(): string {
    return "cluster";
  }
  async load(_r: string, _n: string, _now: Date): Promise<Snapshot> {
    throw new SourceError("not available");
  }
  async releases(_n?: string): Promise<ReleaseListing[]> {
    return [];
  }
}
