// JSON merge patch (RFC 7386): what Helm sends for custom resources and kinds the client-go scheme does not
// know — a two-way patch from the old manifest's object to the new one (evanphx/json-patch CreateMergePatch,
// called by Helm's pkg/kube/client.go createPatch), and how the API server applies it.
import { deepEqual, type Json, type JsonMap } from "./strategicpatch.js";

const isMap = (v: unknown): v is JsonMap => typeof v === "object" && v !== null && !Array.isArray(v);

/** The patch that takes `original` to `modified`: changed and added fields, removed ones as null; lists whole. */
export function createMergePatch(original: JsonMap, modified: JsonMap): JsonMap {
  return diff(JSON.parse(JSON.stringify(original)), JSON.parse(JSON.stringify(modified)));
}

function diff(original: JsonMap, modified: JsonMap): JsonMap {
  const out: JsonMap = {};
  for (const [k, ov] of Object.entries(original)) {
    if (!(k in modified)) {
      out[k] = null;
      continue;
    }
    const mv = modified[k]!;
    if (isMap(ov) && isMap(mv)) {
      const sub = diff(ov, mv);
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else if (!deepEqual(ov, mv)) out[k] = mv;
  }
  for (const [k, mv] of Object.entries(modified)) if (!(k in original)) out[k] = mv;
  return out;
}

/** RFC 7386 MergePatch(target, patch). */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return structuredClone(patch);
  const out: JsonMap = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k] ?? null, v);
  }
  return out;
}
