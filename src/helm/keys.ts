// Resource identity as Helm compares objects between manifests (group/kind/namespace/name).

export interface ResourceRef {
  kind: string;
  name: string;
  namespace?: string;
  apiVersion?: string;
}

// Kinds that have no namespace; Helm's manifests may still carry one, the API ignores it.
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "ClusterRole",
  "ClusterRoleBinding",
  "ClusterRoleList",
  "ClusterRoleBindingList",
  "CustomResourceDefinition",
  "APIService",
  "IngressClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "PodSecurityPolicy",
  "RuntimeClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

export function apiGroup(apiVersion: string | undefined): string {
  if (!apiVersion) return "";
  const i = apiVersion.indexOf("/");
  return i < 0 ? "" : apiVersion.slice(0, i);
}

/** A stable key: "group/Kind/namespace/name" with the release namespace as the default. */
export function resourceKey(
  o: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } },
  defaultNamespace: string,
): string {
  const kind = o.kind ?? "";
  const ns = isClusterScoped(kind) ? "" : o.metadata?.namespace || defaultNamespace;
  return `${apiGroup(o.apiVersion)}/${kind}/${ns}/${o.metadata?.name ?? ""}`;
}

/** Key ignoring the API group, for matching objects whose group the caller does not know (events, hooks[]). */
export function kindKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${isClusterScoped(kind) ? "" : namespace}/${name}`;
}

export function refString(r: ResourceRef): string {
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}
