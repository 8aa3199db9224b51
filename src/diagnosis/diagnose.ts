// diagnose(): run every registered analyzer over one snapshot and rank the findings.
import { parseRecordName } from "../helm/codec.js";
import { appVersion, chartRef } from "../helm/types.js";
import { type Snapshot, SnapshotIndex } from "../snapshot/index.js";
import type { Analyzer } from "./analyzer.js";
import { impactOf } from "./impact.js";
import { rankAndFold } from "./rank.js";
import { ANALYZERS } from "./registry.js";
import type { Diagnosis, Finding, RevisionSummary } from "./types.js";

export function revisionSummaries(ix: SnapshotIndex): RevisionSummary[] {
  const read: RevisionSummary[] = ix.releases.map((r) => ({
    revision: r.version,
    status: r.info.status,
    chart: chartRef(r),
    appVersion: appVersion(r),
    description: r.info.description ?? "",
    updated: r.info.last_deployed ?? "",
  }));
  // Revisions known by their labels only still belong in the history.
  const unread = (ix.snapshot.unread ?? [])
    .filter((u) => !read.some((r) => r.revision === u.revision))
    .map((u) => ({
      revision: u.revision,
      status: u.status,
      chart: "",
      appVersion: "",
      description: "(not read)",
      updated: "",
    }));
  // So are records that could not be decoded, with the reason, as `history` shows them.
  const bad = ix.badRecords.map((r) => ({
    revision: parseRecordName(r.objectName)?.revision ?? Number(r.labels.version ?? 0),
    status: r.labels.status ?? "unknown",
    chart: "",
    appVersion: "",
    description: `undecodable record: ${r.error ?? "unknown error"}`,
    updated: "",
    error: r.error ?? "unknown error",
    record: r.objectName,
  }));
  return [...read, ...unread, ...bad].sort((a, b) => a.revision - b.revision);
}

/**
 * `index`: the snapshot's index when the caller keeps one (verification shares it with its predictions);
 * `impact: false` leaves out the impact lines (a prediction's findings are compared, not shown).
 */
export function diagnose(snapshot: Snapshot, index?: SnapshotIndex, o: { impact?: boolean } = {}): Diagnosis {
  const ix = index ?? new SnapshotIndex(snapshot);
  const findings: Finding[] = [];
  for (const [code, a] of Object.entries(ANALYZERS) as [string, Analyzer][]) {
    try {
      findings.push(...a.run(ix));
    } catch (e) {
      // One broken analyzer must not hide the others' findings.
      snapshot.gaps.push({ what: `analyzer ${code}`, reason: "error", detail: (e as Error).message });
    }
  }
  const latest = ix.latest();
  const d: Diagnosis = {
    release: snapshot.release,
    namespace: snapshot.namespace,
    revisions: revisionSummaries(ix),
    findings: rankAndFold(findings).map((f) => {
      const impact = o.impact === false ? undefined : impactOf(ix, f);
      return impact ? { ...f, impact } : f;
    }),
    gaps: snapshot.gaps,
    now: snapshot.now.toISOString(),
    source: snapshot.source,
  };
  if (latest) {
    d.revision = latest.version;
    d.status = latest.info.status;
    d.chart = chartRef(latest);
    d.appVersion = appVersion(latest);
  }
  return d;
}
