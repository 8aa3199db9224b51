// The resource registry: which group/version/resource the fake serves, how it is scoped, which field labels
// it accepts, and the per-registry quirks of the real API server (default deletion propagation, whether a
// DELETE returns the object, whether metadata.generation is tracked).
import { coreEventToEventsV1, eventsV1ToCoreEvent } from "./events.js";
import type { KubeObject, Verb } from "./types.js";
import { getPath, isObject } from "./util.js";

export type FieldGetter = (obj: KubeObject) => unknown;

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural resource name used in paths. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: Verb[];
  shortNames: string[];
  categories: string[];
  /** Served subresources ("status", "log"). */
  subresources: string[];
  /** Field labels beyond metadata.name/metadata.namespace, read from the stored object. */
  fields: Record<string, FieldGetter>;
  /**
   * How an unknown field label is refused: kinds with a registered field-label conversion say
   * "field label not supported: X"; the rest fall back to DefaultMetaV1FieldSelectorConversion.
   */
  unknownField: "notSupported" | "notKnown";
  /** metadata.generation is set on create and bumped on spec changes. */
  generation: boolean;
  /** DELETE answers with the deleted object (pods, services, custom resources) instead of a Success Status. */
  returnDeletedObject: boolean;
  /** Propagation when the client sends none (DefaultGarbageCollectionPolicy of the registry). */
  defaultPropagation: "Background" | "Orphan";
  /** PUT on a missing object creates it (events). */
  createOnUpdate: boolean;
  /** Storage table; two defs share one table when the server stores one kind under two groups (events). */
  storage: string;
  /** A custom resource: list items keep kind/apiVersion, strategic merge patch is refused. */
  custom: boolean;
  /** Go package of the internal type, for the NotAcceptable messages ("*core.SecretList"). */
  goPackage: string;
  /** Stored form → the form served by this group/version. */
  toExternal: (stored: KubeObject) => KubeObject;
  /** Form received on this group/version → stored form. */
  toStorage: (external: KubeObject) => KubeObject;
}

export const STANDARD_VERBS: Verb[] = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

export function apiVersionOf(def: Pick<ResourceDef, "group" | "version">): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const str = (path: string): FieldGetter => {
  const parts = path.split(".");
  return (obj) => getPath(obj, parts);
};

interface DefOptions {
  singular?: string;
  namespaced?: boolean;
  verbs?: Verb[];
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  fields?: Record<string, FieldGetter>;
  unknownField?: "notSupported" | "notKnown";
  generation?: boolean;
  returnDeletedObject?: boolean;
  defaultPropagation?: "Background" | "Orphan";
  createOnUpdate?: boolean;
  storage?: string;
  goPackage?: string;
  toExternal?: (stored: KubeObject) => KubeObject;
  toStorage?: (external: KubeObject) => KubeObject;
}

function def(groupVersion: string, kind: string, resource: string, o: DefOptions = {}): ResourceDef {
  const { group, version } = splitApiVersion(groupVersion);
  const apiVersion = groupVersion;
  const relabel = (obj: KubeObject): KubeObject => ({ ...obj, apiVersion, kind });
  return {
    group,
    version,
    resource,
    singular: o.singular ?? kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced: o.namespaced ?? true,
    verbs: o.verbs ?? STANDARD_VERBS,
    shortNames: o.shortNames ?? [],
    categories: o.categories ?? [],
    subresources: o.subresources ?? [],
    fields: o.fields ?? {},
    unknownField: o.unknownField ?? "notKnown",
    generation: o.generation ?? false,
    returnDeletedObject: o.returnDeletedObject ?? false,
    defaultPropagation: o.defaultPropagation ?? "Background",
    createOnUpdate: o.createOnUpdate ?? false,
    storage: o.storage ?? `${group}/${resource}`,
    custom: false,
    goPackage: o.goPackage ?? (group ? group.split(".")[0]! : "core"),
    toExternal: o.toExternal ?? relabel,
    toStorage: o.toStorage ?? relabel,
  };
}

// pkg/apis/core/v1/conversion.go: the field labels each core kind accepts.
const POD_FIELDS: Record<string, FieldGetter> = {
  "spec.nodeName": str("spec.nodeName"),
  "spec.restartPolicy": str("spec.restartPolicy"),
  "spec.schedulerName": str("spec.schedulerName"),
  "spec.serviceAccountName": str("spec.serviceAccountName"),
  "spec.hostNetwork": (o) => String(getPath(o, ["spec", "hostNetwork"]) === true),
  "status.phase": str("status.phase"),
  "status.podIP": str("status.podIP"),
  "status.podIPs": str("status.podIP"),
  "status.nominatedNodeName": str("status.nominatedNodeName"),
};

