// Kubernetes' strategic merge patch, as apimachinery's pkg/util/strategicpatch computes and applies it:
// lists are merged by their patch merge key (containers by name, ports by containerPort, …) with
// `$patch: delete` entries, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` directives, and
// `$retainKeys` for fields whose patch strategy says so. Which field has which strategy comes from a schema
// (`PatchSchema`): for built-in kinds the table in patchmeta.ts. No maintained npm package does this with
// Kubernetes' merge keys (json-merge-patch and friends implement RFC 7386 only), hence this module.

export type Json = null | boolean | number | string | Json[] | JsonMap;
export interface JsonMap {
  [k: string]: Json;
}

/** A field's patch metadata: Go's `patchStrategy` ("merge", "replace", "retainKeys", "merge,retainKeys") and `patchMergeKey` tags. */
export interface FieldMeta {
  strategy?: string;
  mergeKey?: string;
  /** The struct type of the field (or of the list's elements), a key of `PatchSchema.types`. */
  type?: string;
}

/** Struct types by name, each a map of JSON field name → patch metadata; `root` is the object's type. */
export interface PatchSchema {
  root: string;
  types: Record<string, Record<string, FieldMeta>>;
}

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PatchError";
  }
}

const PATCH = "$patch";
const RETAIN_KEYS = "$retainKeys";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList";
const SET_ORDER = "$setElementOrder";

/** Where in the schema a value sits: the schema and the struct type (undefined: no metadata, plain merge). */
interface Meta {
  schema: PatchSchema | undefined;
  type: string | undefined;
}

interface FieldInfo {
  sub: Meta;
  strategy: string;
  retainKeys: boolean;
  mergeKey: string;
}

function field(m: Meta, key: string): FieldInfo {
  const f = m.type ? m.schema?.types[m.type]?.[key] : undefined;
  const parts = (f?.strategy ?? "").split(",").filter((s) => s !== "");
  const retainKeys = parts.includes("retainKeys");
  const others = parts.filter((s) => s !== "retainKeys");
  if (others.length > 1) throw new PatchError(`unexpected patch strategy: ${f?.strategy}`);
  return {
    sub: { schema: m.schema, type: f?.type },
    strategy: others[0] ?? "",
    retainKeys,
    mergeKey: f?.mergeKey ?? "",
  };
}

type Kind = "null" | "map" | "list" | "string" | "number" | "boolean";

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "map";
  return typeof v as "string" | "number" | "boolean";
}

const isMap = (v: unknown): v is JsonMap => kindOf(v) === "map";

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    // Keys holding undefined are absent in JSON (typed client models carry them).
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's fmt "%v" of a JSON scalar, the text lists are sorted and compared by. */
function text(v: Json | undefined): string {
  return v === null || v === undefined ? "<nil>" : typeof v === "object" ? JSON.stringify(v) : String(v);
}

