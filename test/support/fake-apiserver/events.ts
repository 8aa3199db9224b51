// core/v1 Event <-> events.k8s.io/v1 Event. The API server keeps one storage for both (pkg/apis/events/v1
// conversion.go), so an event written through either group is listed through both, renamed field by field.
import type { KubeObject } from "./types.js";

type Pair = [core: string, eventsV1: string];

// In the order the events.k8s.io/v1 type declares its fields (the JSON encoder keeps that order).
const FIELD_PAIRS: Pair[] = [
  ["eventTime", "eventTime"],
  ["series", "series"],
  ["reportingComponent", "reportingController"],
  ["reportingInstance", "reportingInstance"],
  ["action", "action"],
  ["reason", "reason"],
  ["involvedObject", "regarding"],
  ["related", "related"],
  ["message", "note"],
  ["type", "type"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
];

// The core/v1 Event field order.
const CORE_ORDER = [
  "involvedObject",
  "reason",
  "message",
  "source",
  "firstTimestamp",
  "lastTimestamp",
  "count",
  "type",
  "eventTime",
  "series",
  "action",
  "related",
  "reportingComponent",
  "reportingInstance",
];

export function coreEventToEventsV1(core: KubeObject): KubeObject {
  const out: KubeObject = { kind: "Event", apiVersion: "events.k8s.io/v1", metadata: core.metadata };
  for (const [c, e] of FIELD_PAIRS) {
    if (core[c] !== undefined) out[e] = core[c];
  }
  // events.k8s.io/v1 marks reportingController/Instance omitempty; core/v1 does not.
  if (out.reportingController === "") delete out.reportingController;
  if (out.reportingInstance === "") delete out.reportingInstance;
  return out;
}

export function eventsV1ToCoreEvent(ev: KubeObject): KubeObject {
  const byCore = new Map(FIELD_PAIRS.map(([c, e]) => [c, e] as const));
  const out: KubeObject = { kind: "Event", apiVersion: "v1", metadata: ev.metadata };
  for (const c of CORE_ORDER) {
    const e = byCore.get(c);
    if (e !== undefined && ev[e] !== undefined) out[c] = ev[e];
  }
  return out;
}
