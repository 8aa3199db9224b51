// Release record codec, as Helm's pkg/storage/driver/util.go encodes and decodes it:
// write json → gzip (best compression) → base64; read base64 → gunzip only if the bytes start with the
// gzip magic (1f 8b 08) → JSON. The Secret driver's `data` is base64-encoded once more by the API.
import { gunzipSync, gzipSync, constants as zc } from "node:zlib";
// zod/mini: the same checks as zod's classic API in a fraction of the code, on the path of every CLI start.
import * as z from "zod/mini";
import type { Release, ReleaseRecord, StorageDriver } from "./types.js";

export const RECORD_PREFIX = "sh.helm.release.v1.";
export const SECRET_TYPE = "helm.sh/release.v1";

export class DecodeError extends Error {
  constructor(
    readonly stage: "base64" | "gzip" | "json" | "schema",
    message: string,
  ) {
    super(message);
    this.name = "DecodeError";
  }
}

/**
 * Strict std-base64 decode, as Go's StdEncoding: Buffer.from skips characters it does not know, so a wrong
 * decoded length is how an invalid character shows (checked without a pass of its own over the text).
 */
function b64decode(s: string, what: string): Buffer {
  // Buffer.from also accepts the URL-safe alphabet; Go's StdEncoding (what Helm decodes with) does not.
  if (s.indexOf("-") !== -1 || s.indexOf("_") !== -1) {
    throw new DecodeError(
      "base64",
      `${what} uses URL-safe base64 ("-" or "_"), which Helm's decoder (Go's base64.StdEncoding) rejects`,
    );
  }
  let buf = Buffer.from(s, "base64");
  if (buf.length !== expectedLength(s)) {
    // Go's decoder also skips newlines; anything else is an error.
    const t = s.replace(/[\r\n]/g, "");
    buf = Buffer.from(t, "base64");
    if (t.length % 4 !== 0 || buf.length !== expectedLength(t) || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) {
      throw new DecodeError("base64", `${what} is not valid base64`);
    }
  }
  return buf;
}

