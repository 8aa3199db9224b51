// Build the Snapshot of one release from a pile of objects (a bundle file or what a live read returned).
// Pure: both sources go through here, so a captured bundle and the live cluster give the same snapshot.
import { decodeRecord, isReleaseRecordObject, parseRecordName, type RecordObject } from "../helm/codec.js";
import { isClusterScoped, kindKey } from "../helm/keys.js";
import { chartCrdDocuments, parseManifest, parseYamlObject } from "../helm/manifest.js";
import { helmErrorText, otherRelease } from "../helm/output.js";
import type { Release, ReleaseRecord } from "../helm/types.js";
import { normaliseEvent } from "./events.js";
import type { Gap, KubeEvent, KubeObject, Snapshot } from "./types.js";

export interface ReleaseListing {
  name: string;
  namespace: string;
  revisions: number;
  latestRevision: number;
  status: string;
  driver: string;
}

/** Does this record belong to `release`? By its name label, its object name, or (hand-edited records) its payload. */
export function recordBelongsTo(rec: ReleaseRecord, release: string): boolean {
  return (
    rec.labels.name === release ||
    parseRecordName(rec.objectName)?.release === release ||
    rec.release?.name === release
  );
}

/** Every release that has records among `objects`, with its latest status (for `list` and "did you mean"). */
export function listReleases(objects: KubeObject[], namespace?: string): ReleaseListing[] {
  const by = new Map<string, ReleaseListing>();
  for (const o of objects) {
    if (!isReleaseRecordObject(o as RecordObject)) continue;
    const ns = o.metadata?.namespace ?? "";
    if (namespace !== undefined && ns !== namespace) continue;
    const rec = decodeRecord(o as RecordObject);
    const name = rec.release?.name ?? rec.labels.name ?? parseRecordName(rec.objectName)?.release;
    if (!name) continue;
    const rev =
      rec.release?.version ?? Number(rec.labels.version ?? parseRecordName(rec.objectName)?.revision ?? 0);
    const k = `${ns}/${name}`;
    const cur = by.get(k) ?? {
      name,
      namespace: ns,
      revisions: 0,
      latestRevision: -1,
      status: "",
      driver: rec.driver,
    };
    cur.revisions++;
    if (rev > cur.latestRevision) {
      cur.latestRevision = rev;
      cur.status = rec.release?.info.status ?? rec.labels.status ?? "unknown";
    }
    by.set(k, cur);
  }
  return [...by.values()].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
  );
}

export interface BuildInput {
  release: string;
  namespace: string;
  objects: KubeObject[];
  now: Date;
  gaps?: Gap[];
  source: string;
  /** The output of a failed helm command: the objects it names belong to the snapshot, and it is evidence. */
  helmOutput?: string;
}

// Objects a helm error names: `Kind "name" in namespace "ns" exists…`, `<Kind>.<group> "name" is …`,
// `server-side apply failed for object ns/name gv, Kind=Kind`, `resource Kind/ns/name not ready`.
const NAMED_IN_OUTPUT = [
  /(\w+) "([^"]+)" in namespace "([^"]*)" exists/g,
  /server-side apply failed for object (?:([^\s/]+)\/)?(\S+) \S*, Kind=(\w+)/g,
  /resource (\w+)\/([^/\s]+)\/(\S+) (?:not ready|still exists)/g,
  /\b([A-Z]\w+)(?:\.[\w.-]+)? "([^"]+)" (?:is invalid|is forbidden|already exists)/g,
  /(?:no|original object) (\w+) with the name "([^"]+)" (?:not )?found/g,
];

