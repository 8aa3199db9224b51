// When the watcher asks for a diagnosis, from release-record metadata alone (pure: no I/O, the clock is passed in).
//
// Helm's storage driver labels every record with name, owner=helm, status and version, and with createdAt (on
// create) or modifiedAt (on update) in Unix seconds of the Helm client's clock (pkg/storage/driver/secrets.go,
// cfgmaps.go). A revision starts as a created `pending-*` record and is updated to `deployed` or `failed`, so:
// - a latest revision whose status is `failed` failed (an install, upgrade or rollback that Helm recorded);
// - a latest revision still `pending-*` (or `uninstalling`) long after its record was written has no Helm process
//   behind it any more: every later upgrade refuses with "another operation is in progress";
// - a latest revision `deployed` a while ago whose workloads are still not ready deployed without `--wait` (or
//   its wait passed) and is not serving; only a diagnosis can tell, so the watcher asks for one once the
//   configured time has passed.
// The watcher reports changes, not the backlog: an event that happened before the watcher first ran for this
// cluster (its epoch) asks for nothing, unless a report of that release is still open.
import { isPending } from "../helm/types.js";

/** One release record as the watcher keeps it (labels only; the payload is never read here). */
export interface RecordMeta {
  namespace: string;
  /** The Secret/ConfigMap name (sh.helm.release.v1.<release>.v<revision>). */
  name: string;
  release: string;
  revision: number;
  status: string;
  /** When the record got its status, ms: its modifiedAt label, else createdAt, else its creationTimestamp. */
  labelledAt?: number;
  /** When this process saw the record change (a watch event), ms; undefined for records read by a list. */
  observedAt?: number;
  resourceVersion: string;
  /** Labels other than Helm's own (a release's custom labels), for routing. */
  labels: Record<string, string>;
}

/** Helm's own record labels (pkg/storage/driver/util.go systemLabels, plus the time labels). */
const SYSTEM_LABELS = new Set(["name", "owner", "status", "version", "createdAt", "modifiedAt"]);

function seconds(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v) * 1000;
}

/** The metadata of a release record (Secret or ConfigMap, full or PartialObjectMetadata), or undefined. */
export function recordMeta(
  o: {
    metadata?: {
      name?: string;
      namespace?: string;
      labels?: Record<string, string>;
      resourceVersion?: string;
      creationTimestamp?: string | Date;
    };
  },
  observedAt?: number,
): RecordMeta | undefined {
  const m = o.metadata;
  const labels = m?.labels ?? {};
  if (!m?.name || labels.owner !== "helm") return undefined;
  const byName = /^sh\.helm\.release\.v1\.(.+)\.v(\d+)$/.exec(m.name);
  const release = labels.name ?? byName?.[1];
  const revision = Number(labels.version ?? byName?.[2]);
  if (!release || !Number.isInteger(revision) || revision <= 0) return undefined;
  const created = m.creationTimestamp ? new Date(m.creationTimestamp).getTime() : Number.NaN;
  const labelledAt =
    seconds(labels.modifiedAt) ?? seconds(labels.createdAt) ?? (Number.isNaN(created) ? undefined : created);
  const custom: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!SYSTEM_LABELS.has(k)) custom[k] = v;
  return {
    namespace: m.namespace ?? "",
    name: m.name,
    release,
    revision,
    status: labels.status ?? "unknown",
    ...(labelledAt === undefined ? {} : { labelledAt }),
    ...(observedAt === undefined ? {} : { observedAt }),
    resourceVersion: m.resourceVersion ?? "",
    labels: custom,
  };
}

export type TriggerKind =
  /** The latest revision is failed. */
  | "failed"
  /** The latest revision is pending-* or uninstalling past the stuck threshold. */
  | "stuck"
  /** The latest revision was deployed the configured time ago: are its workloads ready? */
  | "unready"
  /** A report of the release is open and the release changed: resolved, or changed? */
  | "recheck";