const CORE_EVENT_FIELDS: Record<string, FieldGetter> = {
  "involvedObject.kind": str("involvedObject.kind"),
  "involvedObject.namespace": str("involvedObject.namespace"),
  "involvedObject.name": str("involvedObject.name"),
  "involvedObject.uid": str("involvedObject.uid"),
  "involvedObject.apiVersion": str("involvedObject.apiVersion"),
  "involvedObject.resourceVersion": str("involvedObject.resourceVersion"),
  "involvedObject.fieldPath": str("involvedObject.fieldPath"),
  reason: str("reason"),
  reportingComponent: str("reportingComponent"),
  source: str("source.component"),
  type: str("type"),
};

// pkg/apis/events/v1/conversion.go maps the events.k8s.io labels onto the core ones (same storage).
const EVENTS_V1_FIELDS: Record<string, FieldGetter> = {
  "regarding.kind": str("involvedObject.kind"),
  "regarding.namespace": str("involvedObject.namespace"),
  "regarding.name": str("involvedObject.name"),
  "regarding.uid": str("involvedObject.uid"),
  "regarding.apiVersion": str("involvedObject.apiVersion"),
  "regarding.resourceVersion": str("involvedObject.resourceVersion"),
  "regarding.fieldPath": str("involvedObject.fieldPath"),
  reason: str("reason"),
  reportingController: str("reportingComponent"),
  type: str("type"),
};

const status = ["status"];

