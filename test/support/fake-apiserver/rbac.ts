// An RBAC authorizer for the fake API server: when set, a resource request is allowed only when a binding of the
// server's user grants it, with Kubernetes' rule semantics (rbac/validation RuleAllows: group, resource or
// resource/subresource, verb; "*" matches all; a Role binds in its namespace, a ClusterRoleBinding everywhere).
// Non-resource paths (discovery, /version) stay allowed, as the system:discovery ClusterRole does.
import type { Verb } from "./types.js";

export interface RbacRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

/** Rules in force for a namespace (a RoleBinding), or everywhere (`namespace` undefined: a ClusterRoleBinding). */
export interface RbacGrant {
  namespace?: string;
  rules: RbacRule[];
}

export interface RbacRequest {
  verb: Verb;
  group: string;
  resource: string;
  subresource?: string | undefined;
  namespace?: string | undefined;
}

function ruleAllows(r: RbacRule, q: RbacRequest): boolean {
  const res = q.subresource ? `${q.resource}/${q.subresource}` : q.resource;
  return (
    (r.verbs.includes("*") || r.verbs.includes(q.verb)) &&
    (r.apiGroups ?? []).some((g) => g === "*" || g === q.group) &&
    (r.resources ?? []).some((x) => x === "*" || x === res || (x === `*/${q.subresource}` && !!q.subresource))
  );
}

export function rbacAllows(grants: RbacGrant[], q: RbacRequest): boolean {
  return grants.some(
    (g) =>
      (g.namespace === undefined || g.namespace === q.namespace) && g.rules.some((r) => ruleAllows(r, q)),
  );
}

interface RbacObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: RbacRule[];
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

/**
 * The grants of Role/ClusterRole/RoleBinding/ClusterRoleBinding objects (e.g. a rendered chart) for `user`
 * ("system:serviceaccount:NS:NAME"). A RoleBinding to a ClusterRole grants its rules in the binding's namespace.
 */
export function grantsFromObjects(objects: RbacObject[], user: string): RbacGrant[] {
  const roles = new Map<string, RbacRule[]>();
  for (const o of objects) {
    if (o.kind === "Role") roles.set(`Role/${o.metadata?.namespace}/${o.metadata?.name}`, o.rules ?? []);
    if (o.kind === "ClusterRole") roles.set(`ClusterRole//${o.metadata?.name}`, o.rules ?? []);
  }
  const isUser = (s: { kind?: string; name?: string; namespace?: string }) =>
    s.kind === "ServiceAccount" ? `system:serviceaccount:${s.namespace}:${s.name}` === user : s.name === user;
  const out: RbacGrant[] = [];
  for (const o of objects) {
    if (o.kind !== "RoleBinding" && o.kind !== "ClusterRoleBinding") continue;
    if (!(o.subjects ?? []).some(isUser)) continue;
    const ref = o.roleRef ?? {};
    const key =
      ref.kind === "ClusterRole" ? `ClusterRole//${ref.name}` : `Role/${o.metadata?.namespace}/${ref.name}`;
    const rules = roles.get(key);
    if (!rules) continue;
    out.push(o.kind === "RoleBinding" ? { namespace: o.metadata?.namespace ?? "default", rules } : { rules });
  }
  return out;
}
