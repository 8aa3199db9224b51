// Patch strategies of Kubernetes' built-in kinds, as the `patchStrategy`/`patchMergeKey` struct tags of
// k8s.io/api and k8s.io/apimachinery declare them (spec fields; status lists are left out: Helm never sends
// status). Fields not listed here have no strategy: maps merge, lists are replaced — which is what the tags
// say for them too. Which kinds count as built-in follows Helm's pkg/kube/client.go createPatch: objects the
// client-go scheme decodes into typed structs get a strategic merge patch; custom resources, unknown kinds
// and apiextensions.k8s.io/v1beta1 CRDs a JSON merge patch.
import { apiGroup } from "../helm/keys.js";
import type { FieldMeta, PatchSchema } from "./strategicpatch.js";

const merge = (mergeKey: string, type?: string): FieldMeta => ({
  strategy: "merge",
  mergeKey,
  ...(type ? { type } : {}),
});
const nested = (type: string, strategy?: string): FieldMeta => ({ type, ...(strategy ? { strategy } : {}) });

const TYPES: PatchSchema["types"] = {
  ObjectMeta: { ownerReferences: merge("uid"), finalizers: { strategy: "merge" } },
  Container: {
    ports: merge("containerPort"),
    env: merge("name"),
    volumeMounts: merge("mountPath"),
    volumeDevices: merge("devicePath"),
  },
  PodSpec: {
    volumes: { strategy: "merge,retainKeys", mergeKey: "name" },
    initContainers: merge("name", "Container"),
    containers: merge("name", "Container"),
    ephemeralContainers: merge("name", "Container"),
    imagePullSecrets: merge("name"),
    hostAliases: merge("ip"),
    topologySpreadConstraints: merge("topologyKey"),
    schedulingGates: merge("name"),
    resourceClaims: { strategy: "merge,retainKeys", mergeKey: "name" },
  },
  PodTemplateSpec: { metadata: nested("ObjectMeta"), spec: nested("PodSpec") },
  Pod: { metadata: nested("ObjectMeta"), spec: nested("PodSpec") },
  PodTemplate: { metadata: nested("ObjectMeta"), template: nested("PodTemplateSpec") },
  WorkloadSpec: { template: nested("PodTemplateSpec") },
  Workload: { metadata: nested("ObjectMeta"), spec: nested("WorkloadSpec") },
  DeploymentSpec: { template: nested("PodTemplateSpec"), strategy: { strategy: "retainKeys" } },
  Deployment: { metadata: nested("ObjectMeta"), spec: nested("DeploymentSpec") },
  JobTemplateSpec: { metadata: nested("ObjectMeta"), spec: nested("WorkloadSpec") },
  CronJobSpec: { jobTemplate: nested("JobTemplateSpec") },
  CronJob: { metadata: nested("ObjectMeta"), spec: nested("CronJobSpec") },
  ServiceSpec: { ports: merge("port") },
  Service: { metadata: nested("ObjectMeta"), spec: nested("ServiceSpec") },
  ServiceAccount: { metadata: nested("ObjectMeta"), secrets: merge("name"), imagePullSecrets: merge("name") },
  Object: { metadata: nested("ObjectMeta") },
};

/** Root type per built-in kind whose fields carry strategies beyond ObjectMeta's. */
const ROOTS: Record<string, string> = {
  Pod: "Pod",
  PodTemplate: "PodTemplate",
  ReplicationController: "Workload",
  Deployment: "Deployment",
  StatefulSet: "Workload",
  DaemonSet: "Workload",
  ReplicaSet: "Workload",
  Job: "Workload",
  CronJob: "CronJob",
  Service: "Service",
  ServiceAccount: "ServiceAccount",
};

/** API groups whose kinds client-go's scheme (plus Helm's apiextensions registration) decodes as typed objects. */
const BUILT_IN_GROUPS = new Set([
  "",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "apiserverinternal.k8s.io",
  "apps",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "events.k8s.io",
  "extensions",
  "flowcontrol.apiserver.k8s.io",
  "networking.k8s.io",
  "node.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "resource.k8s.io",
  "scheduling.k8s.io",
  "storage.k8s.io",
  "storagemigration.k8s.io",
]);

/**
 * The strategic merge patch schema of a built-in kind, or undefined when Helm would send a JSON merge patch
 * (custom resources, unknown groups, and CustomResourceDefinitions of apiextensions.k8s.io/v1beta1, which
 * Helm's createPatch special-cases).
 */
export function strategicSchema(
  apiVersion: string | undefined,
  kind: string | undefined,
): PatchSchema | undefined {
  const group = apiGroup(apiVersion);
  if (!BUILT_IN_GROUPS.has(group)) return undefined;
  if (apiVersion === "apiextensions.k8s.io/v1beta1" && kind === "CustomResourceDefinition") return undefined;
  return { root: ROOTS[kind ?? ""] ?? "Object", types: TYPES };
}
