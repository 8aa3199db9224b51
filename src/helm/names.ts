// Names as Helm and Kubernetes validate them, shared by the CLI and the Slack command parser.

/** Helm's release name rule: a lowercase RFC 1123 subdomain of at most 53 characters (helm/pkg/chartutil). */
export const RELEASE_NAME_MAX = 53;
const RELEASE_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace is an RFC 1123 label of at most 63 characters. */
export const NAMESPACE_MAX = 63;
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` is not a valid Helm release name, or undefined when it is. */
export function releaseNameProblem(name: string): string | undefined {
  if (name.length > RELEASE_NAME_MAX || !RELEASE_NAME_RE.test(name)) {
    return `invalid release name "${name}": Helm release names are lowercase letters, digits, "-" and ".", at most ${RELEASE_NAME_MAX} characters`;
  }
  return undefined;
}

/** Why `ns` is not a valid namespace name, or undefined when it is. */
export function namespaceProblem(ns: string): string | undefined {
  if (ns.length > NAMESPACE_MAX || !NAMESPACE_RE.test(ns)) {
    return `invalid namespace "${ns}": namespaces are lowercase letters, digits and "-", at most ${NAMESPACE_MAX} characters`;
  }
  return undefined;
}
