// Accept-header negotiation and the PartialObjectMetadata transforms of the API server
// (k8s.io/apiserver/pkg/endpoints/handlers/response.go).
import { apiVersionOf, type ResourceDef } from "./resources.js";
import { notAcceptable } from "./status.js";
import type { JsonObject, KubeObject } from "./types.js";

export type Representation = "object" | "PartialObjectMetadata" | "PartialObjectMetadataList";

export interface Target {
  representation: Representation;
  format: "json" | "yaml";
  /** meta.k8s.io version of the partial representation. */
  metaVersion: "v1" | "v1beta1";
}

interface Clause {
  type: string;
  params: Record<string, string>;
  q: number;
}

function parseAccept(header: string): Clause[] {
  const clauses: Clause[] = [];
  for (const part of header.split(",")) {
    const [type, ...rest] = part.split(";").map((s) => s.trim());
    if (!type) continue;
    const params: Record<string, string> = {};
    for (const p of rest) {
      const i = p.indexOf("=");
      if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim();
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    clauses.push({ type: type.toLowerCase(), params, q: Number.isNaN(q) ? 0 : q });
  }
  // Stable sort by quality, as goautoneg orders the clauses.
  return clauses
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.q - a.c.q || a.i - b.i)
    .map(({ c }) => c);
}

const SUPPORTED =
  "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf";

/**
 * Picks the response representation. A clause with `as=` is taken when the server can produce that
 * conversion (PartialObjectMetadata[List] of meta.k8s.io v1/v1beta1); `as=Table` is not implemented and
 * falls through to the next clause. Protobuf/CBOR are skipped (JSON and YAML only).
 */
export function negotiate(accept: string | undefined): Target {
  if (!accept || accept.trim() === "") return { representation: "object", format: "json", metaVersion: "v1" };
  for (const c of parseAccept(accept)) {
    if (c.q <= 0) continue;
    const format =
      c.type === "application/json" || c.type === "application/*" || c.type === "*/*"
        ? "json"
        : c.type === "application/yaml"
          ? "yaml"
          : undefined;
    if (!format) continue;
    const as = c.params.as;
    if (as === undefined) return { representation: "object", format, metaVersion: "v1" };
    const g = c.params.g;
    const v = c.params.v;
    if (g !== "meta.k8s.io" || (v !== "v1" && v !== "v1beta1")) continue;
    if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") {
      return { representation: as, format, metaVersion: v };
    }
  }
  throw notAcceptable(SUPPORTED);
}

/** The response Content-Type (generateMediaTypeWithGVK: ";g=…;v=…;as=…" when converted). */
export function contentType(t: Target): string {
  const base = t.format === "yaml" ? "application/yaml" : "application/json";
  return t.representation === "object"
    ? base
    : `${base};g=meta.k8s.io;v=${t.metaVersion};as=${t.representation}`;
}

function partial(t: Target, o: KubeObject): JsonObject {
  return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${t.metaVersion}`, metadata: o.metadata };
}

/** A single object (external form, with kind/apiVersion) in the negotiated representation. */
export function renderObject(t: Target, def: ResourceDef, o: KubeObject): JsonObject {
  if (t.representation === "PartialObjectMetadataList") {
    throw notAcceptable(
      `you requested PartialObjectMetadataList, but the requested object is not a list (*${def.goPackage}.${def.custom ? "Unstructured" : def.kind})`,
    );
  }
  return t.representation === "PartialObjectMetadata" ? partial(t, o) : o;
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * A list in the negotiated representation. Built-in kinds' items carry no kind/apiVersion (the typed list
 * is encoded as is); custom resources' items keep them (unstructured); PartialObjectMetadata items do
 * carry "kind":"PartialObjectMetadata" (response.go sets the GVK on each item).
 */
export function renderList(t: Target, def: ResourceDef, meta: ListMeta, items: KubeObject[]): JsonObject {
  if (t.representation === "PartialObjectMetadata") {
    throw notAcceptable(
      `you requested PartialObjectMetadata, but the requested object is a list (*${def.goPackage}.${def.custom ? "UnstructuredList" : def.listKind})`,
    );
  }
  const metadata: JsonObject = { resourceVersion: meta.resourceVersion };
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  if (t.representation === "PartialObjectMetadataList") {
    return {
      kind: "PartialObjectMetadataList",
      apiVersion: `meta.k8s.io/${t.metaVersion}`,
      metadata,
      items: items.map((o) => partial(t, o)),
    };
  }
  const rendered = def.custom
    ? items
    : items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest as JsonObject);
  return { kind: def.listKind, apiVersion: apiVersionOf(def), metadata, items: rendered };
}
