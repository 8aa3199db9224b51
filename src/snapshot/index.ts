// Pure indexes over a Snapshot, built once per diagnosis and shared by all analyzers.
import { kindKey } from "../helm/keys.js";
import { type ManifestDoc, parseManifest } from "../helm/manifest.js";
import type { Release, ReleaseRecord } from "../helm/types.js";
import type { KubeEvent, KubeObject, Snapshot } from "./types.js";

export * from "./events.js";
export * from "./types.js";

export interface ManifestEntry extends ManifestDoc {
  kind: string;
  name: string;
  namespace: string;
  key: string;
}

/** Memos that map one object to a result that depends only on it and its events (pods.ts, signals.ts). */
const PER_OBJECT_MEMOS = new Set(["classifyPod", "podSignals"]);

function keyOf(o: KubeObject, namespace: string): string {
  return kindKey(o.kind ?? "", o.metadata?.namespace ?? namespace, o.metadata?.name ?? "");
}

// A release's parsed manifest, for every index over a snapshot that holds the same release object (a diagnosis
// and the predictions made from it share their records).
const sharedManifests = new WeakMap<
  Release,
  { namespace: string; manifest: string; entries: ManifestEntry[] }
>();

export class SnapshotIndex {
  readonly snapshot: Snapshot;
  /** Decoded records, ascending by payload revision. */
  readonly releases: Release[];
  readonly badRecords: ReleaseRecord[];
  private readonly objByKey = new Map<string, KubeObject>();
  private readonly objByUid = new Map<string, KubeObject>();
  private readonly childrenByUid = new Map<string, KubeObject[]>();
  private readonly eventsByKey = new Map<string, KubeEvent[]>();
  private readonly manifestCache = new Map<Release, ManifestEntry[]>();
  private readonly memos = new Map<string, unknown>();

  /**
   * `from`: the index of the snapshot this one was derived from (a prediction) and what differs: the keys (kindKey)
   * of the objects whose content or events changed (per-object results for the others carry over), and — when the
   * derived snapshot's events are the original's without those of `eventsDropped`, plus `eventsAdded` — its events
   * are indexed from the original's instead of read again.
   */
  constructor(
    s: Snapshot,
    private readonly from?: {
      index: SnapshotIndex;
      changed: ReadonlySet<string>;
      eventsDropped?: ReadonlySet<string>;
      eventsAdded?: readonly KubeEvent[];
    },
  ) {
    this.snapshot = s;
    const ok: Release[] = [];
    const bad: ReleaseRecord[] = [];
    for (const r of s.records) r.release ? ok.push(r.release) : bad.push(r);
    ok.sort((a, b) => a.version - b.version);
    this.releases = ok;
    this.badRecords = bad;
    for (const o of s.objects) {
      const m = o.metadata ?? {};
      this.objByKey.set(kindKey(o.kind ?? "", m.namespace ?? s.namespace, m.name ?? ""), o);
      if (m.uid) this.objByUid.set(m.uid, o);
    }
    for (const o of s.objects) {
      for (const ref of o.metadata?.ownerReferences ?? []) {
        const owner = ref.uid
          ? this.objByUid.get(ref.uid)
          : this.get(ref.kind, o.metadata?.namespace ?? s.namespace, ref.name);
        const id = owner?.metadata?.uid ?? `${ref.kind}/${ref.name}`;
        const list = this.childrenByUid.get(id) ?? [];
        list.push(o);
        this.childrenByUid.set(id, list);
      }
    }
    const derived = from?.eventsDropped && from.eventsAdded;
    if (derived)
      for (const [k, list] of from.index.eventsByKey)
        if (!from.eventsDropped!.has(k)) this.eventsByKey.set(k, list);
    for (const e of derived ? from.eventsAdded! : s.events) {
      const k = kindKey(e.involved.kind, e.involved.namespace ?? s.namespace, e.involved.name);
      const list = this.eventsByKey.get(k);
      if (!list) this.eventsByKey.set(k, [e]);
      else if (derived && from.index.eventsByKey.get(k) === list) this.eventsByKey.set(k, [...list, e]);
      else list.push(e);
    }
  }

  /** The events about the object with this key (kindKey). */
  eventsForKey(key: string): readonly KubeEvent[] {
    return this.eventsByKey.get(key) ?? [];
  }

  get namespace(): string {
    return this.snapshot.namespace;
  }

  get now(): Date {
    return this.snapshot.now;
  }