/** kind/namespace/name of the objects a helm command's output names. */
export function objectsNamedIn(
  output: string,
  namespace: string,
): { kind: string; name: string; namespace: string }[] {
  const out: { kind: string; name: string; namespace: string }[] = [];
  // Only what Helm's error names (a CI log names plenty of other things).
  const text = (helmErrorText(output) ?? "").replace(/\\"/g, '"');
  for (const m of text.matchAll(NAMED_IN_OUTPUT[0]!))
    out.push({ kind: m[1]!, name: m[2]!, namespace: m[3] || namespace });
  for (const m of text.matchAll(NAMED_IN_OUTPUT[1]!))
    out.push({ kind: m[3]!, name: m[2]!, namespace: m[1] || namespace });
  for (const m of text.matchAll(NAMED_IN_OUTPUT[2]!))
    out.push({ kind: m[1]!, name: m[3]!, namespace: m[2]! });
  for (const m of text.matchAll(NAMED_IN_OUTPUT[3]!)) out.push({ kind: m[1]!, name: m[2]!, namespace });
  for (const m of text.matchAll(NAMED_IN_OUTPUT[4]!)) out.push({ kind: m[1]!, name: m[2]!, namespace });
  return out;
}

/** Names of the CustomResourceDefinitions a release's stored chart ships in its crds/ directory. */
export function chartCrdNames(rel: Release): string[] {
  return chartCrdDocuments(rel).map((d) => d.name);
}

export function buildSnapshot(input: BuildInput): Snapshot {
  const { release, namespace } = input;
  const records: ReleaseRecord[] = [];
  const neighbours: ReleaseRecord[] = [];
  const others: KubeObject[] = [];
  /** Objects of other namespaces: kept only when a revision or the helm output names them. */
  const elsewhere: KubeObject[] = [];
  const eventObjs: KubeObject[] = [];
  for (const o of input.objects) {
    const ns = o.metadata?.namespace;
    if (o.kind === "Event") {
      if (!ns || ns === namespace) eventObjs.push(o);
      continue;
    }
    if (isReleaseRecordObject(o as RecordObject)) {
      if (ns !== undefined && ns !== namespace) continue;
      const rec = decodeRecord(o as RecordObject);
      if (recordBelongsTo(rec, release)) records.push(rec);
      else neighbours.push(rec);
      continue;
    }
    if (ns === undefined || ns === namespace || isClusterScoped(o.kind ?? "")) others.push(o);
    else elsewhere.push(o);
  }

  // Names the release's revisions mention (manifests and hooks), as kind/ns/name keys.
  const named = new Set<string>();
  for (const r of records) {
    const rel = r.release;
    if (!rel) continue;
    const relNs = rel.namespace || namespace;
    for (const d of parseManifest(rel.manifest)) {
      const m = d.object?.metadata;
      if (d.object?.kind && m?.name) named.add(kindKey(d.object.kind, m.namespace || relNs, m.name));
    }
    for (const h of rel.hooks ?? []) {
      const { object } = parseYamlObject(h.manifest);
      named.add(kindKey(h.kind, object?.metadata?.namespace || relNs, h.name));
    }
    for (const crd of chartCrdNames(rel)) named.add(kindKey("CustomResourceDefinition", namespace, crd));
  }
  // An error about another release (a helmfile or CI log of several) is no evidence about this one.
  const foreign = input.helmOutput ? otherRelease(input.helmOutput, release, namespace) : undefined;
  const helmOutput = foreign ? undefined : input.helmOutput;
  if (helmOutput)
    for (const o of objectsNamedIn(helmOutput, namespace)) named.add(kindKey(o.kind, o.namespace, o.name));

  for (const o of elsewhere)
    if (named.has(kindKey(o.kind ?? "", o.metadata?.namespace ?? namespace, o.metadata?.name ?? "")))
      others.push(o);

  // The named objects, then everything they own (Deployment → ReplicaSet → Pod, Job → Pod), transitively.
  const byOwnerUid = new Map<string, KubeObject[]>();
  for (const o of others) {
    for (const ref of o.metadata?.ownerReferences ?? []) {
      const id = ref.uid ?? `${ref.kind}/${ref.name}`;
      const list = byOwnerUid.get(id) ?? [];
      list.push(o);
      byOwnerUid.set(id, list);
    }
  }
  const selected = new Set<KubeObject>();
  // Also objects that say they belong to this release, whatever revision made them (a record deleted by hand
  // leaves objects no stored revision names).
  const ours = (o: KubeObject) =>
    o.metadata?.annotations?.["meta.helm.sh/release-name"] === release &&
    (o.metadata?.annotations?.["meta.helm.sh/release-namespace"] ?? namespace) === namespace;
  const queue: KubeObject[] = others.filter(
    (o) =>
      named.has(kindKey(o.kind ?? "", o.metadata?.namespace ?? namespace, o.metadata?.name ?? "")) ||
      ours(o) ||
      // CRDs a bundle holds: a crash loop may name a kind whose CRD a subchart shipped (not in the stored chart).
      o.kind === "CustomResourceDefinition",
  );
  while (queue.length > 0) {
    const o = queue.pop()!;
    if (selected.has(o)) continue;
    selected.add(o);
    const kids = [
      ...(o.metadata?.uid ? (byOwnerUid.get(o.metadata.uid) ?? []) : []),
      ...(byOwnerUid.get(`${o.kind}/${o.metadata?.name}`) ?? []),
    ];
    queue.push(...kids);
  }
  // Objects pods of the release depend on (PVCs, ServiceAccounts, ConfigMaps, Secrets) are named by manifests
  // or absent; anything else is not this release's business.
  const objects = [...selected];

  const keys = new Set(
    objects.map((o) => kindKey(o.kind ?? "", o.metadata?.namespace ?? namespace, o.metadata?.name ?? "")),
  );
  const seenEvents = new Set<string>();
  const events: KubeEvent[] = [];
  for (const eo of eventObjs) {
    const e = normaliseEvent(eo);
    if (!e) continue;
    const id = `${eo.metadata?.namespace}/${eo.metadata?.name}`;
    if (eo.metadata?.name && seenEvents.has(id)) continue;
    seenEvents.add(id);
    if (keys.has(kindKey(e.involved.kind, e.involved.namespace ?? namespace, e.involved.name)))
      events.push(e);
  }

  const gaps = [...(input.gaps ?? [])];
  // Output without a Helm error (a successful upgrade's log, another tool's failure) is no evidence: say so.
  if (foreign)
    gaps.push({
      what: "helm output",
      reason: "another release",
      detail: `its Helm error is about release ${foreign}, not ${release} (Helm names the release it checks), so the cluster was diagnosed without it`,
    });
  else if (input.helmOutput !== undefined && !helmErrorText(input.helmOutput))
    gaps.push({
      what: "helm output",
      reason: "no helm error",
      detail:
        'it holds no Helm error line (such as "Error: UPGRADE FAILED: …"), so the cluster was diagnosed without it',
    });

  return {
    release,
    namespace,
    now: input.now,
    records,
    objects,
    events,
    gaps,
    source: input.source,
    ...(neighbours.length ? { neighbours } : {}),
    ...(helmOutput ? { helmOutput } : {}),
  };
}
