// Pure object helpers shared by the planner and the executor: stored manifests → the objects Helm would send
// (namespace defaulted, ownership metadata on manifest objects only), Helm's resource identity for diffs, the
// ownership check, and the GitOps markers that make a change short-lived.
import { apiGroup, isClusterScoped, type ResourceRef } from "../helm/keys.js";
import { parseManifest, parseYamlObject } from "../helm/manifest.js";
import type { Hook, Release } from "../helm/types.js";
import type { KubeObject } from "../snapshot/types.js";

export const MANAGED_BY = "app.kubernetes.io/managed-by";
export const RELEASE_NAME = "meta.helm.sh/release-name";
export const RELEASE_NAMESPACE = "meta.helm.sh/release-namespace";
export const RESOURCE_POLICY = "helm.sh/resource-policy";

export interface TargetObject {
  /** Helm's matching key (isMatchingInfo): group/kind/namespace/name, version ignored. */
  key: string;
  ref: ResourceRef & { apiVersion: string };
  object: KubeObject;
  source?: string;
}

/** group/Kind/namespace/name with the release namespace as default (cluster-scoped kinds: no namespace). */
export function objectKey(o: KubeObject, defaultNamespace: string): string {
  const kind = o.kind ?? "";
  const ns = isClusterScoped(kind) ? "" : o.metadata?.namespace || defaultNamespace;
  return `${apiGroup(o.apiVersion)}/${kind}/${ns}/${o.metadata?.name ?? ""}`;
}

function prepare(o: KubeObject, namespace: string): KubeObject {
  const c = structuredClone(o);
  c.metadata ??= {};
  if (!isClusterScoped(c.kind ?? "")) c.metadata.namespace ||= namespace;
  return c;
}

function toTarget(o: KubeObject, namespace: string, source?: string): TargetObject {
  return {
    key: objectKey(o, namespace),
    ref: {
      apiVersion: o.apiVersion ?? "v1",
      kind: o.kind ?? "",
      name: o.metadata?.name ?? "",
      ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
    },
    object: o,
    ...(source ? { source } : {}),
  };
}

/** setMetadataVisitor: the ownership label and annotations Helm puts on every manifest object it applies. */
export function withOwnership(o: KubeObject, release: string, namespace: string): KubeObject {
  const c = structuredClone(o);
  c.metadata ??= {};
  c.metadata.labels = { ...(c.metadata.labels ?? {}), [MANAGED_BY]: "Helm" };
  c.metadata.annotations = {
    ...(c.metadata.annotations ?? {}),
    [RELEASE_NAME]: release,
    [RELEASE_NAMESPACE]: namespace,
  };
  return c;
}

export interface ManifestObjects {
  objects: TargetObject[];
  /** Documents that are not objects Helm could build (parse errors, missing kind/name). */
  errors: string[];
}

/** A stored manifest as Helm's KubeClient.Build reads it (release namespace as default). */
export function manifestObjects(rel: Release, namespace: string, owned: boolean): ManifestObjects {
  const ns = rel.namespace || namespace;
  const objects: TargetObject[] = [];
  const errors: string[] = [];
  for (const d of parseManifest(rel.manifest)) {
    if (d.error || !d.object) {
      if (d.error) errors.push(`${d.source ?? `document ${d.index}`}: ${d.error}`);
      continue;
    }
    if (!d.object.kind || !d.object.metadata?.name) {
      errors.push(`${d.source ?? `document ${d.index}`}: object has no kind or metadata.name`);
      continue;
    }
    let o = prepare(d.object as KubeObject, ns);
    if (owned) o = withOwnership(o, rel.name, ns);
    objects.push(toTarget(o, ns, d.source));
  }
  return { objects, errors };
}

// The planner and the prediction read the same manifests again and again (a plan per remediation, its prediction):
// built once per manifest text, release name, namespace and ownership. Read-only.
const sharedBuilds = new Map<string, Map<string, ManifestObjects>>();
const SHARED_BUILDS_MAX = 500;

