// Release JSON as Go's encoding/json writes Helm's structs: fields in struct order with Helm's omitempty rules,
// strings escaped like Go (<, >, & and U+2028/9 as \uXXXX), times as RFC3339Nano, and the chart and config
// copied byte-for-byte from the stored record instead of re-serialised (Go sorts map keys and prints floats
// its own way; a JSON.parse/stringify round trip would not give the same bytes).
import { gunzipSync } from "node:zlib";
import type { Hook, Release } from "./types.js";

/** Helm 3 (zero times as "", `deleted` always present) or Helm 4 (zero times omitted, apply_method). */
export type Dialect = "helm3" | "helm4";

export function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Go's time.Time.MarshalJSON (RFC3339Nano: fraction without trailing zeros), in UTC. */
export function goTime(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_, f: string) => (f ? `.${f}Z` : "Z"));
}

// What a release store read about a record's bytes, kept beside the decoded values: the dialect of each
// release and the raw JSON text of its chart and config (so a rewrite copies them byte for byte).
const dialects = new WeakMap<Release, Dialect>();
const rawJson = new WeakMap<object, string>();

/** Remember that `rel` was read from a record written in dialect `d`. */
export function markDialect(rel: Release, d: Dialect): void {
  dialects.set(rel, d);
}

/** Remember the exact JSON text `value` (a release's chart or config object) was decoded from. */
export function markRawJson(value: object, text: string): void {
  rawJson.set(value, text);
}

/** Which Helm wrote a release decoded from a record's JSON: Helm 3 always writes `info.deleted`, Helm 4 never. */
export function storedDialect(rel: Release): Dialect {
  if (typeof rel.apply_method === "string") return "helm4";
  return "deleted" in rel.info ? "helm3" : "helm4";
}

/**
 * Which Helm a release belongs to: as its record was read (markDialect), else Helm 4 when it carries
 * apply_method (Helm 4 sets it on every release it makes) and Helm 3 otherwise.
 */
export function dialectOf(rel: Release | undefined): Dialect {
  if (!rel) return "helm3";
  return dialects.get(rel) ?? (typeof rel.apply_method === "string" ? "helm4" : "helm3");
}

/** Top-level `key → raw JSON text` of a JSON object text (no parse of the values). */
export function topLevelSpans(json: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let i = 0;
  const n = json.length;
  const ws = () => {
    while (i < n && " \t\r\n".includes(json[i]!)) i++;
  };
  const str = (): string | undefined => {
    if (json[i] !== '"') return undefined;
    const start = i++;
    while (i < n && json[i] !== '"') i += json[i] === "\\" ? 2 : 1;
    if (i >= n) return undefined;
    i++;
    return json.slice(start, i);
  };
  const value = (): string | undefined => {
    const start = i;
    const c = json[i];
    if (c === '"') return str();
    if (c === "{" || c === "[") {
      let depth = 0;
      while (i < n) {
        const ch = json[i]!;
        if (ch === '"') {
          if (str() === undefined) return undefined;
          continue;
        }
        if (ch === "{" || ch === "[") depth++;
        else if (ch === "}" || ch === "]") {
          depth--;
          if (depth === 0) {
            i++;
            return json.slice(start, i);
          }
        }
        i++;
      }
      return undefined;
    }
    while (i < n && !",}] \t\r\n".includes(json[i]!)) i++;
    return i > start ? json.slice(start, i) : undefined;
  };
  ws();
  if (json[i] !== "{") return undefined;
  i++;
  ws();
  if (json[i] === "}") return out;
  for (;;) {
    ws();
    const k = str();
    if (k === undefined) return undefined;
    ws();
    if (json[i] !== ":") return undefined;
    i++;
    ws();
    const v = value();
    if (v === undefined) return undefined;
    out.set(JSON.parse(k) as string, v);
    ws();
    if (json[i] === ",") {
      i++;
      continue;
    }
    if (json[i] === "}") return out;
    return undefined;
  }
}

/** The JSON text inside a stored record payload (single-encoded string, as in the Secret after one base64). */
export function payloadJson(encoded: string): string {
  const bytes = Buffer.from(encoded, "base64");
  const json =
    bytes.length > 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08
      ? gunzipSync(bytes)
      : bytes;
  return json.toString("utf8");
}

/** Raw JSON of fields copied verbatim (chart, config) from the source record. */
export interface RawFields {
  chart?: string;
  config?: string;
}

function time(v: string | undefined, d: Dialect): string | undefined {
  if (v === undefined || v === "") return d === "helm3" ? '""' : undefined;
  return goString(v);
}

function obj(fields: [string, string | undefined][]): string {
  return `{${fields
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([k, v]) => `${goString(k)}:${v}`)
    .join(",")}}`;
}

const strOmit = (s: string | undefined) => (s ? goString(s) : undefined);
const arrOmit = (a: string[] | undefined) =>
  a && a.length > 0 ? `[${a.map((x) => goString(x)).join(",")}]` : undefined;

export function hookJson(h: Hook, d: Dialect): string {
  const lr = h.last_run ?? { phase: "" };
  return obj([
    ["name", strOmit(h.name)],
    ["kind", strOmit(h.kind)],
    ["path", strOmit(h.path)],
    ["manifest", strOmit(h.manifest)],
    ["events", arrOmit(h.events)],
    [
      "last_run",
      obj([
        ["started_at", time(lr.started_at, d)],
        ["completed_at", time(lr.completed_at, d)],
        ["phase", goString(lr.phase ?? "")],
      ]),
    ],
    ["weight", h.weight ? String(h.weight) : undefined],
    ["delete_policies", arrOmit(h.delete_policies)],
    ["output_log_policies", arrOmit(h.output_log_policies)],
  ]);
}

/**
 * The release as Helm's json.Marshal writes it (pkg/release{,/v1}: Release, Info, Hook, HookExecution in
 * struct order). Chart and config are copied from `raw`, else from the text they were read from
 * (markRawJson), else serialised from `rel`.
 */
export function releaseJson(rel: Release, d: Dialect, raw: RawFields = {}): string {
  const i = rel.info;
  const info = obj([
    ["first_deployed", time(i.first_deployed, d)],
    ["last_deployed", time(i.last_deployed, d)],
    ["deleted", time(i.deleted, d)],
    ["description", strOmit(i.description)],
    ["status", strOmit(i.status)],
    ["notes", strOmit(i.notes)],
  ]);
  const rawOf = (v: object | undefined) => (v ? rawJson.get(v) : undefined);
  const chart = raw.chart ?? rawOf(rel.chart) ?? (rel.chart ? JSON.stringify(rel.chart) : undefined);
  const config =
    raw.config ??
    rawOf(rel.config) ??
    (rel.config && Object.keys(rel.config).length > 0 ? JSON.stringify(rel.config) : undefined);
  const hooks =
    rel.hooks && rel.hooks.length > 0 ? `[${rel.hooks.map((h) => hookJson(h, d)).join(",")}]` : undefined;
  return obj([
    ["name", strOmit(rel.name)],
    ["info", info],
    ["chart", chart === "null" ? undefined : chart],
    ["config", config === "null" || config === "{}" ? undefined : config],
    ["manifest", strOmit(rel.manifest)],
    ["hooks", hooks],
    ["version", rel.version ? String(rel.version) : undefined],
    ["namespace", strOmit(rel.namespace)],
    ["apply_method", d === "helm4" ? strOmit(rel.apply_method) : undefined],
  ]);
}