function expectedLength(s: string): number {
  if (s.length % 4 !== 0) return -1;
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

/**
 * Decode the release string as stored in `data.release` after the API's own layer is removed
 * (i.e. the single-encoded string Helm writes).
 */
export function decodeReleaseString(encoded: string): Release {
  const bytes = b64decode(encoded, "release payload");
  let json: Buffer = bytes;
  if (bytes.length > 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08) {
    try {
      json = gunzipSync(bytes);
    } catch (e) {
      throw new DecodeError("gzip", `release payload is not valid gzip: ${(e as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString("utf8"));
  } catch (e) {
    throw new DecodeError("json", `release payload is not valid JSON: ${(e as Error).message}`);
  }
  return validateRelease(parsed);
}

/** The Secret driver's wire form: the API's base64 around Helm's base64. */
export function decodeSecretData(dataRelease: string): Release {
  return decodeReleaseString(b64decode(dataRelease, "secret data.release").toString("latin1"));
}

/**
 * Helm's encodeRelease of a release's JSON text: gzip at best compression with Go's compress/gzip header
 * (mtime 0, XFL 2, OS 255 unknown), then base64. The one record encoder.
 */
export function encodePayload(json: string): string {
  const gz = gzipSync(Buffer.from(json, "utf8"), { level: zc.Z_BEST_COMPRESSION });
  gz[8] = 0x02;
  gz[9] = 0xff;
  return gz.toString("base64");
}

/** A release encoded with plain JSON.stringify (test scenarios; remediations write Go's JSON: gojson.ts). */
export function encodeReleaseString(rel: Release): string {
  return encodePayload(JSON.stringify(rel));
}

// Go's encoding/json fails the whole record on any type mismatch: the fields Helm types strictly, as a zod
// schema of Helm's release.Release (pkg/release/v1/release.go, info.go, hook.go; chart.Chart and
// chart.Metadata in pkg/chart). Unknown fields pass, null is Go's zero value, and the record is returned as it
// was read (the schema only checks: records are re-serialised byte for byte).

/** What Helm's time type accepts: "" (Helm 3's zero time) or what Go's time.Time does, RFC 3339. */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

const str = z.nullish(z.string());
const int = z.nullish(z.int());
const strings = z.nullish(z.array(z.string()));
const time = z.nullish(
  z.string().check(
    z.refine((v) => v === "" || (RFC3339.test(v) && !Number.isNaN(Date.parse(v))), {
      error: (i) => `${JSON.stringify(i.input)} is not an RFC3339 time`,
    }),
  ),
);
const obj = <T extends z.core.$ZodLooseShape>(shape: T) => z.object(shape);
/** Any JSON object, not copied (values and config are the user's: any shape). */
const anyObject = z.custom<Record<string, unknown>>(
  (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  { error: "want object" },
);

const maintainer = z.nullable(obj({ name: str, email: str, url: str }));
const dependency = z.nullable(
  obj({
    name: str,
    version: str,
    repository: str,
    condition: str,
    alias: str,
    tags: strings,
    enabled: z.nullish(z.boolean()),
  }),
);
const file = z.nullable(obj({ name: str, data: str })); // data is []byte: a base64 string in JSON
const chart = obj({
  metadata: z.nullish(
    obj({
      name: str,
      home: str,
      version: str,
      description: str,
      icon: str,
      apiVersion: str,
      condition: str,
      tags: str,
      appVersion: str,
      kubeVersion: str,
      type: str,
      sources: strings,
      keywords: strings,
      deprecated: z.nullish(z.boolean()),
      annotations: z.nullish(z.record(z.string(), z.string())),
      maintainers: z.nullish(z.array(maintainer)),
      dependencies: z.nullish(z.array(dependency)),
    }),
  ),
  templates: z.nullish(z.array(file)),
  files: z.nullish(z.array(file)),
  values: z.nullish(anyObject),
  schema: str,
});
const hook = obj({
  name: str,
  kind: str,
  path: str,
  manifest: str,
  weight: int,
  events: strings,
  delete_policies: strings,
  output_log_policies: strings,
  last_run: z.nullish(obj({ started_at: time, completed_at: time, phase: str })),
});
const releaseSchema = obj({
  name: str,
  namespace: str,
  manifest: str,
  version: int,
  info: z.nullish(
    obj({
      first_deployed: time,
      last_deployed: time,
      deleted: time,
      description: str,
      status: str,
      notes: str,
    }),
  ),
  chart: z.nullish(chart),
  config: z.nullish(anyObject),
  hooks: z.nullish(z.array(hook)),
});

const WANT: Record<string, string> = {
  string: "string",
  number: "integer",
  int: "integer",
  object: "object",
  record: "map of strings",
  array: "array",
  boolean: "boolean",
};

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function fieldPath(path: PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(root)";
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function validateRelease(v: unknown): Release {
  const r = releaseSchema.safeParse(v, { reportInput: true });
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = fieldPath(i.path);
    throw new DecodeError(
      "schema",
      i.code === "invalid_type"
        ? `release field ${field}: want ${WANT[i.expected] ?? i.expected}, got ${typeName(i.input)}`
        : `release field ${field}: ${i.message}`,
    );
  }
  // Normalise what Go would zero-fill, without dropping anything that was there.
  const rel = v as Release;
  rel.name ??= "";
  rel.namespace ??= "";
  rel.manifest ??= "";
  rel.version ??= 0;
  if (!isObj(rel.info)) rel.info = { status: "" };
  rel.info.status ??= "";
  return rel;
}

// ---- records (the Kubernetes object around a payload) ----

export interface RecordObject {
  apiVersion?: string;
  kind?: string;
  type?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    creationTimestamp?: string;
  };
  data?: Record<string, string>;
}

export function isReleaseRecordName(name: string | undefined): boolean {
  return !!name && name.startsWith(RECORD_PREFIX);
}

/** Is this Secret/ConfigMap a Helm release record (by Helm's own selector owner=helm, or its name)? */
export function isReleaseRecordObject(o: RecordObject): boolean {
  if (o.kind !== "Secret" && o.kind !== "ConfigMap") return false;
  if (o.kind === "Secret" && o.type !== undefined && o.type !== SECRET_TYPE) return false;
  return o.metadata?.labels?.owner === "helm" || isReleaseRecordName(o.metadata?.name);
}

/** Parse `sh.helm.release.v1.<name>.v<N>` (release names may contain dots). */
export function parseRecordName(objectName: string): { release: string; revision: number } | undefined {
  if (!objectName.startsWith(RECORD_PREFIX)) return undefined;
  const m = /^(.+)\.v(\d+)$/.exec(objectName.slice(RECORD_PREFIX.length));
  if (!m) return undefined;
  return { release: m[1]!, revision: Number(m[2]) };
}

/** Decode a Secret or ConfigMap release record; never throws — a bad payload becomes `error`. */
export function decodeRecord(o: RecordObject): ReleaseRecord {
  const driver: StorageDriver = o.kind === "ConfigMap" ? "configmap" : "secret";
  const payload = o.data?.release;
  const rec: ReleaseRecord = {
    driver,
    objectName: o.metadata?.name ?? "",
    objectNamespace: o.metadata?.namespace ?? "",
    labels: { ...(o.metadata?.labels ?? {}) },
    encodedSize: payload?.length ?? 0,
  };
  if (o.metadata?.resourceVersion) rec.resourceVersion = o.metadata.resourceVersion;
  if (o.metadata?.creationTimestamp) rec.creationTimestamp = o.metadata.creationTimestamp;
  if (typeof payload !== "string" || payload === "") {
    rec.error = "record has no data.release";
    return rec;
  }
  try {
    rec.release = driver === "secret" ? decodeSecretData(payload) : decodeReleaseString(payload);
    // The Secret's own size limit counts the decoded bytes of data (one base64 layer less).
    if (driver === "secret") rec.encodedSize = Math.floor((payload.length * 3) / 4);
  } catch (e) {
    rec.error = e instanceof DecodeError ? e.message : `cannot decode record: ${(e as Error).message}`;
  }
  return rec;
}

export interface EncodeOptions {
  driver: StorageDriver;
  /** Extra (custom) labels; system labels are always set from the release. */
  labels?: Record<string, string>;
  /** Unix seconds for createdAt (on create) or modifiedAt (on update), as Helm's driver sets them. */
  createdAt?: number;
  modifiedAt?: number;
}

/** Helm's system labels for a record (pkg/storage/driver/util.go). */
export function systemLabels(rel: Release): Record<string, string> {
  return { name: rel.name, owner: "helm", status: rel.info.status, version: String(rel.version) };
}

/**
 * A record's labels as Helm's driver writes them: the custom labels, the system labels over them, and createdAt
 * (on create) or modifiedAt (on update) in Unix seconds.
 */
export function recordLabels(
  rel: Release,
  custom: Record<string, string> | undefined,
  time: { createdAt?: number; modifiedAt?: number } = {},
): Record<string, string> {
  const labels: Record<string, string> = { ...(custom ?? {}), ...systemLabels(rel) };
  if (time.createdAt !== undefined) labels.createdAt = String(time.createdAt);
  if (time.modifiedAt !== undefined) labels.modifiedAt = String(time.modifiedAt);
  return labels;
}

export function recordName(release: string, revision: number): string {
  return `${RECORD_PREFIX}${release}.v${revision}`;
}

/** Build the Secret/ConfigMap object Helm's driver would write for `rel`. */
export function encodeRecord(rel: Release, opts: EncodeOptions): Record<string, unknown> {
  const labels = recordLabels(rel, opts.labels, opts);
  const metadata = { name: recordName(rel.name, rel.version), namespace: rel.namespace, labels };
  return recordObject(opts.driver, metadata, encodeReleaseString(rel));
}

/** The Secret or ConfigMap around an encoded release string, as each driver stores it. */
export function recordObject(
  driver: StorageDriver,
  metadata: Record<string, unknown>,
  encoded: string,
): Record<string, unknown> {
  if (driver === "configmap")
    return { apiVersion: "v1", kind: "ConfigMap", metadata, data: { release: encoded } };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata,
    type: SECRET_TYPE,
    // The API's own base64 layer around Helm's.
    data: { release: Buffer.from(encoded, "latin1").toString("base64") },
  };
}