/** Built-in resources, in discovery order within each group/version. */
export const BUILTIN_RESOURCES: ResourceDef[] = [
  // core/v1
  def("v1", "ConfigMap", "configmaps", { shortNames: ["cm"] }),
  def("v1", "Endpoints", "endpoints", { singular: "endpoints", shortNames: ["ep"] }),
  def("v1", "Event", "events", {
    shortNames: ["ev"],
    fields: CORE_EVENT_FIELDS,
    unknownField: "notSupported",
    createOnUpdate: true,
  }),
  def("v1", "LimitRange", "limitranges", { shortNames: ["limits"] }),
  def("v1", "Namespace", "namespaces", {
    namespaced: false,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames: ["ns"],
    subresources: ["status"],
    fields: { "status.phase": str("status.phase") },
    unknownField: "notSupported",
    returnDeletedObject: true,
  }),
  def("v1", "Node", "nodes", {
    namespaced: false,
    shortNames: ["no"],
    subresources: status,
    fields: { "spec.unschedulable": (o) => String(getPath(o, ["spec", "unschedulable"]) === true) },
    unknownField: "notSupported",
  }),
  def("v1", "PersistentVolumeClaim", "persistentvolumeclaims", { shortNames: ["pvc"], subresources: status }),
  def("v1", "PersistentVolume", "persistentvolumes", {
    namespaced: false,
    shortNames: ["pv"],
    subresources: status,
  }),
  def("v1", "Pod", "pods", {
    shortNames: ["po"],
    categories: ["all"],
    subresources: ["status", "log"],
    fields: POD_FIELDS,
    unknownField: "notSupported",
    returnDeletedObject: true,
  }),
  def("v1", "PodTemplate", "podtemplates"),
  def("v1", "ReplicationController", "replicationcontrollers", {
    shortNames: ["rc"],
    categories: ["all"],
    subresources: status,
    fields: { "status.replicas": (o) => String(getPath(o, ["status", "replicas"]) ?? 0) },
    unknownField: "notSupported",
    generation: true,
    defaultPropagation: "Orphan",
  }),
  def("v1", "ResourceQuota", "resourcequotas", { shortNames: ["quota"], subresources: status }),
  def("v1", "Secret", "secrets", { fields: { type: str("type") }, unknownField: "notSupported" }),
  def("v1", "ServiceAccount", "serviceaccounts", { shortNames: ["sa"] }),
  def("v1", "Service", "services", {
    shortNames: ["svc"],
    categories: ["all"],
    subresources: status,
    fields: { "spec.clusterIP": str("spec.clusterIP"), "spec.type": str("spec.type") },
    unknownField: "notSupported",
    returnDeletedObject: true,
  }),
  // apps/v1
  def("apps/v1", "ControllerRevision", "controllerrevisions"),
  def("apps/v1", "DaemonSet", "daemonsets", {
    shortNames: ["ds"],
    categories: ["all"],
    subresources: status,
    generation: true,
  }),
  def("apps/v1", "Deployment", "deployments", {
    shortNames: ["deploy"],
    categories: ["all"],
    subresources: status,
    generation: true,
  }),
  def("apps/v1", "ReplicaSet", "replicasets", {
    shortNames: ["rs"],
    categories: ["all"],
    subresources: status,
    fields: { "status.replicas": (o) => String(getPath(o, ["status", "replicas"]) ?? 0) },
    unknownField: "notSupported",
    generation: true,
  }),
  def("apps/v1", "StatefulSet", "statefulsets", {
    shortNames: ["sts"],
    categories: ["all"],
    subresources: status,
    generation: true,
  }),
  // autoscaling/v2
  def("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", {
    shortNames: ["hpa"],
    categories: ["all"],
    subresources: status,
    generation: true,
  }),
  // batch/v1
  def("batch/v1", "CronJob", "cronjobs", {
    shortNames: ["cj"],
    categories: ["all"],
    subresources: status,
    generation: true,
  }),
  def("batch/v1", "Job", "jobs", {
    categories: ["all"],
    subresources: status,
    // pkg/apis/batch/v1/conversion.go: status.successful reads .status.succeeded
    fields: { "status.successful": (o) => String(getPath(o, ["status", "succeeded"]) ?? 0) },
    unknownField: "notSupported",
    generation: true,
    // batch/v1 Jobs still orphan their pods unless the client asks otherwise (kubectl sends Background).
    defaultPropagation: "Orphan",
  }),
  // events.k8s.io/v1: the same storage as core/v1 events, converted on the way in and out.
  def("events.k8s.io/v1", "Event", "events", {
    shortNames: ["ev"],
    fields: EVENTS_V1_FIELDS,
    unknownField: "notSupported",
    createOnUpdate: true,
    storage: "/events",
    goPackage: "core",
    toExternal: coreEventToEventsV1,
    toStorage: eventsV1ToCoreEvent,
  }),
  // networking.k8s.io/v1
  def("networking.k8s.io/v1", "IngressClass", "ingressclasses", { namespaced: false }),
  def("networking.k8s.io/v1", "Ingress", "ingresses", {
    shortNames: ["ing"],
    subresources: status,
    generation: true,
  }),
  def("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", {
    singular: "networkpolicy",
    shortNames: ["netpol"],
    generation: true,
  }),
  // policy/v1
  def("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", {
    shortNames: ["pdb"],
    subresources: status,
    generation: true,
  }),
  // rbac.authorization.k8s.io/v1
  def("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", { namespaced: false }),
  def("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", { namespaced: false }),
  def("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
  def("rbac.authorization.k8s.io/v1", "Role", "roles"),
  // storage.k8s.io/v1
  def("storage.k8s.io/v1", "StorageClass", "storageclasses", { namespaced: false, shortNames: ["sc"] }),
  // scheduling.k8s.io/v1
  def("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", { namespaced: false, shortNames: ["pc"] }),
  // apiextensions.k8s.io/v1
  def("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", {
    namespaced: false,
    shortNames: ["crd", "crds"],
    subresources: status,
    generation: true,
  }),
  // authorization.k8s.io/v1: answered from the forbid rules.
  def("authorization.k8s.io/v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", {
    namespaced: false,
    verbs: ["create"],
  }),
];

/** Resource defs for the served versions of a stored CustomResourceDefinition. */
export function customResourceDefs(crd: KubeObject): ResourceDef[] {
  const spec = crd.spec;
  if (!isObject(spec) || !isObject(spec.names) || typeof spec.group !== "string") return [];
  const names = spec.names;
  const plural = typeof names.plural === "string" ? names.plural : undefined;
  const kind = typeof names.kind === "string" ? names.kind : undefined;
  if (!plural || !kind) return [];
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const out: ResourceDef[] = [];
  for (const v of versions) {
    if (v.served === false || typeof v.name !== "string") continue;
    const hasStatus = isObject(v.subresources) && isObject(v.subresources.status);
    const d = def(`${spec.group}/${v.name}`, kind, plural, {
      singular: typeof names.singular === "string" ? names.singular : kind.toLowerCase(),
      namespaced: spec.scope !== "Cluster",
      shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : [],
      categories: Array.isArray(names.categories) ? names.categories.map(String) : [],
      subresources: hasStatus ? ["status"] : [],
      generation: true,
      returnDeletedObject: true,
      goPackage: "unstructured",
    });
    d.listKind = typeof names.listKind === "string" ? names.listKind : `${kind}List`;
    d.custom = true;
    out.push(d);
  }
  return out;
}

/** Looks resources up among the built-ins and the CRDs currently stored. */
export class Registry {
  private readonly crds: () => KubeObject[];

  constructor(crds: () => KubeObject[]) {
    this.crds = crds;
  }

  all(): ResourceDef[] {
    return [...BUILTIN_RESOURCES, ...this.crds().flatMap(customResourceDefs)];
  }

  find(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.all().find((d) => d.group === group && d.version === version && d.resource === resource);
  }

  /** Is group/version served at all (for 404s on unknown groups)? */
  servesGroupVersion(group: string, version: string): boolean {
    return this.all().some((d) => d.group === group && d.version === version);
  }

  byKind(apiVersion: string | undefined, kind: string): ResourceDef | undefined {
    const all = this.all();
    if (apiVersion) {
      const { group, version } = splitApiVersion(apiVersion);
      return all.find((d) => d.group === group && d.version === version && d.kind === kind);
    }
    // Without apiVersion: the first definition of the kind (core/v1 Event before events.k8s.io/v1).
    return all.find((d) => d.kind === kind);
  }
}
