import type { KubeEvent, KubeObject } from "./types.js";

/** Normalise a core/v1 Event or an events.k8s.io/v1 Event. */
export function normaliseEvent(o: KubeObject): KubeEvent | undefined {
  if (o.kind !== "Event") return undefined;
  // biome-ignore lint/suspicious/noExplicitAny: raw API object
  const e = o as any;
  if (typeof o.apiVersion === "string" && o.apiVersion.startsWith("events.k8s.io/")) {
    const r = e.regarding ?? {};
    const series = e.series ?? {};
    return {
      type: e.type ?? "Normal",
      reason: e.reason ?? "",
      message: e.note ?? "",
      count: series.count ?? e.deprecatedCount ?? 1,
      firstTimestamp: e.deprecatedFirstTimestamp ?? e.eventTime ?? o.metadata?.creationTimestamp,
      lastTimestamp: series.lastObservedTime ?? e.deprecatedLastTimestamp ?? e.eventTime,
      involved: { kind: r.kind ?? "", name: r.name ?? "", namespace: r.namespace, uid: r.uid },
      source: e.reportingController ?? e.deprecatedSource?.component,
    };
  }
  const io = e.involvedObject ?? {};
  return {
    type: e.type ?? "Normal",
    reason: e.reason ?? "",
    message: e.message ?? "",
    count: e.count ?? e.series?.count ?? 1,
    firstTimestamp: e.firstTimestamp ?? e.eventTime ?? o.metadata?.creationTimestamp,
    lastTimestamp: e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.firstTimestamp,
    involved: { kind: io.kind ?? "", name: io.name ?? "", namespace: io.namespace, uid: io.uid },
    source: e.source?.component ?? e.reportingComponent,
  };
}