export interface Trigger {
  kind: TriggerKind;
  namespace: string;
  release: string;
  revision: number;
  status: string;
  /**
   * What makes this trigger itself: a diagnosis is asked for once per key (a failed record changed again is a new
   * key; a stuck or unready revision is asked about once).
   */
  key: string;
  /** When what triggered happened, ms. */
  at: number;
  /** One line for the report: "revision 3 turned failed". */
  reason: string;
  /** The latest record's custom labels (routing). */
  labels: Record<string, string>;
}

export interface TriggerSettings {
  /** Now, ms. */
  now: number;
  /** When the watcher first ran for this cluster, ms: older events ask for nothing. */
  epoch: number;
  /** A pending-* revision older than this is stuck. */
  stuckMs: number;
  /** Workloads of a revision deployed this long ago should be ready. */
  unreadyMs: number;
}

/** The release's open report, as far as the triggers care. */
export interface OpenReport {
  revision: number;
  /** The resourceVersion of the record the report was last brought up to date for. */
  resourceVersion?: string;
}

export interface Evaluation {
  trigger?: Trigger;
  /** Evaluate again at this time (ms) even when nothing changes: a pending or deployed revision ages. */
  recheckAt?: number;
}

/** The latest revision of a release's records. */
export function latestRecord(records: Iterable<RecordMeta>): RecordMeta | undefined {
  let latest: RecordMeta | undefined;
  for (const r of records) if (!latest || r.revision > latest.revision) latest = r;
  return latest;
}

function when(r: RecordMeta, fallback: number): number {
  return r.observedAt ?? r.labelledAt ?? fallback;
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

/** What one release's records ask of the watcher now. */
export function evaluate(records: Iterable<RecordMeta>, s: TriggerSettings, open?: OpenReport): Evaluation {
  const latest = latestRecord(records);
  if (!latest) return {};
  const at = when(latest, s.now);
  const base = {
    namespace: latest.namespace,
    release: latest.release,
    revision: latest.revision,
    status: latest.status,
    labels: latest.labels,
  };
  const rev = `revision ${latest.revision}`;
  // An open report follows every change of its release: it is updated or resolved, never left behind.
  const changedSinceReport =
    open !== undefined &&
    (open.revision !== latest.revision || open.resourceVersion !== latest.resourceVersion);

  if (latest.status === "failed") {
    if (at < s.epoch && !changedSinceReport) return {};
    return {
      trigger: {
        ...base,
        kind: "failed",
        key: `${latest.revision}:failed:${latest.resourceVersion}`,
        at,
        reason: `${rev} turned failed`,
      },
    };
  }

  if (isPending(latest.status) || latest.status === "uninstalling") {
    const due = at + s.stuckMs;
    // An operation under way: its outcome (deployed, failed) is the next change; only its age can trigger.
    if (s.now < due) return { recheckAt: due };
    if (due < s.epoch && !changedSinceReport) return {};
    return {
      trigger: {
        ...base,
        kind: "stuck",
        key: `${latest.revision}:stuck`,
        at: due,
        reason: `${rev} has been ${latest.status} for ${minutes(s.now - at)}`,
      },
    };
  }

  if (changedSinceReport) return { trigger: recheck() };

  if (latest.status === "deployed") {
    const due = at + s.unreadyMs;
    if (s.now < due) return { recheckAt: due };
    // Only a revision deployed recently is "just deployed": one that has been running for long is not checked on
    // every restart of the watcher.
    if (due < s.epoch || s.now >= due + s.unreadyMs) return {};
    return {
      trigger: {
        ...base,
        kind: "unready",
        key: `${latest.revision}:unready`,
        at: due,
        reason: `${rev} was deployed ${minutes(s.now - at)} ago`,
      },
    };
  }
  return {};

  function recheck(): Trigger {
    return {
      ...base,
      kind: "recheck",
      key: `${latest!.revision}:recheck:${latest!.resourceVersion}`,
      at,
      reason: `${rev} is ${latest!.status}`,
    };
  }
}
