// ReleaseStore: Helm's release storage (pkg/storage and its drivers): get, list, history, create, update and
// delete releases by name and revision. Encoding, driver and Helm 3/4 JSON dialect live behind it, so the
// remediation actions handle Release values only. Implementations: records in Secrets or ConfigMaps
// (store-records.ts, as driver.Secrets / driver.ConfigMaps) and in memory (store-memory.ts, as driver.Memory).
import type { Release } from "../helm/types.js";
import type { KubeClient } from "./kubeclient.js";
import { RecordStore } from "./store-records.js";

/** A release record as a metadata-only list shows it: enough to find revisions, locks and our own writes. */
export interface ReleaseHead {
  name: string;
  revision: number;
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface StoreWriteOptions {
  /** Annotations on the record (Helm ignores them and drops them when it rewrites the record). */
  annotations?: Record<string, string> | undefined;
  /** Unix seconds for the createdAt (create) or modifiedAt (update) label, as Helm's drivers set them. */
  now?: number | undefined;
}

export interface ReleaseStore {
  readonly driver: "secret" | "configmap" | "memory";
  describe(): string;
  /** ReleaseNotFoundError when there is no such revision. */
  get(name: string, revision: number): Promise<Release>;
  /** Every revision's head, oldest first. */
  list(name: string): Promise<ReleaseHead[]>;
  /** Every revision, decoded, oldest first. */
  history(name: string): Promise<Release[]>;
  /** ReleaseExistsError when the revision exists: Helm's lock. */
  create(rel: Release, opts?: StoreWriteOptions): Promise<void>;
  /** Rewrites the record whole (the annotations it was read with are kept unless given). */
  update(rel: Release, opts?: StoreWriteOptions): Promise<void>;
  delete(name: string, revision: number): Promise<void>;
}

/** Helm's driver.ErrReleaseExists. */
export class ReleaseExistsError extends Error {
  constructor(readonly detail: string) {
    super("release: already exists");
    this.name = "ReleaseExistsError";
  }
}

/** Helm's driver.ErrReleaseNotFound. */
export class ReleaseNotFoundError extends Error {
  constructor() {
    super("release: not found");
    this.name = "ReleaseNotFoundError";
  }
}

/** Labels Helm's drivers own (pkg/storage/driver/util.go systemLabels); the rest are the release's custom labels. */
export const SYSTEM_LABELS = ["name", "owner", "status", "version", "createdAt", "modifiedAt"];

export function customLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !SYSTEM_LABELS.includes(k)));
}

/**
 * Helm's Storage.Create with --history-max: removeLeastRecent(max − 1) (oldest first, never the latest
 * deployed), then create. A pruning error stops it before the new record is written, as in Helm.
 */
export async function createRelease(
  store: ReleaseStore,
  rel: Release,
  historyMax: number,
  opts: StoreWriteOptions & { onPrune?: (revision: number) => void } = {},
): Promise<void> {
  if (historyMax > 0) {
    const keep = historyMax - 1;
    const heads = await store.list(rel.name);
    if (heads.length > keep) {
      const deployed = heads.filter((h) => h.status === "deployed").pop();
      const doomed: ReleaseHead[] = [];
      for (const h of heads) {
        if (heads.length - doomed.length === keep) break;
        if (deployed && h.revision === deployed.revision) continue;
        doomed.push(h);
      }
      const errors: Error[] = [];
      for (const h of doomed) {
        opts.onPrune?.(h.revision);
        try {
          await store.delete(rel.name, h.revision);
        } catch (e) {
          if (!(e instanceof ReleaseNotFoundError)) errors.push(e as Error);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1)
        throw new Error(`encountered ${errors.length} deletion errors. First is: ${errors[0]!.message}`);
    }
  }
  await store.create(rel, opts);
}

/**
 * The store that holds `release` in `namespace`: the given driver, else the first of Secrets and ConfigMaps
 * that has its records (Secrets when neither has).
 */
export async function openReleaseStore(
  kube: KubeClient,
  namespace: string,
  release: string,
  driver?: "secret" | "configmap",
): Promise<ReleaseStore> {
  if (driver) return new RecordStore(kube, namespace, driver);
  const secrets = new RecordStore(kube, namespace, "secret");
  if ((await secrets.list(release)).length > 0) return secrets;
  const configMaps = new RecordStore(kube, namespace, "configmap");
  if ((await configMaps.list(release)).length > 0) return configMaps;
  return secrets;
}