function byText(a: Json, b: Json): number {
  const x = text(a);
  const y = text(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function keyOf(item: Json, mergeKey: string): Json {
  if (!isMap(item)) throw new PatchError(`expected a map in a merged list, got ${kindOf(item)}`);
  if (!(mergeKey in item))
    throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
  return item[mergeKey]!;
}

function elementKind(...lists: Json[][]): Kind {
  let k: Kind | undefined;
  for (const l of lists)
    for (const v of l) {
      const vk = kindOf(v);
      if (vk === "list") throw new PatchError("lists of lists are not supported");
      if (k === undefined) k = vk;
      else if (k !== vk) throw new PatchError("list element types are not identical");
    }
  if (k === undefined) throw new PatchError("no elements in any of the given slices");
  return k;
}

// ---------------------------------------------------------------------------------------- creating patches

interface DiffOptions {
  setElementOrder: boolean;
  ignoreChangesAndAdditions: boolean;
  ignoreDeletions: boolean;
  buildRetainKeys: boolean;
}

function diffMaps(original: JsonMap, modified: JsonMap, m: Meta, o: DiffOptions): JsonMap {
  const patch: JsonMap = {};
  const retain: Json[] = [];
  for (const [k, mv] of Object.entries(modified)) {
    if (o.buildRetainKeys && mv !== null) retain.push(k);
    if (!(k in original)) {
      if (!o.ignoreChangesAndAdditions) patch[k] = mv;
      continue;
    }
    const ov = original[k]!;
    if (k === PATCH) {
      if (typeof ov !== "string" || typeof mv !== "string")
        throw new PatchError(`invalid value for special key: ${PATCH}`);
      if (ov !== mv) patch[k] = mv;
      continue;
    }
    const kind = kindOf(ov);
    if (kind !== kindOf(mv)) {
      if (!o.ignoreChangesAndAdditions) patch[k] = mv;
      continue;
    }
    if (kind === "map") diffMapField(k, ov as JsonMap, mv as JsonMap, patch, m, o);
    else if (kind === "list") diffListField(k, ov as Json[], mv as Json[], patch, m, o);
    else if (!o.ignoreChangesAndAdditions && !deepEqual(ov, mv)) patch[k] = mv;
  }
  if (!o.ignoreDeletions) for (const k of Object.keys(original)) if (!(k in modified)) patch[k] = null;
  const hasExtraField = Object.entries(original).some(([k, v]) => v !== null && !(k in modified));
  if (retain.length > 0 && (Object.keys(patch).length > 0 || hasExtraField))
    patch[RETAIN_KEYS] = [...retain].sort(byText);
  return patch;
}

function diffMapField(key: string, ov: JsonMap, mv: JsonMap, patch: JsonMap, m: Meta, o: DiffOptions): void {
  const f = field(m, key);
  if (f.strategy === "replace") {
    if (!o.ignoreChangesAndAdditions) patch[key] = mv;
    return;
  }
  const sub = diffMaps(ov, mv, f.sub, { ...o, buildRetainKeys: f.retainKeys });
  if (Object.keys(sub).length > 0) patch[key] = sub;
}

function diffListField(key: string, ov: Json[], mv: Json[], patch: JsonMap, m: Meta, o: DiffOptions): void {
  const f = field(m, key);
  if (f.strategy !== "merge") {
    if (!o.ignoreChangesAndAdditions && !deepEqual(ov, mv)) patch[key] = mv;
    return;
  }
  const [add, del, order] = diffLists(ov, mv, f.sub, f.mergeKey, { ...o, buildRetainKeys: f.retainKeys });
  if (add.length > 0) patch[key] = add;
  if (del.length > 0) patch[`${DELETE_PRIMITIVE}/${key}`] = del;
  if (order.length > 0) patch[`${SET_ORDER}/${key}`] = order;
}

function diffLists(
  original: Json[],
  modified: Json[],
  sub: Meta,
  mergeKey: string,
  o: DiffOptions,
): [Json[], Json[], Json[]] {
  if (original.length === 0) {
    if (modified.length === 0 || o.ignoreChangesAndAdditions) return [[], [], []];
    return [modified, [], []];
  }
  const kind = elementKind(original, modified);
  if (kind === "map") {
    const [changed, deleted] = diffListsOfMaps(original, modified, sub, mergeKey, o);
    const list = [...orderLike(changed, modified, mergeKey, true), ...deleted];
    const sameOrder =
      original.length === modified.length &&
      modified.every((x, i) => keyOf(original[i]!, mergeKey) === keyOf(x, mergeKey));
    const wantOrder =
      o.setElementOrder &&
      ((!o.ignoreChangesAndAdditions && (list.length > 0 || !sameOrder)) ||
        (!o.ignoreDeletions && list.length > 0));
    const order = wantOrder ? modified.map((x) => ({ [mergeKey]: keyOf(x, mergeKey) })) : [];
    return [list, [], order];
  }
  const [added, deleted] = diffListsOfScalars(original, modified, o);
  const list = orderLike(added, modified, mergeKey, false);
  const wantOrder =
    o.setElementOrder &&
    ((!o.ignoreDeletions && deleted.length > 0) ||
      (!o.ignoreChangesAndAdditions && !deepEqual(original, modified)));
  return [list, deleted, wantOrder ? modified : []];
}

function diffListsOfMaps(
  original: Json[],
  modified: Json[],
  sub: Meta,
  mergeKey: string,
  o: DiffOptions,
): [Json[], Json[]] {
  const sortByKey = (l: Json[]) => [...l].sort((a, b) => byText(keyOf(a, mergeKey), keyOf(b, mergeKey)));
  const os = sortByKey(original);
  const ms = sortByKey(modified);
  const patch: Json[] = [];
  const deletions: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < os.length || j < ms.length) {
    const ok = i < os.length ? text(keyOf(os[i]!, mergeKey)) : undefined;
    const mk = j < ms.length ? text(keyOf(ms[j]!, mergeKey)) : undefined;
    if (ok !== undefined && mk !== undefined && ok === mk) {
      const p = diffMaps(os[i] as JsonMap, ms[j] as JsonMap, sub, o);
      if (Object.keys(p).length > 0) {
        p[mergeKey] = keyOf(ms[j]!, mergeKey);
        patch.push(p);
      }
      i++;
      j++;
    } else if (ok === undefined || (mk !== undefined && ok > mk)) {
      if (!o.ignoreChangesAndAdditions) patch.push(ms[j]!);
      j++;
    } else {
      if (!o.ignoreDeletions) deletions.push({ [mergeKey]: keyOf(os[i]!, mergeKey), [PATCH]: "delete" });
      i++;
    }
  }
  return [patch, deletions];
}

function diffListsOfScalars(original: Json[], modified: Json[], o: DiffOptions): [Json[], Json[]] {
  const os = [...original].sort(byText);
  const ms = [...modified].sort(byText);
  const add: Json[] = [];
  const del: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < os.length || j < ms.length) {
    const a = i < os.length ? text(os[i]!) : undefined;
    const b = j < ms.length ? text(ms[j]!) : undefined;
    if (a !== undefined && b !== undefined && a === b) {
      i++;
      j++;
    } else if (a === undefined || (b !== undefined && a > b)) {
      if (!o.ignoreChangesAndAdditions) add.push(ms[j]!);
      j++;
    } else {
      if (!o.ignoreDeletions) del.push(os[i]!);
      i++;
    }
  }
  return [add, dedupe(del)];
}

