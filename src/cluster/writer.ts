// ClusterWriter: what a remediation writes through — a KubeClient for objects and, per release, the
// ReleaseStore that holds its records. KubeWriter is the one over a kubeconfig; tests pair the in-memory
// implementations instead.
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeClient } from "./kubeclient.js";
import { HttpKubeClient, type WriterRetryPolicy } from "./kubeclient-http.js";
import { openReleaseStore, type ReleaseStore } from "./store.js";

export interface ClusterWriter {
  readonly kube: KubeClient;
  /** The store holding `release`'s records in `namespace`. */
  releases(namespace: string, release: string): Promise<ReleaseStore>;
  describe(): string;
}

export class KubeWriter implements ClusterWriter {
  readonly kube: HttpKubeClient;

  constructor(kc: KubeConfig, retry: Partial<WriterRetryPolicy> = {}) {
    this.kube = new HttpKubeClient(kc, retry);
  }

  releases(namespace: string, release: string): Promise<ReleaseStore> {
    return openReleaseStore(this.kube, namespace, release);
  }

  describe(): string {
    return this.kube.describe();
  }
}

/** A writer over any KubeClient and one store for every release (tests: the in-memory pair). */
export function writerOf(kube: KubeClient, store: ReleaseStore): ClusterWriter {
  return { kube, releases: async () => store, describe: () => `${kube.describe()}, ${store.describe()}` };
}

export type { WriterRetryPolicy } from "./kubeclient-http.js";
