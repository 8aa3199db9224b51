// Manifest splitting and parsing as Helm does it (pkg/releaseutil/manifest.go, manifest_sorter.go).
import { parseDocument } from "yaml";
import { HOOK_EVENTS, type Release } from "./types.js";

// Helm ≤4.2.3 splits on (?:^|\s*\n)---\s* with RE2's ASCII \s; `^` is start of text (no multiline).
const SEP = /(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*/;

/** Go's strings.TrimSpace for ASCII whitespace (a regex with a `$` branch rescans long manifests). */
function trimSpace(s: string): string {
  const ws = (c: number) => c === 32 || (c >= 9 && c <= 13 && c !== 11);
  let a = 0;
  let b = s.length;
  while (a < b && ws(s.charCodeAt(a))) a++;
  while (b > a && ws(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** SplitManifests: ordered documents, empties dropped, each trimmed. */
export function splitManifest(manifest: string): string[] {
  const whole = trimSpace(manifest);
  if (whole === "") return [];
  return whole
    .split(SEP)
    .map(trimSpace)
    .filter((d) => d !== "");
}

export interface ManifestDoc {
  index: number;
  /** Template path from the `# Source:` line, e.g. basic-app/templates/configmap.yaml */
  source?: string;
  text: string;
  /** Parsed object, when the document is a YAML mapping. */
  object?: KubeObjectLike;
  /** Why this document could not be read (it does not spoil the others). */
  error?: string;
}

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, unknown>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

const SOURCE = /^#\s*Source:\s*(.+?)\s*$/;

// Revisions repeat most of their documents word for word: parse each distinct text once. Parsed objects are
// shared, so callers must treat them as read-only (analyzers do; writers clone).
const parseCache = new Map<string, { object?: KubeObjectLike; error?: string }>();
const PARSE_CACHE_MAX = 20_000;

// Whole manifests too: consecutive revisions (a re-run, a rollback, a prediction of either) often store the same
// text, and splitting a large manifest costs as much as reading it.
const manifestCache = new Map<string, ManifestDoc[]>();
const MANIFEST_CACHE_MAX = 2_000;

export function clearParseCache(): void {
  parseCache.clear();
  manifestCache.clear();
}

/** `compute(text)`, remembered in `cache` (emptied when it holds `max` entries). */
function cached<T>(cache: Map<string, T>, max: number, text: string, compute: (t: string) => T): T {
  const hit = cache.get(text);
  if (hit) return hit;
  const r = compute(text);
  if (cache.size >= max) cache.clear();
  cache.set(text, r);
  return r;
}

export function parseYamlObject(text: string): { object?: KubeObjectLike; error?: string } {
  return cached(parseCache, PARSE_CACHE_MAX, text, parseYamlUncached);
}

function parseYamlUncached(text: string): { object?: KubeObjectLike; error?: string } {
  try {
    // Real charts repeat keys; Kubernetes' YAML reader keeps the last one, so do we.
    const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
    if (doc.errors.length > 0) return { error: doc.errors[0]!.message.split("\n")[0]! };
    const v = doc.toJS({ maxAliasCount: 1000 }) as unknown;
    if (v === null || v === undefined) return {};
    if (typeof v !== "object" || Array.isArray(v)) return { error: "document is not a YAML mapping" };
    return { object: v as KubeObjectLike };
  } catch (e) {
    return { error: (e as Error).message.split("\n")[0]! };
  }
}

/**
 * Split and parse a stored manifest; one bad document yields an `error` entry and the rest still parse. The
 * result is shared between callers with the same text: read-only.
 */
export function parseManifest(manifest: string): ManifestDoc[] {
  return cached(manifestCache, MANIFEST_CACHE_MAX, manifest, parseManifestUncached);
}

function parseManifestUncached(manifest: string): ManifestDoc[] {
  return splitManifest(manifest).map((text, index) => {
    const firstLine = text.split("\n", 1)[0] ?? "";
    const m = SOURCE.exec(firstLine);
    const doc: ManifestDoc = { index, text };
    if (m) doc.source = m[1]!;
    const { object, error } = parseYamlObject(text);
    if (object) doc.object = object;
    if (error) doc.error = error;
    return doc;
  });
}

// ---- hook classification (SortManifests) ----

export type Classification =
  | { type: "manifest" }
  | {
      type: "hook";
      events: string[];
      weight: number;
      deletePolicies: string[];
      outputLogPolicies: string[];
    }
  | { type: "dropped"; unknownEvents: string[]; raw: string };

/** strconv.Atoi: optional sign, ASCII digits, nothing else, within int range; else 0. */
export function parseHookWeight(v: unknown): number {
  if (typeof v !== "string" || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : 0;
}

function splitList(v: unknown): string[] {
  if (typeof v !== "string") return [];
  return v.split(",").map((s) => s.trim().toLowerCase());
}

/** How Helm's SortManifests files a document by its annotations. */
export function classify(annotations: Record<string, unknown> | undefined): Classification {
  const raw = annotations?.["helm.sh/hook"];
  if (raw === undefined) return { type: "manifest" };
  const parts = splitList(raw);
  const events: string[] = [];
  const unknown: string[] = [];
  for (const p of parts) {
    const e = p === "test-success" ? "test" : p;
    if ((HOOK_EVENTS as readonly string[]).includes(e)) events.push(e);
    else unknown.push(p);
  }
  // One unknown part drops the whole document: neither hook nor manifest.
  if (unknown.length > 0) return { type: "dropped", unknownEvents: unknown, raw: String(raw) };
  return {
    type: "hook",
    events,
    weight: parseHookWeight(annotations?.["helm.sh/hook-weight"]),
    deletePolicies: splitList(annotations?.["helm.sh/hook-delete-policy"]),
    outputLogPolicies: splitList(annotations?.["helm.sh/hook-output-log-policy"]),
  };
}

/**
 * The CustomResourceDefinitions a release's stored chart ships in its crds/ directory (chart.files, base64), with
 * the file each comes from. Helm installs these on first install only (pkg/action/install.go installCRDs).
 */
export function chartCrdDocuments(rel: Release): { file: string; name: string; object: KubeObjectLike }[] {
  const out: { file: string; name: string; object: KubeObjectLike }[] = [];
  for (const f of rel.chart?.files ?? []) {
    if (!/(^|\/)crds\/[^/]+\.ya?ml$/.test(f.name) || typeof f.data !== "string") continue;
    const text = Buffer.from(f.data, "base64").toString("utf8");
    for (const doc of text.split(/^---.*$/m)) {
      const { object } = parseYamlObject(doc);
      const name = object?.metadata?.name;
      if (object?.kind === "CustomResourceDefinition" && name) out.push({ file: f.name, name, object });
    }
  }
  return out;
}
