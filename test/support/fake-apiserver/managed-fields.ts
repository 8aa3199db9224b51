// metadata.managedFields and server-side apply, simplified: a field set is the set of leaf paths of an
// object, lists are atomic (owned and replaced as a whole), and FieldsV1 is rendered as nested "f:" maps.
// The real structured-merge-diff also merges associative lists (containers by name) key by key.
import type { JsonObject, KubeObject, ManagedFieldsEntry } from "./types.js";
import { clone, deepEqual, getPath, isObject } from "./util.js";

type FieldPath = string[];

// Metadata the server owns or that identifies the object; never part of a field set.
const SYSTEM_METADATA = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
  "generateName",
]);

/**
 * The leaf paths of an object as a field set (apiVersion, kind and system metadata left out, and the
 * top-level fields named in `skip`).
 */
export function fieldSet(obj: JsonObject, skip: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown, path: FieldPath) => {
    if (isObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) {
        if (path.length === 0 && (k === "apiVersion" || k === "kind" || skip.includes(k))) continue;
        if (path.length === 1 && path[0] === "metadata" && SYSTEM_METADATA.has(k)) continue;
        walk(v, [...path, k]);
      }
    } else if (path.length > 0 && value !== undefined) {
      out.add(JSON.stringify(path));
    }
  };
  walk(obj, []);
  return out;
}

export function toFieldsV1(set: Set<string>): JsonObject {
  const root: JsonObject = {};
  for (const encoded of [...set].sort()) {
    let cur = root;
    for (const key of JSON.parse(encoded) as FieldPath) {
      const k = `f:${key}`;
      if (!isObject(cur[k])) cur[k] = {};
      cur = cur[k] as JsonObject;
    }
  }
  return root;
}

export function fromFieldsV1(fields: JsonObject): Set<string> {
  const out = new Set<string>();
  const walk = (node: JsonObject, path: FieldPath) => {
    const children = Object.keys(node).filter((k) => k.startsWith("f:"));
    if (children.length === 0 && path.length > 0) out.add(JSON.stringify(path));
    for (const k of children) {
      const child = node[k];
      walk(isObject(child) ? child : {}, [...path, k.slice(2)]);
    }
  };
  walk(fields, []);
  return out;
}

function valueAt(obj: unknown, encoded: string): unknown {
  return getPath(obj, JSON.parse(encoded) as FieldPath);
}

function setAt(obj: JsonObject, encoded: string, value: unknown): void {
  const path = JSON.parse(encoded) as FieldPath;
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (!isObject(cur[key])) cur[key] = {};
    cur = cur[key] as JsonObject;
  }
  cur[path[path.length - 1]!] = clone(value);
}

/** Removes a leaf and the maps it leaves empty (but never metadata itself). */
function deleteAt(obj: JsonObject, encoded: string): void {
  const path = JSON.parse(encoded) as FieldPath;
  const chain: JsonObject[] = [obj];
  for (const key of path.slice(0, -1)) {
    const next = chain[chain.length - 1]![key];
    if (!isObject(next)) return;
    chain.push(next);
  }
  delete chain[chain.length - 1]![path[path.length - 1]!];
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i]!).length > 0 || (i === 1 && path[0] === "metadata")) break;
    delete chain[i - 1]![path[i - 1]!];
  }
}

/** Paths whose value differs between two versions of an object (set in `after`, or removed from `before`). */
export function changedFields(
  before: JsonObject | undefined,
  after: JsonObject,
  skip: readonly string[] = [],
): { set: Set<string>; removed: Set<string> } {
  const afterSet = fieldSet(after, skip);
  const beforeSet = before ? fieldSet(before, skip) : new Set<string>();
  const set = new Set(
    [...afterSet].filter((p) => !before || !deepEqual(valueAt(before, p), valueAt(after, p))),
  );
  const removed = new Set([...beforeSet].filter((p) => !afterSet.has(p)));
  return { set, removed };
}

function entriesOf(obj: KubeObject): ManagedFieldsEntry[] {
  return Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : [];
}

export interface ManagerContext {
  manager: string;
  apiVersion: string;
  time: string;
  subresource?: string;
  /** Top-level fields this write cannot own (status, on the main resource of a kind with /status). */
  skip?: readonly string[];
}

