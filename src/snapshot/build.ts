// Build the Snapshot of one release from a pile of objects (a bundle file or what a live read returned).
// Pure: both sources go through here, so a captured bundle and the live cluster give the same snapshot.
import { decodeRecord, isReleaseRecordObject, parseRecordName, type RecordObject } from "../helm/codec.js";
import { isClusterScoped, kindKey } from "../helm/keys.js";
import { parseManifest, parseYamlObject } from "../helm/manifest.js";
import type { ReleaseRecord } from "../helm/types.js";
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
}

export function buildSnapshot(input: BuildInput): Snapshot {
  const { release, namespace } = input;
  const records: ReleaseRecord[] = [];
  const others: KubeObject[] = [];
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
      continue;
    }
    if (ns === undefined || ns === namespace || isClusterScoped(o.kind ?? "")) others.push(o);
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
  }

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
  const queue: KubeObject[] = others.filter((o) =>
    named.has(kindKey(o.kind ?? "", o.metadata?.namespace ?? namespace, o.metadata?.name ?? "")),
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

  return {
    release,
    namespace,
    now: input.now,
    records,
    objects,
    events,
    gaps: [...(input.gaps ?? [])],
    source: input.source,
  };
}
