// The object store: one table per storage key ("<group>/<resource>"), a global resourceVersion counter like
// etcd's revision, and the change history that watches replay from a resourceVersion.
import type { KubeObject, WatchEventType } from "./types.js";
import { canonicalOrder, clone } from "./util.js";

export interface Change {
  /** The revision this change was written at (the object's new metadata.resourceVersion). */
  rv: number;
  type: WatchEventType;
  storage: string;
  /** The object after the change; for DELETED its last state, stamped with the deletion's revision. */
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  previous?: KubeObject;
}

export type ChangeListener = (change: Change) => void;

/** Table key of an object: "ns/name" or "name" for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

const HISTORY_LIMIT = 100_000;

export class ObjectStore {
  private revision: number;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private history: Change[] = [];
  /** Revisions at or below this are compacted: watches and continue tokens from them get 410 Expired. */
  private compacted: number;
  private readonly listeners = new Set<ChangeListener>();

  constructor(startRevision: number) {
    this.revision = startRevision;
    this.compacted = 0;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  get compactedRevision(): number {
    return this.compacted;
  }

  /** Forgets the history up to now, as etcd compaction does. */
  compact(): void {
    this.compacted = this.revision;
    this.history = [];
  }

  private table(storage: string): Map<string, KubeObject> {
    let t = this.tables.get(storage);
    if (!t) {
      t = new Map();
      this.tables.set(storage, t);
    }
    return t;
  }

  /** A copy of the stored object. */
  get(storage: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.tables.get(storage)?.get(objectKey(namespace, name));
    return o ? clone(o) : undefined;
  }

  has(storage: string, namespace: string | undefined, name: string): boolean {
    return this.tables.get(storage)?.has(objectKey(namespace, name)) ?? false;
  }

  /** Copies of the objects of a table (in one namespace when given), in key order as etcd returns them. */
  list(storage: string, namespace?: string): KubeObject[] {
    const t = this.tables.get(storage);
    if (!t) return [];
    const out: KubeObject[] = [];
    for (const o of t.values()) {
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(clone(o));
    }
    return out.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  }

  /** Every stored object with its storage key (copies). */
  *all(): Generator<[string, KubeObject]> {
    for (const [storage, t] of this.tables) for (const o of t.values()) yield [storage, clone(o)];
  }

  /** Writes (creates or replaces) an object at a new revision; returns the change. */
  write(storage: string, object: KubeObject): Change {
    const t = this.table(storage);
    const key = keyOf(object);
    const previous = t.get(key);
    this.revision++;
    const copy = clone(object);
    copy.metadata.resourceVersion = String(this.revision);
    const stored = canonicalOrder(copy);
    t.set(key, stored);
    const change: Change = {
      rv: this.revision,
      type: previous ? "MODIFIED" : "ADDED",
      storage,
      object: clone(stored),
    };
    if (previous) change.previous = previous;
    this.emit(change);
    return change;
  }

  /** Removes an object at a new revision; returns the change (undefined when absent). */
  remove(storage: string, namespace: string | undefined, name: string): Change | undefined {
    const t = this.tables.get(storage);
    const key = objectKey(namespace, name);
    const previous = t?.get(key);
    if (!t || !previous) return undefined;
    t.delete(key);
    this.revision++;
    const copy = clone(previous);
    copy.metadata.resourceVersion = String(this.revision);
    const last = canonicalOrder(copy);
    const change: Change = { rv: this.revision, type: "DELETED", storage, object: last, previous };
    this.emit(change);
    return change;
  }

  /** The changes after `rv`, or "expired" when they were compacted away. */
  changesSince(rv: number): Change[] | "expired" {
    if (rv < this.compacted) return "expired";
    const first = this.history[0];
    if (first && rv < first.rv - 1) return "expired";
    return this.history.filter((c) => c.rv > rv);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: Change): void {
    this.history.push(change);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.splice(0, this.history.length - HISTORY_LIMIT);
      this.compacted = dropped[dropped.length - 1]?.rv ?? this.compacted;
    }
    for (const l of [...this.listeners]) l(change);
  }
}

function keyOf(o: KubeObject): string {
  return objectKey(o.metadata.namespace, o.metadata.name);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
