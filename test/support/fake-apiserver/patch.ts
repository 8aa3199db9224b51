// The three non-apply patch types the API server accepts.
//
// - JSON merge patch (RFC 7386).
// - Strategic merge patch, approximated: a merge patch in which lists of a few well-known fields are merged
//   by their patchMergeKey (containers/volumes/env by name, volumeMounts by mountPath, ...) and
//   `$patch: delete|replace` directives are honoured. The real one reads the merge keys from the Go types;
//   any list not in the table below is replaced, as a merge patch would.
// - JSON patch (RFC 6902).
import { clone, deepEqual, isObject } from "./util.js";

export class PatchError extends Error {}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// patchMergeKey by field name (k8s.io/api struct tags). `ports` is decided per list (containerPort vs port).
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  env: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  hostAliases: "ip",
  conditions: "type",
  ownerReferences: "uid",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
};
// Primitive lists with patchStrategy=merge: merged as sets.
const MERGED_PRIMITIVE_LISTS = new Set(["finalizers"]);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (field === "ports") {
    return items.some((i) => isObject(i) && "containerPort" in i) ? "containerPort" : "port";
  }
  return MERGE_KEYS[field];
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === "replace") {
    const { $patch: _ignored, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === "delete") return undefined;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$setElementOrder/") || k === "$retainKeys" || k === "$patch") continue;
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const field = k.slice("$deleteFromPrimitiveList/".length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v))
        out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const cur = out[k];
      const key = mergeKeyFor(k, v);
      if (key && Array.isArray(cur)) out[k] = mergeListByKey(cur, v, key);
      else if (MERGED_PRIMITIVE_LISTS.has(k) && Array.isArray(cur))
        out[k] = [...cur, ...v.filter((x) => !cur.some((c) => deepEqual(c, x)))];
      else out[k] = v.filter((x) => !(isObject(x) && x.$patch === "delete")).map(stripDirectives);
    } else {
      const merged = strategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}

function mergeListByKey(current: unknown[], patch: unknown[], key: string): unknown[] {
  const out = [...current];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const idx = out.findIndex((c) => isObject(c) && deepEqual(c[key], item[key]));
    if (item.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = strategicMergePatch(out[idx], item);
    } else {
      out.push(stripDirectives(item));
    }
  }
  return out;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith("$")) out[k] = stripDirectives(v);
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`JSON pointer must start with '/': "${pointer}"`);
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function container(doc: unknown, parts: string[], path: string): { parent: unknown; key: string } {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return { parent: cur, key: parts[parts.length - 1] ?? "" };
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const p of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function arrayIndex(key: string, length: number, allowEnd: boolean): number {
  if (allowEnd && key === "-") return length;
  if (!/^\d+$/.test(key)) throw new PatchError(`Unable to access invalid index: ${key}`);
  const idx = Number(key);
  if (idx > length || (!allowEnd && idx === length))
    throw new PatchError(`Unable to access invalid index: ${idx}`);
  return idx;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const parts = parsePointer(path);
  if (parts.length === 0) return clone(value);
  const { parent, key } = container(doc, parts, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true), 0, clone(value));
  else if (isObject(parent)) parent[key] = clone(value);
  else throw new PatchError(`doc is missing path: "${path}": missing value`);
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const parts = parsePointer(path);
  const { parent, key } = container(doc, parts, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, false), 1);
  else if (isObject(parent) && key in parent) delete parent[key];
  else throw new PatchError(`Unable to remove nonexistent key: ${key}: missing value`);
  return doc;
}

/** Applies an RFC 6902 patch to a copy of `target`. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    // encoding/json's words when the body is not an array of operations.
    const what = isObject(ops) ? "object" : typeof ops;
    throw new PatchError(`json: cannot unmarshal ${what} into Go value of type jsonpatch.Patch`);
  }
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw new PatchError("Unexpected kind: <nil>");
    }
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case "add":
        doc = add(doc, op.path, op.value);
        break;
      case "remove":
        doc = remove(doc, op.path);
        break;
      case "replace":
        getAt(doc, op.path);
        doc = add(remove(doc, op.path), op.path, op.value);
        break;
      case "move": {
        const v = getAt(doc, op.from ?? "");
        doc = add(remove(doc, op.from ?? ""), op.path, v);
        break;
      }
      case "copy":
        doc = add(doc, op.path, getAt(doc, op.from ?? ""));
        break;
      case "test":
        if (!deepEqual(getAt(doc, op.path), op.value)) {
          throw new PatchError(`testing value ${op.path} failed: test failed`);
        }
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