function dedupe(l: Json[]): Json[] {
  return l.filter((x, i) => l.indexOf(x) === i);
}

/** Position of `v` in `list` (by merge key for maps), -1 when absent. */
function indexIn(list: Json[], v: Json, mergeKey: string, maps: boolean): number {
  const val = maps ? (isMap(v) ? v[mergeKey] : undefined) : v;
  return list.findIndex((x) => (maps ? (isMap(x) ? x[mergeKey] : undefined) : x) === val);
}

/**
 * Sorts `items` by their position in `order` (stable insertion sort, as Go's sort.SliceStable on short lists,
 * with the same "unknown items go first" comparison); `$patch: delete` entries of a map list go last.
 */
function orderLike(items: Json[], order: Json[], mergeKey: string, maps: boolean): Json[] {
  let keep = items;
  let deletes: Json[] = [];
  if (maps) {
    for (const x of [...items, ...order]) keyOf(x, mergeKey);
    keep = items.filter((x) => !(isMap(x) && x[PATCH] === "delete"));
    deletes = items.filter((x) => isMap(x) && x[PATCH] === "delete");
  }
  const out = [...keep];
  const less = (a: Json, b: Json) => {
    const ia = indexIn(order, a, mergeKey, maps);
    const ib = indexIn(order, b, mergeKey, maps);
    return ia >= 0 && ib >= 0 ? ia < ib : true;
  };
  for (let i = 1; i < out.length; i++)
    for (let j = i; j > 0 && less(out[j]!, out[j - 1]!); j--) [out[j], out[j - 1]] = [out[j - 1]!, out[j]!];
  return [...out, ...deletes];
}

// A JSON round trip: a copy the algorithm may mutate, without the undefined-valued keys typed client models
// carry (JSON has no such keys; Go never sees them).
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** apimachinery's CreateTwoWayMergePatch: the patch that takes `original` to `modified`. */
export function createTwoWayMergePatch(original: JsonMap, modified: JsonMap, schema?: PatchSchema): JsonMap {
  const m: Meta = { schema, type: schema?.root };
  return diffMaps(clone(original), clone(modified), m, {
    setElementOrder: true,
    ignoreChangesAndAdditions: false,
    ignoreDeletions: false,
    buildRetainKeys: false,
  });
}

/**
 * apimachinery's CreateThreeWayMergePatch with overwrite (as Helm and kubectl apply call it): the changes
 * from `current` (live) to `modified` without deletions, plus the deletions from `original` to `modified`.
 * Fields only the live object has (server defaults, other writers' list entries) are left alone.
 */
export function createThreeWayMergePatch(
  original: JsonMap,
  modified: JsonMap,
  current: JsonMap,
  schema?: PatchSchema,
): JsonMap {
  const m: Meta = { schema, type: schema?.root };
  const delta = diffMaps(clone(current), clone(modified), m, {
    setElementOrder: true,
    ignoreChangesAndAdditions: false,
    ignoreDeletions: true,
    buildRetainKeys: false,
  });
  const deletions = diffMaps(clone(original), clone(modified), m, {
    setElementOrder: true,
    ignoreChangesAndAdditions: true,
    ignoreDeletions: false,
    buildRetainKeys: false,
  });
  return mergeMap(deletions, delta, m, { mergeParallelList: false, ignoreUnmatchedNulls: false });
}

