// `helm-doctor rbac -n ns1,ns2 [--remediation] [--watch]`: the Role and RoleBinding YAML the Helm chart would create, for
// installs without the chart (`helm-doctor rbac -n shop | kubectl apply -f -`).
import { parseOptions } from "../cli-options.js";
import { namespaceProblem } from "../helm/names.js";
import { chartRulesYaml, rbacYaml } from "./manifests.js";
import { type ApiResource, parseApiResource } from "./rules.js";

export const RBAC_HELP = `Usage: helm-doctor rbac -n NS[,NS…] [--remediation] [--watch] [--extra-resource GROUP/RESOURCE]…
                        [--service-account NAME] [--service-account-namespace NS] [--name PREFIX]

Prints the Role and RoleBinding (per namespace) that let helm-doctor's service account diagnose releases in
those namespaces, with --remediation a second Role with the writes of rerun, rollback and restore-hooks, and with
--watch a third with what \`helm-doctor watch\` reads (a list and a watch of the release records).
-n '*' grants every namespace (ClusterRole and ClusterRoleBinding). No wildcard verbs or resources.

  -n, --namespace NS                  namespaces to diagnose, comma-separated or repeated (required)
      --remediation                   also grant the remediation writes
      --watch                         also grant the watcher's list and watch of release records
      --extra-resource G/R            a kind your charts ship beyond the built-in ones, e.g.
                                      networking.k8s.io/ingresses (with --remediation; repeatable)
      --service-account NAME          default helm-doctor
      --service-account-namespace NS  where helm-doctor runs (default helm-doctor)
      --name PREFIX                   name prefix of the roles (default helm-doctor)
`;

export class RbacUsageError extends Error {}

export function rbacCommand(argv: string[]): string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new RbacUsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values["chart-rules"]) return chartRulesYaml();
  if (positionals.length > 0) throw new RbacUsageError(`unexpected argument "${positionals[0]}"`);
  const namespaces = [
    ...new Set((values.namespace ?? []).flatMap((n) => n.split(",")).map((n) => n.trim())),
  ].filter((n) => n !== "");
  if (namespaces.length === 0)
    throw new RbacUsageError("rbac needs -n: the namespaces helm-doctor diagnoses (or '*' for all)");
  if (namespaces.includes("*") && namespaces.length > 1)
    throw new RbacUsageError("-n '*' already means every namespace: give it alone");
  for (const ns of [
    ...namespaces.filter((n) => n !== "*"),
    values["service-account-namespace"] ?? "helm-doctor",
  ]) {
    const p = namespaceProblem(ns);
    if (p) throw new RbacUsageError(p);
  }
  const extra: ApiResource[] = [];
  for (const raw of values["extra-resource"] ?? []) {
    const r = parseApiResource(raw);
    if (typeof r === "string") throw new RbacUsageError(r);
    extra.push(r);
  }
  if (extra.length > 0 && !values.remediation)
    throw new RbacUsageError("--extra-resource only widens the remediation Role: add --remediation");
  const name = values.name ?? "helm-doctor";
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 50)
    throw new RbacUsageError(`--name "${name}" must be a lowercase DNS label of at most 50 characters`);
  return rbacYaml({
    namespaces,
    remediation: !!values.remediation,
    watch: !!values.watch,
    name,
    serviceAccount: values["service-account"] ?? "helm-doctor",
    serviceAccountNamespace: values["service-account-namespace"] ?? "helm-doctor",
    extraResources: extra,
  });
}

const OPTIONS = {
  namespace: { type: "string", short: "n", multiple: true },
  remediation: { type: "boolean" },
  watch: { type: "boolean" },
  "extra-resource": { type: "string", multiple: true },
  "service-account": { type: "string" },
  "service-account-namespace": { type: "string" },
  name: { type: "string" },
  "chart-rules": { type: "boolean" },
} as const;

function parse(argv: string[]) {
  return parseOptions("rbac", OPTIONS, argv);
}
