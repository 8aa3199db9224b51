// The slash command grammar (pure):
//   <release> [-n ns]   <ns>/<release>   <cluster>/<ns>/<release>   list [-n ns]   last <release> [-n ns]
//   clusters   help;   any of the release commands and list take --cluster <name>.
// Release names are validated as Helm does, namespaces as Kubernetes does, cluster names as HELM_DOCTOR_CLUSTER.
import { closest } from "../didyoumean.js";
import { namespaceProblem, releaseNameProblem } from "../helm/names.js";
import { CLUSTER_NAME_RE } from "../queue/schemas.js";

/** `cluster` is present only when the command names one (else the channel's default cluster applies). */
export type Command =
  | { kind: "help" }
  | { kind: "diagnose"; release: string; namespace: string; cluster?: string }
  | { kind: "list"; namespace: string; cluster?: string }
  /** The release's stored report, posted again (when its delivery failed, or to show it to others). */
  | { kind: "last"; release: string; namespace: string; cluster?: string }
  /** The clusters with agents, alive ones first, and when each was last seen. */
  | { kind: "clusters" }
  | { kind: "usage"; problem: string };

const NS_FLAGS = new Set(["-n", "--namespace"]);
const CLUSTER_FLAG = "--cluster";
const SUBCOMMANDS = ["list", "last", "clusters", "help"];

function clusterProblem(name: string): string | undefined {
  return CLUSTER_NAME_RE.test(name)
    ? undefined
    : `invalid cluster name "${name}": lowercase letters, digits and "-", at most 40 (e.g. prod)`;
}

/** " (did you mean x?)" when something is close to `input`, else "". */
function suggestion(input: string, candidates: Iterable<string>): string {
  const close = closest(input, candidates);
  return close.length > 0 ? ` (did you mean ${close.join(" or ")}?)` : "";
}

function tokens(text: string): string[] {
  // Slack clients may send non-breaking spaces; treat every kind of whitespace alike.
  return text
    .replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000]/g, " ")
    .trim()
    .split(/\s+/)
    .filter((t) => t !== "");
}

export function parseCommand(text: string, defaultNamespace: string): Command {
  const args = tokens(text ?? "");
  if (args.length === 0) return { kind: "help" };
  const first = args[0]!;
  if (["help", "-h", "--help", "?"].includes(first.toLowerCase())) {
    return args.length === 1 ? { kind: "help" } : { kind: "usage", problem: `"help" takes no arguments` };
  }

  if (first === "clusters") {
    return args.length === 1
      ? { kind: "clusters" }
      : { kind: "usage", problem: `"clusters" takes no arguments` };
  }

  let namespace: string | undefined;
  let cluster: string | undefined;
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let value: string | undefined;
    if (a === CLUSTER_FLAG || a.startsWith(`${CLUSTER_FLAG}=`)) {
      const v = a === CLUSTER_FLAG ? args[++i] : a.slice(CLUSTER_FLAG.length + 1);
      if (v === undefined || v === "")
        return { kind: "usage", problem: `${CLUSTER_FLAG} needs a cluster name` };
      const p = clusterProblem(v);
      if (p) return { kind: "usage", problem: p };
      if (cluster !== undefined && cluster !== v)
        return { kind: "usage", problem: "the cluster is given twice" };
      cluster = v;
      continue;
    }
    if (NS_FLAGS.has(a)) {
      value = args[++i];
      if (value === undefined) return { kind: "usage", problem: `${a} needs a namespace` };
    } else if (a.startsWith("--namespace=") || a.startsWith("-n=")) {
      value = a.slice(a.indexOf("=") + 1);
    } else if (/^-n[a-z0-9]/.test(a)) {
      value = a.slice(2);
    } else if (a.startsWith("-")) {
      return {
        kind: "usage",
        problem: `unknown option "${a}"${suggestion(a, [...NS_FLAGS, CLUSTER_FLAG])}`,
      };
    } else {
      positionals.push(a);
      continue;
    }
    if (namespace !== undefined && namespace !== value)
      return { kind: "usage", problem: "the namespace is given twice" };
    namespace = value;
  }
  if (namespace !== undefined) {
    const p = namespaceProblem(namespace);
    if (p) return { kind: "usage", problem: p };
  }

  let last = false;
  if (positionals[0] === "last") {
    if (positionals.length === 1) return { kind: "usage", problem: "last needs a <release>" };
    last = true;
    positionals.shift();
  }
  const [word, ...extra] = positionals;
  if (word === undefined) return { kind: "usage", problem: "missing <release>" };
  if (extra.length > 0) {
    // "lats yahoo": a subcommand mistyped, not a release with an argument too many.
    const near = last ? "" : suggestion(word, SUBCOMMANDS);
    return {
      kind: "usage",
      problem: near ? `unknown command "${word}"${near}` : `unexpected argument "${extra[0]}"`,
    };
  }

  const named = (c: string | undefined) => (c === undefined ? {} : { cluster: c });
  if (word === "list" && !last)
    return { kind: "list", namespace: namespace ?? defaultNamespace, ...named(cluster) };

  let release = word;
  let rest = word;
  const parts = word.split("/");
  if (parts.length === 3) {
    // <cluster>/<namespace>/<release>
    const fromArg = parts[0]!;
    const p = clusterProblem(fromArg);
    if (p) return { kind: "usage", problem: p };
    if (cluster !== undefined && cluster !== fromArg)
      return { kind: "usage", problem: `"${word}" names cluster ${fromArg} but --cluster says ${cluster}` };
    cluster = fromArg;
    rest = parts.slice(1).join("/");
  } else if (parts.length > 3) {
    return { kind: "usage", problem: `"${word}" has too many "/": use <cluster>/<namespace>/<release>` };
  }
  release = rest;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const fromArg = rest.slice(0, slash);
    release = rest.slice(slash + 1);
    const p = namespaceProblem(fromArg);
    if (p) return { kind: "usage", problem: p };
    if (namespace !== undefined && namespace !== fromArg)
      return { kind: "usage", problem: `"${word}" names namespace ${fromArg} but -n says ${namespace}` };
    namespace = fromArg;
  }
  const p = releaseNameProblem(release);
  if (p) return { kind: "usage", problem: p };
  return {
    kind: last ? "last" : "diagnose",
    release,
    namespace: namespace ?? defaultNamespace,
    ...named(cluster),
  };
}
