// Helm's release model (pkg/release/v1), as stored in release records. Field names are Helm's JSON
// names so a decoded record can be re-encoded without loss; unknown fields are kept by the codec.

export const RELEASE_STATUSES = [
  "unknown",
  "deployed",
  "uninstalled",
  "superseded",
  "failed",
  "uninstalling",
  "pending-install",
  "pending-upgrade",
  "pending-rollback",
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export function isReleaseStatus(s: unknown): s is ReleaseStatus {
  return typeof s === "string" && (RELEASE_STATUSES as readonly string[]).includes(s);
}

/** Helm's `Status.IsPending()`. */
export function isPending(s: string | undefined): boolean {
  return s === "pending-install" || s === "pending-upgrade" || s === "pending-rollback";
}

export const HOOK_EVENTS = [
  "pre-install",
  "post-install",
  "pre-delete",
  "post-delete",
  "pre-upgrade",
  "post-upgrade",
  "pre-rollback",
  "post-rollback",
  "test",
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

export const HOOK_DELETE_POLICIES = ["before-hook-creation", "hook-succeeded", "hook-failed"] as const;

export type HookPhase = "" | "Unknown" | "Running" | "Succeeded" | "Failed";

export interface HookExecution {
  started_at?: string;
  completed_at?: string;
  phase: HookPhase | string;
}

export interface Hook {
  name: string;
  kind: string;
  path: string;
  manifest: string;
  events: string[];
  last_run?: HookExecution;
  weight?: number;
  delete_policies?: string[];
  output_log_policies?: string[];
  [extra: string]: unknown;
}

export interface ReleaseInfo {
  first_deployed?: string;
  last_deployed?: string;
  deleted?: string;
  description?: string;
  status: string;
  notes?: string;
  [extra: string]: unknown;
}

export interface ChartMetadata {
  name?: string;
  version?: string;
  appVersion?: string;
  apiVersion?: string;
  [extra: string]: unknown;
}

export interface ChartFile {
  name: string;
  data: string;
}

export interface Chart {
  metadata?: ChartMetadata;
  templates?: ChartFile[];
  files?: ChartFile[];
  values?: Record<string, unknown> | null;
  [extra: string]: unknown;
}

export interface Release {
  name: string;
  info: ReleaseInfo;
  chart?: Chart;
  config?: Record<string, unknown>;
  manifest: string;
  hooks?: Hook[];
  version: number;
  namespace: string;
  /** Helm 4: "ssa" or "csa"; missing means client-side apply. */
  apply_method?: string;
  /** Custom record labels (Helm's `Labels`, json:"-"): set by a release store, never in the JSON. */
  labels?: Record<string, string>;
  [extra: string]: unknown;
}

export type StorageDriver = "secret" | "configmap";

/** One stored revision as found in the cluster: the object around the payload, and the payload if it decodes. */
export interface ReleaseRecord {
  driver: StorageDriver;
  /** Object name, e.g. sh.helm.release.v1.yahoo.v2 */
  objectName: string;
  objectNamespace: string;
  labels: Record<string, string>;
  resourceVersion?: string;
  creationTimestamp?: string;
  /** Size of the encoded payload string as stored (what counts against the 1 MiB object limit). */
  encodedSize: number;
  release?: Release;
  /** Why the payload could not be decoded (base64, gzip, JSON or schema), when it could not. */
  error?: string;
}

/** `chart-version` as helm history prints it. */
export function chartRef(r: Release): string {
  const m = r.chart?.metadata;
  if (!m?.name) return "";
  return m.version ? `${m.name}-${m.version}` : m.name;
}

export function appVersion(r: Release): string {
  return r.chart?.metadata?.appVersion ?? "";
}
