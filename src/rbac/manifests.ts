// Role/RoleBinding objects (or ClusterRole/ClusterRoleBinding for every namespace) granting helm-doctor's service
// account exactly the rules of ./rules.ts: a read Role per namespace, and a remediation Role only when asked.
import { stringify } from "yaml";
import { type ApiResource, type PolicyRule, readRules, watchRules, writeRules } from "./rules.js";

export interface RbacOptions {
  /** Namespaces to diagnose; ["*"] means every namespace (ClusterRole + ClusterRoleBinding). */
  namespaces: string[];
  /** Also grant the writes of rerun, rollback and restore. */
  remediation: boolean;
  /** Also grant what `helm-doctor watch` reads (a list and a watch of the release records). */
  watch?: boolean;
  /** Name prefix of the roles and bindings (the chart's fullname). */
  name: string;
  serviceAccount: string;
  serviceAccountNamespace: string;
  /** Kinds beyond the built-in ones that remediations may write (the kinds your charts ship). */
  extraResources?: ApiResource[];
  labels?: Record<string, string>;
}

export interface RbacObject {
  apiVersion: "rbac.authorization.k8s.io/v1";
  kind: "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding";
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: PolicyRule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

const API = "rbac.authorization.k8s.io/v1" as const;

export function rbacObjects(o: RbacOptions): RbacObject[] {
  const all = o.namespaces.includes("*");
  const roles: { suffix: string; rules: PolicyRule[] }[] = [{ suffix: "read", rules: readRules() }];
  if (o.remediation) roles.push({ suffix: "remediate", rules: writeRules(o.extraResources ?? []) });
  if (o.watch) roles.push({ suffix: "watch", rules: watchRules() });
  const meta = (name: string, namespace?: string) => ({
    name,
    ...(namespace ? { namespace } : {}),
    ...(o.labels && Object.keys(o.labels).length > 0 ? { labels: { ...o.labels } } : {}),
  });
  const subjects = [{ kind: "ServiceAccount", name: o.serviceAccount, namespace: o.serviceAccountNamespace }];
  const out: RbacObject[] = [];
  for (const ns of all ? [undefined] : o.namespaces) {
    for (const r of roles) {
      const name = `${o.name}-${r.suffix}`;
      out.push({
        apiVersion: API,
        kind: all ? "ClusterRole" : "Role",
        metadata: meta(name, ns),
        rules: r.rules,
      });
      out.push({
        apiVersion: API,
        kind: all ? "ClusterRoleBinding" : "RoleBinding",
        metadata: meta(name, ns),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: all ? "ClusterRole" : "Role", name },
        subjects,
      });
    }
  }
  return out;
}

/** Multi-document YAML, as `kubectl apply -f -` takes it. */
export function rbacYaml(o: RbacOptions): string {
  return rbacObjects(o)
    .map((x) => `---\n${stringify(x, { lineWidth: 0 })}`)
    .join("");
}

/** The chart's copy of the rules (deploy/chart/helm-doctor/rbac-rules.yaml), generated from rules.ts. */
export function chartRulesYaml(): string {
  return `# Generated from src/rbac/rules.ts by \`helm-doctor rbac --chart-rules\`; a test checks it is current.\n${stringify(
    { read: readRules(), remediate: writeRules(), watch: watchRules() },
    { lineWidth: 0 },
  )}`;
}