// ---------------------------------------------------------------------------------------- applying patches

interface MergeOptions {
  /** Apply `$deleteFromPrimitiveList` / `$setElementOrder` (server side), or keep them (merging two patches). */
  mergeParallelList: boolean;
  ignoreUnmatchedNulls: boolean;
}

/** What the API server does with a strategic merge patch (StrategicMergeMapPatch). */
export function applyStrategicMergePatch(original: JsonMap, patch: JsonMap, schema?: PatchSchema): JsonMap {
  return mergeMap(
    clone(original),
    clone(patch),
    { schema, type: schema?.root },
    {
      mergeParallelList: true,
      ignoreUnmatchedNulls: true,
    },
  );
}

function mergeMap(original: JsonMap | null, patch: JsonMap, m: Meta, o: MergeOptions): JsonMap {
  if (PATCH in patch) {
    const d = patch[PATCH];
    if (d === "replace") {
      delete patch[PATCH];
      return patch;
    }
    if (d === "delete") return {};
    throw new PatchError(`unknown patch type: ${text(d ?? null)} in map: ${JSON.stringify(patch)}`);
  }
  const out: JsonMap = original ?? {};
  applyRetainKeys(out, patch, o);
  mergeOrderedLists(out, patch, m, o);
  for (let [k, pv] of Object.entries(patch)) {
    let isDeleteList = false;
    if (k.startsWith(`${DELETE_PRIMITIVE}/`)) {
      if (!o.mergeParallelList) {
        out[k] = pv;
        continue;
      }
      k = k.slice(DELETE_PRIMITIVE.length + 1);
      isDeleteList = true;
    }
    if (pv === null) {
      delete out[k];
      if (o.ignoreUnmatchedNulls) continue;
    }
    if (!(k in out) || kindOf(out[k]) !== kindOf(pv)) {
      if (!isDeleteList) setWithoutDirectives(out, k, pv, o);
      continue;
    }
    const kind = kindOf(pv);
    const f = field(m, k);
    if (kind === "map") {
      out[k] = f.strategy === "replace" ? pv : mergeMap(out[k] as JsonMap, pv as JsonMap, f.sub, o);
    } else if (kind === "list") {
      out[k] =
        f.strategy === "merge" || isDeleteList
          ? mergeList(out[k] as Json[], pv as Json[], f.sub, f.mergeKey, o, isDeleteList)
          : (pv as Json[]);
    } else setWithoutDirectives(out, k, pv, o);
  }
  return out;
}

function setWithoutDirectives(out: JsonMap, k: string, pv: Json, o: MergeOptions): void {
  if (o.ignoreUnmatchedNulls) dropNulls(pv);
  const [v, keep] = withoutDirectives(pv);
  if (keep) out[k] = v;
  else delete out[k];
}

function dropNulls(v: Json): void {
  if (isMap(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else dropNulls(x);
    }
  } else if (Array.isArray(v)) for (const x of v) dropNulls(x);
}

function withoutDirectives(v: Json): [Json, boolean] {
  if (isMap(v)) {
    if (PATCH in v) return [null, false];
    for (const [k, x] of Object.entries(v)) {
      const [nv, keep] = withoutDirectives(x);
      if (keep) v[k] = nv;
      else delete v[k];
    }
    return [v, true];
  }
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const x of v) {
      const [nv, keep] = withoutDirectives(x);
      if (keep) out.push(nv);
    }
    return [out, true];
  }
  return [v, true];
}

function applyRetainKeys(original: JsonMap, patch: JsonMap, o: MergeOptions): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS]!;
  delete patch[RETAIN_KEYS];
  if (!o.mergeParallelList) {
    if (RETAIN_KEYS in original) {
      if (!deepEqual(original[RETAIN_KEYS], retain))
        throw new PatchError("$retainKeys differ between the two patches being merged");
    } else original[RETAIN_KEYS] = retain;
    return;
  }
  if (!Array.isArray(retain)) throw new PatchError("invalid patch: $retainKeys must be a list");
  const keep = new Set(retain.map((x) => text(x)));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(`${DELETE_PRIMITIVE}/`) || k.startsWith(`${SET_ORDER}/`)) continue;
    if (!keep.has(k)) throw new PatchError(`invalid patch: ${k} is not in $retainKeys`);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** `$setElementOrder/<list>` with its list: merged together and put in the directive's order. */
