// The RBAC rules helm-doctor needs, derived from what it calls: the reader's kinds (KINDS in cluster/kube.ts)
// with the verbs KubeReader uses, and the writes a remediation makes (release records, the release's objects,
// hook waits). `helm-doctor rbac`, the Helm chart's Roles (deploy/chart/helm-doctor/rbac-rules.yaml, generated
// from here) and the RBAC coverage test all use these, so what is granted is what is used.
import { KINDS } from "../cluster/kube.js";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** An API resource: "" for the core group, e.g. { group: "networking.k8s.io", resource: "ingresses" }. */
export interface ApiResource {
  group: string;
  resource: string;
}

/** kubectl's order, so printed rules read as people expect. */
const VERB_ORDER = ["get", "list", "watch", "create", "update", "patch", "delete"];

/**
 * Diagnosis reads, per resource: `get` (objects named by a revision's manifest or hooks, release records) and
 * `list` (metadata-only lists of release records, pods and ReplicaSets by selector, a kind with many named
 * objects); events are only listed (the namespace's, filtered locally).
 */
export function readGrants(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const k of Object.values(KINDS)) {
    out.set(
      key({ group: k.group, resource: k.resource }),
      new Set(k.resource === "events" ? ["list"] : ["get", "list"]),
    );
  }
  return out;
}

/**
 * Kinds whose objects a remediation creates, patches or deletes: what a chart ships among the kinds helm-doctor
 * reads. Events are not a chart's, ReplicaSets belong to their Deployment. Other kinds are granted explicitly
 * (`extra`), as charts need them.
 */
export function writableKinds(): ApiResource[] {
  return Object.values(KINDS)
    .filter((k) => k.resource !== "events" && k.resource !== "replicasets")
    .map((k) => ({ group: k.group, resource: k.resource }));
}

/**
 * Remediation writes on top of the reads:
 * - release records (Secrets for Helm's default driver, ConfigMaps for the configmap driver): `create` (the
 *   pending revision is Helm's lock), `update` (status transitions), `delete` (history beyond --history-max);
 * - the release's objects: `create`, `patch` (merge patch or server-side apply), `delete` (objects the new
 *   revision drops, hooks' delete policies);
 * - `watch` on Jobs and Pods: waiting for a hook to complete, as Helm does.
 */
export function writeGrants(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (r: ApiResource, verbs: string[]) => {
    const k = key(r);
    const s = out.get(k) ?? new Set<string>();
    for (const v of verbs) s.add(v);
    out.set(k, s);
  };
  for (const r of writableKinds()) add(r, ["create", "patch", "delete"]);
  for (const resource of ["secrets", "configmaps"]) add({ group: "", resource }, ["update"]);
  add({ group: "batch", resource: "jobs" }, ["watch"]);
  add({ group: "", resource: "pods" }, ["watch"]);
  return out;
}

/**
 * One rule per extra resource, after the built-in ones: the object writes, plus `get` (the writer reads an
 * object before patching it) when the read Role does not already grant it.
 */
export function extraRules(extra: ApiResource[]): PolicyRule[] {
  const read = readGrants();
  return extra.map((r) => ({
    apiGroups: [r.group],
    resources: [r.resource],
    verbs: read.get(key(r))?.has("get")
      ? ["create", "patch", "delete"]
      : ["get", "create", "patch", "delete"],
  }));
}

function key(r: ApiResource): string {
  return `${r.group}/${r.resource}`;
}

export function parseKey(k: string): ApiResource {
  const i = k.lastIndexOf("/");
  return { group: k.slice(0, i), resource: k.slice(i + 1) };
}

/** Parse "group/resource" (core: "resource" or "/resource"); rejects wildcards and subresources. */
export function parseApiResource(s: string): ApiResource | string {
  const t = s.trim();
  const m = /^(?:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(
    t.replace(/^\//, ""),
  );
  if (!m)
    return `"${s}" is not a resource: write group/resource in lowercase, e.g. networking.k8s.io/ingresses (core kinds: services)`;
  return { group: m[1] ?? "", resource: m[3]! };
}

/** Grants as PolicyRules: one rule per API group and verb set, resources and groups in a stable order. */
export function toRules(grants: Map<string, Set<string>>): PolicyRule[] {
  const byGroupVerbs = new Map<string, { group: string; verbs: string[]; resources: string[] }>();
  for (const [k, verbs] of grants) {
    const { group, resource } = parseKey(k);
    const v = [...verbs].sort((a, b) => VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b));
    const id = `${group}|${v.join(",")}`;
    const e = byGroupVerbs.get(id) ?? { group, verbs: v, resources: [] };
    e.resources.push(resource);
    byGroupVerbs.set(id, e);
  }
  const groupRank = (g: string) => (g === "" ? "0" : g === "apps" ? "1" : g === "batch" ? "2" : `3${g}`);
  return [...byGroupVerbs.values()]
    .sort(
      (a, b) =>
        groupRank(a.group).localeCompare(groupRank(b.group)) ||
        b.verbs.length - a.verbs.length ||
        a.verbs.join().localeCompare(b.verbs.join()),
    )
    .map((e) => ({ apiGroups: [e.group], resources: e.resources.sort(), verbs: e.verbs }));
}

export function readRules(): PolicyRule[] {
  return toRules(readGrants());
}

/**
 * `helm-doctor watch`: a metadata-only list of the release records (label selector owner=helm), then a watch from
 * its resourceVersion (src/cluster/records-watch.ts), for either storage driver: Secrets (Helm's default) or
 * ConfigMaps. Diagnoses run in the worker, under the read Role.
 */
export function watchGrants(): Map<string, Set<string>> {
  return new Map([
    [key({ group: "", resource: "secrets" }), new Set(["list", "watch"])],
    [key({ group: "", resource: "configmaps" }), new Set(["list", "watch"])],
  ]);
}

export function watchRules(): PolicyRule[] {
  return toRules(watchGrants());
}

export function writeRules(extra: ApiResource[] = []): PolicyRule[] {
  return [...toRules(writeGrants()), ...extraRules(extra)];
}

/** Does one of `rules` allow `verb` on `group/resource`? (exact match: helm-doctor's rules have no wildcards) */
export function allows(rules: PolicyRule[], verb: string, group: string, resource: string): boolean {
  return rules.some(
    (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
  );
}