function upsertEntry(
  entries: ManagedFieldsEntry[],
  ctx: ManagerContext,
  operation: "Apply" | "Update",
  fields: Set<string>,
): ManagedFieldsEntry[] {
  const same = (e: ManagedFieldsEntry) =>
    e.manager === ctx.manager &&
    e.operation === operation &&
    (e.subresource ?? "") === (ctx.subresource ?? "");
  const rest = entries.filter((e) => !same(e));
  if (fields.size === 0) return rest;
  const fieldsV1 = toFieldsV1(fields);
  const previous = entries.find(same);
  // An unchanged field set keeps its entry (and time): a repeated identical write stays a no-op.
  if (previous && previous.apiVersion === ctx.apiVersion && deepEqual(previous.fieldsV1, fieldsV1))
    return entries;
  const entry: ManagedFieldsEntry = {
    manager: ctx.manager,
    operation,
    apiVersion: ctx.apiVersion,
    time: ctx.time,
    fieldsType: "FieldsV1",
    fieldsV1,
  };
  if (ctx.subresource) entry.subresource = ctx.subresource;
  return [...rest, entry];
}

/** Drops `paths` from every entry but the writer's own; entries left empty disappear. */
function releaseFields(
  entries: ManagedFieldsEntry[],
  paths: Set<string>,
  keep?: (e: ManagedFieldsEntry) => boolean,
) {
  const out: ManagedFieldsEntry[] = [];
  for (const e of entries) {
    if (keep?.(e)) {
      out.push(e);
      continue;
    }
    const owned = fromFieldsV1(e.fieldsV1);
    const left = new Set([...owned].filter((p) => !paths.has(p)));
    if (left.size === owned.size) out.push(e);
    else if (left.size > 0) out.push({ ...e, fieldsV1: toFieldsV1(left) });
  }
  return out;
}

/** Records an Update (create, PUT, non-apply PATCH) in `after.metadata.managedFields`. */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, ctx: ManagerContext): void {
  const { set, removed } = changedFields(before, after, ctx.skip);
  let entries = before ? entriesOf(before) : [];
  entries = releaseFields(entries, new Set([...set, ...removed]));
  if (set.size > 0 || !before) {
    const mine = entries.find((e) => e.manager === ctx.manager && e.operation === "Update");
    const owned = mine ? fromFieldsV1(mine.fieldsV1) : new Set<string>();
    entries = upsertEntry(entries, ctx, "Update", new Set([...owned, ...set]));
  }
  if (entries.length > 0) after.metadata.managedFields = entries;
  else delete after.metadata.managedFields;
}

export interface ApplyConflict {
  manager: string;
  apiVersion: string;
  field: string;
}

/** Renders a field path the way structured-merge-diff prints it: ".spec.replicas". */
export function renderPath(encoded: string): string {
  return (JSON.parse(encoded) as FieldPath)
    .map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? `.${k}` : `[${k}]`))
    .join("");
}

/**
 * Server-side apply of `config` onto `live` (undefined to create) by `ctx.manager`.
 * Returns the new object, or the conflicts when `force` is false and another manager owns a field whose
 * value the configuration changes.
 */
export function apply(
  live: KubeObject | undefined,
  config: KubeObject,
  ctx: ManagerContext,
  force: boolean,
): { object: KubeObject; conflicts: ApplyConflict[] } {
  const configSet = fieldSet(config);
  // An empty map in the configuration claims nothing inside the live map.
  const emptyMap = (p: string) => {
    const v = valueAt(config, p);
    return isObject(v) && Object.keys(v).length === 0 && isObject(valueAt(live, p));
  };
  const entries = live ? entriesOf(live) : [];
  const isMine = (e: ManagedFieldsEntry) => e.manager === ctx.manager && e.operation === "Apply";
  const conflicts: ApplyConflict[] = [];
  if (live && !force) {
    for (const e of entries) {
      if (isMine(e)) continue;
      for (const p of fromFieldsV1(e.fieldsV1)) {
        if (configSet.has(p) && !emptyMap(p) && !deepEqual(valueAt(live, p), valueAt(config, p))) {
          conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, field: renderPath(p) });
        }
      }
    }
    if (conflicts.length > 0) return { object: live, conflicts };
  }
  const object: KubeObject = live
    ? clone(live)
    : { apiVersion: config.apiVersion, kind: config.kind, metadata: { name: config.metadata.name } };
  // Fields this manager applied before, left out now, and owned by nobody else: removed from the object.
  const previous = entries.find(isMine);
  const others = entries.filter((e) => !isMine(e)).flatMap((e) => [...fromFieldsV1(e.fieldsV1)]);
  if (previous) {
    for (const p of fromFieldsV1(previous.fieldsV1)) {
      if (!configSet.has(p) && !others.includes(p)) deleteAt(object, p);
    }
  }
  for (const p of configSet) if (!emptyMap(p)) setAt(object, p, valueAt(config, p));
  // Values that differ change hands (force); equal values become shared ownership.
  const taken = new Set(
    [...configSet].filter((p) => !live || !deepEqual(valueAt(live, p), valueAt(config, p))),
  );
  let next = releaseFields(entries, taken, isMine);
  next = upsertEntry(next, ctx, "Apply", configSet);
  object.metadata.managedFields = next;
  return { object, conflicts };
}
