// The Snapshot: everything a diagnosis reads about one release, gathered by a source (bundle or live
// cluster) and handed to pure analyzers. Nothing in here does I/O.
import type { ReleaseRecord } from "../helm/types.js";

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion?: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  resourceVersion?: string;
  generation?: number;
  finalizers?: string[];
  [k: string]: unknown;
}

/** Any Kubernetes object, as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: objects of any kind; analyzers narrow what they read
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  status?: any;
  [k: string]: unknown;
}

/** core/v1 and events.k8s.io/v1 Events, normalised to one shape. */
export interface KubeEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  involved: { kind: string; name: string; namespace?: string; uid?: string };
  source?: string;
}

export interface Gap {
  /** What could not be read, e.g. "events", "pods", "release records". */
  what: string;
  /** "forbidden", "not found", "timeout", "error" */
  reason: string;
  /** Detail for a person, e.g. the missing RBAC rule. */
  detail?: string;
}

/** The last lines a container logged (`kubectl logs --previous --tail`), for pods that keep failing. */
export interface PodLog {
  namespace: string;
  pod: string;
  container: string;
  /** The previous (crashed) instance's log, as crash loops need. */
  previous: boolean;
  text: string;
}

export interface Snapshot {
  release: string;
  namespace: string;
  /** The clock for age-based judgements. */
  now: Date;
  /** Every record of the release in its namespace, decoded or not, any driver. */
  records: ReleaseRecord[];
  /** Live objects: those the manifests and hooks name, workloads' pods and ReplicaSets, Jobs, PVCs… */
  objects: KubeObject[];
  events: KubeEvent[];
  gaps: Gap[];
  /** Where it came from, for the report. */
  source: string;
  /** Log tails of failing containers, when the source read them. */
  logs?: PodLog[];
  /**
   * The output of a failed helm command (install, upgrade, rollback, uninstall), given as evidence: failures Helm
   * prints without storing a revision (ownership checks, rendering, a record too large) exist only there.
   */
  helmOutput?: string;
  /** Records of the namespace's other releases (neighbours): their hooks and ownership can touch ours. */
  neighbours?: ReleaseRecord[];
  /** Records known from their labels only (a live read fetches just the revisions the analysis needs). */
  unread?: { revision: number; status: string; objectName: string }[];
}
