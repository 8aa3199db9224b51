// The secret literals of one snapshot, for the Redactor: Secret data (live objects and Secrets rendered in the
// release's manifests and hooks, raw and base64), values under sensitive keys in the release's values (user
// config and chart defaults), and `{name: DB_PASSWORD, value: …}` env pairs. Release values themselves are never
// put into a Slack message; this catches them when an evidence line quotes them. The names the reports must show
// (release, namespace, object, label, container, image and chart names) are the snapshot's public names: a secret
// equal to one of them or to a run of its parts is not learned, as the name shows it anyway (a Secret holding
// `yahoo` would otherwise hide release yahoo, and every later report naming it).

import type { SnapshotSource } from "../cluster/source.js";
import { parseManifest, parseYamlObject } from "../helm/manifest.js";
import { isSensitiveKey, type Redactor, secrets } from "../report/redact.js";
import type { Snapshot } from "../snapshot/types.js";

function decodeBase64(v: string): string | undefined {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(v)) return undefined;
  try {
    const s = Buffer.from(v, "base64").toString("utf8");
    return s.includes("\uFFFD") ? undefined : s;
  } catch {
    return undefined;
  }
}

function secretData(o: Record<string, unknown>, out: Set<string>): void {
  const data = o.data;
  if (data && typeof data === "object") {
    for (const v of Object.values(data as Record<string, unknown>)) {
      if (typeof v !== "string") continue;
      out.add(v);
      const dec = decodeBase64(v);
      if (dec !== undefined) out.add(dec);
    }
  }
  const stringData = o.stringData;
  if (stringData && typeof stringData === "object") {
    for (const v of Object.values(stringData as Record<string, unknown>)) {
      if (typeof v !== "string") continue;
      out.add(v);
      out.add(Buffer.from(v).toString("base64"));
    }
  }
}

/** Values: strings under sensitive keys, env-style pairs, and long opaque-looking strings anywhere. */
function sensitiveLeaves(v: unknown, out: Set<string>, sensitive = false, depth = 0): void {
  if (depth > 40) return;
  if (typeof v === "string") {
    if (sensitive || (v.length >= 16 && /[A-Z]/.test(v) && /[a-z]/.test(v) && /\d/.test(v) && !/\s/.test(v)))
      out.add(v);
    return;
  }
  if (typeof v === "number" && sensitive) {
    out.add(String(v));
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) sensitiveLeaves(x, out, sensitive, depth + 1);
    return;
  }
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.name === "string" && typeof o.value === "string" && isSensitiveKey(o.name)) out.add(o.value);
    for (const [k, x] of Object.entries(o))
      sensitiveLeaves(x, out, sensitive || isSensitiveKey(k), depth + 1);
  }
}

/** Env-style pairs {name: DB_PASSWORD, value: "…"} anywhere in `v` (container env of any workload). */
function envPairs(v: unknown, out: Set<string>, depth = 0): void {
  if (depth > 40 || !v || typeof v !== "object") return;
  if (Array.isArray(v)) {
    for (const x of v) envPairs(x, out, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.name === "string" && typeof o.value === "string" && isSensitiveKey(o.name)) out.add(o.value);
  for (const x of Object.values(o)) envPairs(x, out, depth + 1);
}

function fromObject(o: Record<string, unknown> | undefined, out: Set<string>): void {
  if (!o) return;
  if (o.kind === "Secret") secretData(o, out);
  envPairs(o.spec, out);
}

/** Keys of an object's spec whose string values name something (a container, an image, a referenced object). */
const NAME_KEYS = new Set([
  "name",
  "image",
  "secretName",
  "claimName",
  "serviceAccountName",
  "schedulerName",
  "priorityClassName",
  "storageClassName",
  "volumeName",
  "nodeName",
]);

/** String values under NAME_KEYS anywhere in `v` (an env pair's `name` is a name; its `value` is not read). */
function specNames(v: unknown, out: Set<string>, depth = 0): void {
  if (depth > 40 || !v || typeof v !== "object") return;
  if (Array.isArray(v)) {
    for (const x of v) specNames(x, out, depth + 1);
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === "string") {
      if (NAME_KEYS.has(k)) out.add(x);
    } else specNames(x, out, depth + 1);
  }
}

function objectNames(o: Record<string, unknown> | undefined, out: Set<string>): void {
  if (!o) return;
  const meta = o.metadata as Snapshot["objects"][number]["metadata"];
  if (meta?.name) out.add(meta.name);
  if (meta?.namespace) out.add(meta.namespace);
  for (const v of Object.values(meta?.labels ?? {})) if (typeof v === "string") out.add(v);
  for (const r of meta?.ownerReferences ?? []) if (r.name) out.add(r.name);
  if (o.kind !== "Secret") specNames(o.spec, out);
}

function recordNames(r: Snapshot["records"][number], out: Set<string>): void {
  out.add(r.objectName);
  out.add(r.objectNamespace);
  for (const v of Object.values(r.labels)) out.add(v);
  const rel = r.release;
  if (!rel) return;
  out.add(rel.name);
  out.add(rel.namespace);
  const meta = rel.chart?.metadata;
  for (const v of [meta?.name, meta?.version, meta?.appVersion]) if (typeof v === "string") out.add(v);
  for (const d of parseManifest(rel.manifest ?? "")) objectNames(d.object, out);
  for (const h of rel.hooks ?? []) {
    if (h.name) out.add(h.name);
    objectNames(parseYamlObject(h.manifest ?? "").object, out);
  }
}

/** The names the snapshot's report may show: release, namespaces, objects, labels, containers, images, charts. */
export function snapshotNames(snapshot: Snapshot): Set<string> {
  const out = new Set<string>([snapshot.release, snapshot.namespace]);
  for (const r of [...snapshot.records, ...(snapshot.neighbours ?? [])]) recordNames(r, out);
  for (const o of snapshot.objects) objectNames(o as Record<string, unknown>, out);
  for (const e of snapshot.events) {
    out.add(e.involved.name);
    if (e.involved.namespace) out.add(e.involved.namespace);
  }
  for (const u of snapshot.unread ?? []) out.add(u.objectName);
  for (const l of snapshot.logs ?? []) out.add(l.pod).add(l.container);
  return out;
}

/** Teaches `redactor` the snapshot's public names, then its secrets (those the names do not already show). */
export function learnSnapshot(redactor: Redactor, snapshot: Snapshot): void {
  redactor.learnPublic(snapshotNames(snapshot));
  redactor.learn(snapshotSecrets(snapshot));
}

/** Every secret literal the snapshot holds. */
export function snapshotSecrets(snapshot: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const o of snapshot.objects) fromObject(o as Record<string, unknown>, out);
  for (const r of snapshot.records) {
    const rel = r.release;
    if (!rel) continue;
    sensitiveLeaves(rel.config, out);
    sensitiveLeaves(rel.chart?.values, out);
    for (const d of parseManifest(rel.manifest ?? "")) fromObject(d.object, out);
    for (const h of rel.hooks ?? []) fromObject(parseYamlObject(h.manifest ?? "").object, out);
  }
  return out;
}

/** A source whose every snapshot teaches its secrets to the process's redactor as soon as it is read. */
export function learningSecrets(inner: SnapshotSource): SnapshotSource {
  return {
    describe: () => inner.describe(),
    releases: (ns) => inner.releases(ns),
    load: async (release, ns, now, opts) => {
      const snapshot = await inner.load(release, ns, now, opts);
      learnSnapshot(secrets, snapshot);
      return snapshot;
    },
  };
}
