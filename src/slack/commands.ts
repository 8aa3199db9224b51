// The slash command grammar (pure):
//   <release> [-n ns]   <ns>/<release>   list [-n ns]   last <release> [-n ns]   help
// Release names are validated as Helm does, namespaces as Kubernetes does.
import { closest } from "../didyoumean.js";
import { namespaceProblem, releaseNameProblem } from "../helm/names.js";

export type Command =
  | { kind: "help" }
  | { kind: "diagnose"; release: string; namespace: string }
  | { kind: "list"; namespace: string }
  /** The release's stored report, posted again (when its delivery failed, or to show it to others). */
  | { kind: "last"; release: string; namespace: string }
  | { kind: "usage"; problem: string };

const NS_FLAGS = new Set(["-n", "--namespace"]);
const SUBCOMMANDS = ["list", "last", "help"];

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

  let namespace: string | undefined;
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let value: string | undefined;
    if (NS_FLAGS.has(a)) {
      value = args[++i];
      if (value === undefined) return { kind: "usage", problem: `${a} needs a namespace` };
    } else if (a.startsWith("--namespace=") || a.startsWith("-n=")) {
      value = a.slice(a.indexOf("=") + 1);
    } else if (/^-n[a-z0-9]/.test(a)) {
      value = a.slice(2);
    } else if (a.startsWith("-")) {
      return { kind: "usage", problem: `unknown option "${a}"${suggestion(a, NS_FLAGS)}` };
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

  if (word === "list" && !last) return { kind: "list", namespace: namespace ?? defaultNamespace };

  let release = word;
  const slash = word.indexOf("/");
  if (slash >= 0) {
    const fromArg = word.slice(0, slash);
    release = word.slice(slash + 1);
    const p = namespaceProblem(fromArg);
    if (p) return { kind: "usage", problem: p };
    if (namespace !== undefined && namespace !== fromArg)
      return { kind: "usage", problem: `"${word}" names namespace ${fromArg} but -n says ${namespace}` };
    namespace = fromArg;
  }
  const p = releaseNameProblem(release);
  if (p) return { kind: "usage", problem: p };
  return { kind: last ? "last" : "diagnose", release, namespace: namespace ?? defaultNamespace };
}