function mergeOrderedLists(original: JsonMap, patch: JsonMap, m: Meta, o: MergeOptions): void {
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(`${SET_ORDER}/`)) continue;
    if (!o.mergeParallelList) {
      if (key in original) {
        if (!deepEqual(original[key], order))
          throw new PatchError("invalid patch: $setElementOrder lists differ between the two patches");
      } else original[key] = order;
    }
    delete patch[key];
    if (!Array.isArray(order)) throw new PatchError(`invalid patch: ${key} must be a list`);
    const listKey = key.slice(SET_ORDER.length + 1);
    const f = field(m, listKey);
    const ov = original[listKey];
    const pv = patch[listKey];
    const hasO = listKey in original;
    const hasP = listKey in patch;
    if (hasO && !Array.isArray(ov)) throw new PatchError(`${listKey} is not a list`);
    if (hasP && !Array.isArray(pv)) throw new PatchError(`${listKey} is not a list`);
    let merged: Json[];
    let serverOrder = hasO ? (ov as Json[]) : [];
    if (hasO && !hasP) merged = ov as Json[];
    else if (!hasO && hasP) merged = withoutDirectives(pv as Json[])[0] as Json[];
    else if (hasO && hasP)
      merged = mergeList(ov as Json[], pv as Json[], f.sub, f.mergeKey, o, false, (view) => {
        serverOrder = view;
      });
    else continue;
    const maps = f.mergeKey !== "";
    const [inPatch, serverOnly] = partition(merged, order, f.mergeKey, maps);
    if ((hasO ? (ov as Json[]).length : 0) + (hasP ? (pv as Json[]).length : 0) > 0)
      elementKind(hasO ? (ov as Json[]) : [], hasP ? (pv as Json[]) : []);
    original[listKey] = interleave(inPatch, serverOnly, order, serverOrder, f.mergeKey, maps);
    delete patch[listKey];
  }
}

function partition(items: Json[], by: Json[], mergeKey: string, maps: boolean): [Json[], Json[]] {
  const inList: Json[] = [];
  const rest: Json[] = [];
  for (const x of items) {
    if (maps) keyOf(x, mergeKey);
    (indexIn(by, x, mergeKey, maps) >= 0 ? inList : rest).push(x);
  }
  return [inList, rest];
}

/** normalizeElementOrder: patch items in the patch's order, server-only items in the live order, interleaved. */
function interleave(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  mergeKey: string,
  maps: boolean,
): Json[] {
  const right = orderLike(patchItems, patchOrder, mergeKey, maps);
  const left = orderLike(serverOnly, serverOrder, mergeKey, maps);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexIn(serverOrder, left[i]!, mergeKey, maps);
      const ri = indexIn(serverOrder, right[j]!, mergeKey, maps);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

function mergeList(
  original: Json[],
  patch: Json[],
  sub: Meta,
  mergeKey: string,
  o: MergeOptions,
  isDeleteList: boolean,
  onView?: (view: Json[]) => void,
): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  let merged: Json[];
  let base = original;
  let items = patch;
  if (kind !== "map") {
    if (o.mergeParallelList && isDeleteList) return original.filter((x) => !patch.some((d) => d === x));
    merged = dedupe([...original, ...patch]);
  } else {
    if (!mergeKey) throw new PatchError("cannot merge lists without merge key");
    let replace = false;
    const plain: Json[] = [];
    for (const v of patch) {
      const d = (v as JsonMap)[PATCH];
      if (d === undefined) plain.push(v);
      else if (d === "delete") {
        const key = keyOf(v, mergeKey);
        base = base.filter((x) => !(isMap(x) && x[mergeKey] === key));
      } else if (d === "replace") replace = true;
      else if (d === "merge") throw new PatchError("merging lists cannot yet be specified in the patch");
      else throw new PatchError(`unknown patch type: ${text(d)}`);
    }
    if (replace) {
      base = plain;
      items = [];
    } else items = plain;
    merged = [...base];
    for (const v of items) {
      const key = keyOf(v, mergeKey);
      const at = merged.findIndex((x) => isMap(x) && x[mergeKey] === key);
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonMap, v as JsonMap, sub, o);
      else merged.push(v);
    }
    // Go deletes and appends in the original list's backing array: a caller still holding the original slice
    // sees the result of that (apimachinery orders $setElementOrder lists against it).
    if (!replace) onView?.([...merged, ...original.slice(merged.length)].slice(0, original.length));
  }
  const maps = kind === "map";
  const [inPatch, serverOnly] = partition(merged, items, mergeKey, maps);
  return interleave(inPatch, serverOnly, items, base, mergeKey, maps);
}
