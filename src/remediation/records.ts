// Release records as Helm's storage driver reads and writes them (pkg/storage/driver/secrets.go, cfgmaps.go):
// the object around the payload (name, type, labels), plus helm-doctor's operation annotations, which Helm
// ignores and drops the next time it rewrites the record.

import type { RecordDriver } from "../cluster/writer.js";
import {
  decodeReleaseString,
  recordObject as driverObject,
  recordName,
  systemLabels,
} from "../helm/codec.js";
import { appVersion, chartRef, type Release } from "../helm/types.js";
import type { KubeObject } from "../snapshot/types.js";
import {
  type Dialect,
  dialectOf,
  encodeJson,
  payloadJson,
  type RawFields,
  releaseJson,
  topLevelSpans,
} from "./gojson.js";

export const OPERATION_ANNOTATION = "helm-doctor/operation-id";
export const ACTION_ANNOTATION = "helm-doctor/action";
export const REQUESTED_BY_ANNOTATION = "helm-doctor/requested-by";

/** Labels Helm's driver owns (util.go systemLabels); the rest are the release's custom labels. */
export const SYSTEM_LABELS = ["name", "owner", "status", "version", "createdAt", "modifiedAt"];

export function customLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !SYSTEM_LABELS.includes(k)));
}

/** A record read back for rewriting: the decoded release, its raw chart/config JSON and its object metadata. */
export interface StoredRecord {
  driver: RecordDriver;
  release: Release;
  raw: RawFields;
  dialect: Dialect;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function readRecord(o: KubeObject, driver: RecordDriver): StoredRecord {
  const data = (o as { data?: Record<string, string> }).data?.release;
  if (typeof data !== "string" || data === "")
    throw new Error(`record ${o.metadata?.name} has no data.release`);
  const encoded = driver === "secret" ? Buffer.from(data, "base64").toString("latin1") : data;
  const release = decodeReleaseString(encoded);
  const spans = topLevelSpans(payloadJson(encoded));
  const raw: RawFields = {};
  const chart = spans?.get("chart");
  const config = spans?.get("config");
  if (chart !== undefined) raw.chart = chart;
  if (config !== undefined) raw.config = config;
  return {
    driver,
    release,
    raw,
    dialect: dialectOf(release),
    labels: { ...(o.metadata?.labels ?? {}) },
    annotations: { ...(o.metadata?.annotations ?? {}) },
  };
}

export interface RecordWrite {
  driver: RecordDriver;
  dialect: Dialect;
  raw?: RawFields;
  custom?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Unix seconds: createdAt on create, modifiedAt on update (as Helm's driver sets them). */
  createdAt?: number;
  modifiedAt?: number;
}

/** The Secret/ConfigMap object Helm's driver writes for `rel`, with the payload serialised Helm's way. */
export function recordObject(rel: Release, w: RecordWrite): KubeObject {
  const labels: Record<string, string> = { ...(w.custom ?? {}), ...systemLabels(rel) };
  if (w.createdAt !== undefined) labels.createdAt = String(w.createdAt);
  if (w.modifiedAt !== undefined) labels.modifiedAt = String(w.modifiedAt);
  const metadata = {
    name: recordName(rel.name, rel.version),
    namespace: rel.namespace,
    labels,
    ...(w.annotations && Object.keys(w.annotations).length > 0 ? { annotations: w.annotations } : {}),
  };
  return driverObject(w.driver, metadata, encodeJson(releaseJson(rel, w.dialect, w.raw))) as KubeObject;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's ANSIC layout ("Mon Jan _2 15:04:05 2006"), as `helm history` prints UPDATED (local time). */
export function ansic(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

/** One `helm history` row: REVISION, UPDATED, STATUS, CHART, APP VERSION, DESCRIPTION (tab-separated). */
export function historyLine(rel: Release): string {
  return [
    String(rel.version),
    ansic(rel.info.last_deployed),
    rel.info.status,
    chartRef(rel),
    appVersion(rel),
    rel.info.description ?? "",
  ].join("\t");
}
