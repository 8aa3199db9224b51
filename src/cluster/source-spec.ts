// Where the daemons (`serve`, `worker`) read snapshots from, as plain data: a bundle file, or a cluster through a
// kubeconfig. Plain data so that a worker thread can build the same source as the process that started it.
import { BundleSource } from "./bundle.js";
import type { SnapshotSource } from "./source.js";

export interface SourceSpec {
  /** A captured snapshot file (demos, tests) instead of a cluster. */
  bundle?: string;
  /** kubeconfig file (default: $KUBECONFIG, then ~/.kube/config; in a pod, the service account). */
  kubeconfig?: string;
  context?: string;
  /** secret, configmap or auto. */
  driver?: string;
}

/**
 * One source per process: the kubeconfig is read once, on the first job. A source that failed to start (a
 * kubeconfig fixed meanwhile) is tried again on the next job.
 */
export function sourceFactoryOf(spec: SourceSpec, env: NodeJS.ProcessEnv): () => Promise<SnapshotSource> {
  let source: Promise<SnapshotSource> | undefined;
  return () => {
    source ??= spec.bundle
      ? Promise.resolve(new BundleSource(spec.bundle))
      : import("./live.js").then(({ LiveSource }) =>
          LiveSource.fromKubeconfig({
            kubeconfig: spec.kubeconfig,
            context: spec.context,
            driver: spec.driver,
            env,
          }),
        );
    source.catch(() => {
      source = undefined;
    });
    return source;
  };
}