/** manifestObjects for readers that never change what they get (the planner, the prediction). */
export function manifestObjectsShared(rel: Release, namespace: string, owned: boolean): ManifestObjects {
  let byText = sharedBuilds.get(rel.manifest);
  if (!byText) {
    if (sharedBuilds.size >= SHARED_BUILDS_MAX) sharedBuilds.clear();
    byText = new Map();
    sharedBuilds.set(rel.manifest, byText);
  }
  const key = `${rel.name}|${rel.namespace || namespace}|${owned}`;
  let built = byText.get(key);
  if (!built) {
    built = manifestObjects(rel, namespace, owned);
    byText.set(key, built);
  }
  return built;
}

/** The object a hook creates (no ownership metadata: Helm never adds it to hooks). */
export function hookObject(h: Hook, rel: Release, namespace: string): TargetObject | undefined {
  const { object } = parseYamlObject(h.manifest);
  if (!object?.kind || !object.metadata?.name) return undefined;
  return toTarget(
    prepare(object as KubeObject, rel.namespace || namespace),
    rel.namespace || namespace,
    h.path,
  );
}

/** Helm's existingResourceConflict check; problems in Helm's words, empty when the object may be adopted. */
export function ownershipProblems(live: KubeObject, release: string, namespace: string): string[] {
  const out: string[] = [];
  const labels = live.metadata?.labels ?? {};
  const ann = live.metadata?.annotations ?? {};
  const check = (what: "label" | "annotation", m: Record<string, string>, k: string, want: string) => {
    const v = m[k];
    if (v === undefined) out.push(`${what} validation error: missing key "${k}": must be set to "${want}"`);
    else if (v !== want)
      out.push(`${what} validation error: key "${k}" must equal "${want}": current value is "${v}"`);
  };
  check("label", labels, MANAGED_BY, "Helm");
  check("annotation", ann, RELEASE_NAME, release);
  check("annotation", ann, RELEASE_NAMESPACE, namespace);
  return out;
}

export function ownershipError(t: TargetObject, problems: string[]): string {
  const ns = t.ref.namespace ? ` in namespace "${t.ref.namespace}"` : "";
  return `Unable to continue with update: ${t.ref.kind} "${t.ref.name}"${ns} exists and cannot be imported into the current release: invalid ownership metadata; ${problems.join("; ")}`;
}

export function hasKeepPolicy(live: KubeObject | undefined): boolean {
  return live?.metadata?.annotations?.[RESOURCE_POLICY] === "keep";
}

// ---- GitOps controllers that would revert a native change

export interface GitOpsMarker {
  tool: "Argo CD" | "Flux";
  where: string;
  detail: string;
}

const ARGO_LABELS = ["argocd.argoproj.io/instance"];
const ARGO_ANNOTATIONS = ["argocd.argoproj.io/tracking-id"];
const FLUX_LABELS = ["helm.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/namespace"];

/** The first Argo CD and Flux markers found on the given objects (live objects and release records). */
export function gitopsMarkers(
  objects: {
    kind?: string;
    metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, unknown> };
  }[],
): GitOpsMarker[] {
  const found = new Map<string, GitOpsMarker>();
  for (const o of objects) {
    const labels = o.metadata?.labels ?? {};
    const ann = o.metadata?.annotations ?? {};
    const where = `${o.kind ?? "object"} ${o.metadata?.name ?? ""}`.trim();
    if (!found.has("Argo CD")) {
      const l = ARGO_LABELS.find((k) => labels[k] !== undefined);
      const a = ARGO_ANNOTATIONS.find((k) => ann[k] !== undefined);
      if (l) found.set("Argo CD", { tool: "Argo CD", where, detail: `label ${l}=${labels[l]}` });
      else if (a)
        found.set("Argo CD", { tool: "Argo CD", where, detail: `annotation ${a}=${String(ann[a])}` });
    }
    if (!found.has("Flux")) {
      const l = FLUX_LABELS.find((k) => labels[k] !== undefined);
      if (l) {
        const name = labels["helm.toolkit.fluxcd.io/name"];
        const ns = labels["helm.toolkit.fluxcd.io/namespace"];
        found.set("Flux", {
          tool: "Flux",
          where,
          detail: `label ${l}=${labels[l]}${name ? ` (HelmRelease ${ns ? `${ns}/` : ""}${name})` : ""}`,
        });
      }
    }
  }
  return [...found.values()];
}