  /** Helm's Last(): the highest revision. */
  latest(): Release | undefined {
    return this.releases[this.releases.length - 1];
  }

  revision(n: number): Release | undefined {
    return this.releases.find((r) => r.version === n);
  }

  /** Helm's Deployed(): the highest revision whose status is deployed. */
  lastDeployed(): Release | undefined {
    for (let i = this.releases.length - 1; i >= 0; i--) {
      if (this.releases[i]!.info.status === "deployed") return this.releases[i];
    }
    return undefined;
  }

  /** The revision before `r` in history (by number), if stored. */
  previous(r: Release): Release | undefined {
    let prev: Release | undefined;
    for (const x of this.releases) {
      if (x.version >= r.version) break;
      prev = x;
    }
    return prev;
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.objByKey.get(kindKey(kind, namespace, name));
  }

  objectsOfKind(kind: string): KubeObject[] {
    return this.snapshot.objects.filter((o) => o.kind === kind);
  }

  children(o: KubeObject): KubeObject[] {
    const uid = o.metadata?.uid;
    return (
      (uid && this.childrenByUid.get(uid)) || this.childrenByUid.get(`${o.kind}/${o.metadata?.name}`) || []
    );
  }

  owner(o: KubeObject): KubeObject | undefined {
    const ref = o.metadata?.ownerReferences?.find((r) => r.controller) ?? o.metadata?.ownerReferences?.[0];
    if (!ref) return undefined;
    return (
      (ref.uid && this.objByUid.get(ref.uid)) ||
      this.get(ref.kind, o.metadata?.namespace ?? this.namespace, ref.name)
    );
  }

  /** Pods of a workload through owner references: Deployment → ReplicaSet → Pod; others → Pod. */
  podsOf(workload: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const c of this.children(workload)) {
      if (c.kind === "Pod") out.push(c);
      else if (c.kind === "ReplicaSet") out.push(...this.children(c).filter((p) => p.kind === "Pod"));
    }
    return out;
  }

  /** Log texts of a pod's containers (empty unless the source read them). */
  logsFor(pod: KubeObject): string[] {
    const logs = this.snapshot.logs;
    if (!logs?.length) return [];
    const ns = pod.metadata?.namespace ?? this.namespace;
    return logs.filter((l) => l.pod === pod.metadata?.name && l.namespace === ns).map((l) => l.text);
  }

  eventsFor(o: { kind?: string; metadata?: { name?: string; namespace?: string } }): KubeEvent[] {
    return (
      this.eventsByKey.get(
        kindKey(o.kind ?? "", o.metadata?.namespace ?? this.namespace, o.metadata?.name ?? ""),
      ) ?? []
    );
  }

  /** A release's manifest, split and parsed (cached, and shared by every index that holds the same release). */
  manifest(r: Release): ManifestEntry[] {
    let m = this.manifestCache.get(r);
    if (!m) {
      const shared = sharedManifests.get(r);
      if (shared?.namespace === this.namespace && shared.manifest === r.manifest) m = shared.entries;
      else {
        m = parseManifest(r.manifest).map((d) => {
          const kind = d.object?.kind ?? "";
          const name = d.object?.metadata?.name ?? "";
          const namespace = d.object?.metadata?.namespace || r.namespace || this.namespace;
          return { ...d, kind, name, namespace, key: kindKey(kind, namespace, name) };
        });
        sharedManifests.set(r, { namespace: this.namespace, manifest: r.manifest, entries: m });
      }
      this.manifestCache.set(r, m);
    }
    return m;
  }

  /** Derived data several analyzers need (pod classifications, workload lists), computed once per index. */
  memo<T>(key: string, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = compute();
    if (this.from && PER_OBJECT_MEMOS.has(key) && v instanceof Map) {
      // What depends only on one object and its events is the same for an object the derived snapshot shares.
      const inherited = this.from.index.memos.get(key);
      if (inherited instanceof Map)
        for (const [o, r] of inherited as Map<KubeObject, unknown>)
          if (!this.from.changed.has(keyOf(o, this.snapshot.namespace))) v.set(o, r);
    }
    this.memos.set(key, v);
    return v;
  }

  /** Age of a timestamp relative to the snapshot clock, in ms (NaN when unknown). */
  ageMs(ts: string | undefined): number {
    if (!ts) return Number.NaN;
    return this.now.getTime() - Date.parse(ts);
  }
}
