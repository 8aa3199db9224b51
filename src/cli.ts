// The helm-doctor command line: diagnose and history against a bundle file or a live cluster.
import type { parseArgs } from "node:util";
import { parseOptions } from "./cli-options.js";
import { BundleSource } from "./cluster/bundle.js";
import type { LiveSource } from "./cluster/live.js";
import { type SnapshotSource, SourceError } from "./cluster/source.js";
import { revisionSummaries } from "./diagnosis/diagnose.js";
import { SEVERITY_RANK, type Severity } from "./diagnosis/types.js";
import { closest } from "./didyoumean.js";
import { errorRelease, helmErrorText } from "./helm/output.js";
import { provesInstalled } from "./helm/ownership.js";
import { ask, localUser, parseDuration } from "./remediation/command.js";
import type { ExecutableAction } from "./remediation/types.js";
import { diagnoseVerified } from "./remediation/verify.js";
import { diagnosisJson } from "./report/json.js";
import { colourWanted, makeStyle } from "./report/style.js";
import { historyTable, renderBrief, renderText } from "./report/text.js";
import type { ReleaseListing } from "./snapshot/build.js";
import { SnapshotIndex } from "./snapshot/index.js";

export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, failOn: 4 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  /** Progress on slow reads goes to stderr only when a person watches it. */
  stderrIsTTY?: boolean;
  /** Standard input, read whole (tests give it; the binary reads process.stdin). */
  stdin?: () => Promise<string>;
  /** Whether a person can answer a question on standard input (remediations ask before writing). */
  stdinIsTTY?: boolean;
  /** The clock that times progress output, ms (default Date.now). */
  now?: () => number;
}

export class UsageError extends Error {}

const HELP = `helm-doctor — explain and fix broken Helm releases

Usage:
  helm-doctor diagnose <release> [-n ns] [--bundle FILE | --kubeconfig FILE --context C]
                       [--output text|json|slack | --brief] [--now RFC3339] [--fail-on critical|warning]
                       [--helm-output FILE|-] [--quiet]
  helm-doctor history <release> [-n ns] [--bundle FILE | --kubeconfig FILE --context C] [--output text|json]
  helm-doctor list [-n ns | -A] [--bundle FILE | --kubeconfig FILE --context C] [--output text|json]
  helm-doctor capture <release> [-n ns] [--kubeconfig FILE --context C] > bundle.json
  helm-doctor rerun <release> [-n ns] [--revision N] [--dry-run] [--yes]
  helm-doctor rollback <release> <revision> [-n ns] [--dry-run] [--yes]
  helm-doctor restore-hooks <release> [-n ns] [--revision N] [--dry-run] [--yes]
  helm-doctor serve [--bundle FILE] [--no-worker]   Slack front end + a diagnosis worker (env: SLACK_*, REDIS_URL, …)
                                        (--no-worker: the front end only, of clusters whose agents run \`worker\`)
  helm-doctor worker [--bundle FILE] [--watch]   diagnosis workers only, to scale out (--watch: and the watcher)
  helm-doctor watch                     post reports unasked when releases go wrong (env: HELM_DOCTOR_WATCH_NAMESPACES, …)
  helm-doctor rbac -n NS[,NS…] [--remediation] [--watch]   Role/RoleBinding YAML with exactly the rules helm-doctor uses
  helm-doctor help

Options:
  -n, --namespace NS   the release namespace (default: the kubeconfig context's, or "default")
      --bundle FILE    read a captured snapshot (Kubernetes List JSON or multi-document YAML) instead of a cluster
      --kubeconfig F   kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
      --context C      kubeconfig context
      --driver D       where Helm keeps records: secret, configmap or auto (default: $HELM_DRIVER, else auto)
  -A, --all-namespaces list: every namespace's releases
  -o, --output FMT     text (default), json, or (diagnose) slack: the Block Kit message and thread Slack would show
      --brief          diagnose: one line per finding (for scripts and pagers)
  -q, --quiet          no progress on stderr (shown on a terminal when reading a cluster takes over a second)
      --now TIME       the clock for age-based findings (RFC3339), default: now
      --fail-on SEV    exit 4 when a finding is at or above SEV (critical or warning)
      --helm-output F  the output of the failed helm command (a file, or - for standard input), as evidence:
                       failures Helm prints without storing a revision (ownership, rendering, a record too large)
      --dry-run        rerun/rollback/restore-hooks: print the plan, change nothing
  -y, --yes            rerun/rollback/restore-hooks: do not ask for confirmation (required when stdin is not a terminal)
      --timeout D      per-hook timeout, e.g. 5m (default 5m); --history-max N records kept (default $HELM_MAX_HISTORY, else 10)
  -h, --help           this help
  -v, --version        print the version

The release may also be given as <namespace>/<release>.
Exit codes: 0 diagnosed; 1 error; 2 usage error; 3 release not found; 4 a finding at or above --fail-on.

Examples:
  helm-doctor diagnose yahoo -n default --bundle test/fixtures/founding-case.json
  helm-doctor diagnose shop/yahoo --output json --fail-on critical
  set -o pipefail; helm upgrade shop ./chart 2>&1 | tee upgrade.log || helm-doctor diagnose shop --helm-output upgrade.log --fail-on warning
`;

interface Common {
  release: string;
  namespace?: string;
  output: "text" | "json" | "slack";
  source: SnapshotSource;
}

const optionSpec = {
  namespace: { type: "string", short: "n" },
  "all-namespaces": { type: "boolean", short: "A" },
  bundle: { type: "string" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  output: { type: "string", short: "o" },
  now: { type: "string" },
  "fail-on": { type: "string" },
  "helm-output": { type: "string" },
  brief: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  driver: { type: "string" },
  watch: { type: "boolean" },
  "no-worker": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;
type OptionName = keyof typeof optionSpec;

const SOURCE_OPTIONS: OptionName[] = ["namespace", "bundle", "kubeconfig", "context", "driver", "help"];
/** The options each command takes; any other is a usage error that lists these. */
const COMMAND_OPTIONS: Record<string, OptionName[]> = {
  diagnose: [...SOURCE_OPTIONS, "output", "now", "fail-on", "helm-output", "brief", "quiet"],
  history: [...SOURCE_OPTIONS, "output", "quiet"],
  list: [...SOURCE_OPTIONS, "all-namespaces", "output", "quiet"],
  capture: ["namespace", "kubeconfig", "context", "driver", "quiet", "help"],
  serve: ["bundle", "kubeconfig", "context", "driver", "no-worker", "help"],
  worker: ["bundle", "kubeconfig", "context", "driver", "watch", "help"],
  watch: ["kubeconfig", "context", "driver", "help"],
};

function parse(argv: string[], command = "diagnose") {
  const names = COMMAND_OPTIONS[command] ?? (Object.keys(optionSpec) as OptionName[]);
  const spec = Object.fromEntries(names.map((n) => [n, optionSpec[n]])) as Partial<typeof optionSpec>;
  let parsed: ReturnType<typeof parseOptions<typeof optionSpec>>;
  try {
    parsed = parseOptions(command, spec as typeof optionSpec, argv);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  return {
    values: values as ReturnType<typeof parseArgs<{ options: typeof optionSpec }>>["values"],
    positionals,
  };
}

/** Split "<ns>/<release>" and validate the name as Helm does (lowercase RFC 1123 subdomain, ≤ 53). */
export function releaseArg(
  raw: string | undefined,
  ns: string | undefined,
): { release: string; namespace?: string } {
  if (!raw) throw new UsageError("missing <release>");
  let release = raw;
  let namespace = ns;
  const slash = raw.indexOf("/");
  if (slash >= 0) {
    const fromArg = raw.slice(0, slash);
    if (ns && ns !== fromArg) throw new UsageError(`"${raw}" names namespace ${fromArg} but -n says ${ns}`);
    namespace = fromArg;
    release = raw.slice(slash + 1);
  }
  if (
    release.length > 53 ||
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(release)
  ) {
    throw new UsageError(
      `invalid release name "${release}": Helm release names are lowercase letters, digits, "-" and ".", at most 53 characters`,
    );
  }
  return { release, namespace };
}

async function makeSource(
  values: ReturnType<typeof parse>["values"],
  env: NodeJS.ProcessEnv,
): Promise<SnapshotSource> {
  if (values.bundle) {
    if (values.kubeconfig || values.context)
      throw new UsageError("--bundle cannot be combined with --kubeconfig/--context");
    return new BundleSource(values.bundle);
  }
  const { LiveSource } = await import("./cluster/live.js");
  return LiveSource.fromKubeconfig({
    kubeconfig: values.kubeconfig,
    context: values.context,
    driver: values.driver,
    env,
  });
}

export function notFoundMessage(
  release: string,
  namespace: string,
  present: ReleaseListing[],
  elsewhere: ReleaseListing[],
  /** What was read ("bundle x.json", "cluster …"): an empty bundle says so instead of "not found". */
  source?: string,
): string {
  if (present.length === 0 && elsewhere.length === 0 && source?.startsWith("bundle"))
    return `${source} holds no Helm release records (Secrets or ConfigMaps labelled owner=helm), so there is no release "${release}" to diagnose: capture one with helm-doctor capture ${release} -n ${namespace} > bundle.json`;
  const lines = [`release "${release}" not found in namespace "${namespace}"`];
  const near = new Set(
    closest(
      release,
      [...present, ...elsewhere].map((r) => r.name),
    ),
  );
  const close = [...present, ...elsewhere].filter((r) => near.has(r.name));
  const sameName = elsewhere.filter((r) => r.name === release);
  for (const r of sameName)
    lines.push(`  a release "${release}" exists in namespace "${r.namespace}": try -n ${r.namespace}`);
  if (close.length > 0)
    lines.push(
      `  did you mean: ${close.map((r) => (r.namespace === namespace ? r.name : `${r.namespace}/${r.name}`)).join(", ")}?`,
    );
  lines.push(
    present.length > 0
      ? `  releases in "${namespace}": ${present.map((r) => `${r.name} (${r.status}, revision ${r.latestRevision})`).join(", ")}`
      : `  there are no Helm releases in namespace "${namespace}"`,
  );
  return lines.join("\n");
}

async function resolveRelease(c: Common, o: { ownedObjects?: boolean } = {}): Promise<string> {
  const ns = c.namespace ?? "default";
  const present = await c.source.releases(ns);
  if (present.some((r) => r.name === c.release)) return ns;
  // Records can disagree with their labels; a snapshot still finds them by payload or object name.
  const snap = await c.source.load(c.release, ns, new Date());
  if (snap.records.length > 0) return ns;
  // No records at all, but objects its uninstall would have deleted carry its ownership: the release exists and
  // its records are gone — that is the diagnosis, not "no such release".
  if (o.ownedObjects && snap.objects.some((x) => provesInstalled(x, c.release, ns))) return ns;
  let elsewhere: ReleaseListing[] = [];
  try {
    elsewhere = (await c.source.releases(undefined)).filter((r) => r.namespace !== ns);
  } catch {
    // listing every namespace may be forbidden; the message just says less
  }
  throw new SourceError(
    notFoundMessage(c.release, ns, present, elsewhere, c.source.describe()),
    EXIT.notFound,
  );
}

async function commonArgs(command: string, argv: string[], io: Io, outputs = ["text", "json"]) {
  const { values, positionals } = parse(argv, command);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const { release, namespace } = releaseArg(positionals[0], values.namespace);
  const output = values.output ?? "text";
  if (!outputs.includes(output))
    throw new UsageError(
      `--output must be ${outputs.join(", ").replace(/, ([^,]*)$/, " or $1")}, not "${output}"`,
    );
  const source = await makeSource(values, io.env);
  let ns = namespace;
  if (!ns && "defaultNamespace" in source) ns = (source as { defaultNamespace(): string }).defaultNamespace();
  if (!ns && values.bundle) {
    // A bundle usually holds one namespace: use the one where the release is.
    const hits = (await source.releases(undefined)).filter((r) => r.name === release);
    if (hits.length === 1) ns = hits[0]!.namespace || "default";
  }
  return {
    values,
    common: { release, namespace: ns ?? "default", output: output as Common["output"], source },
  };
}

async function cmdDiagnose(argv: string[], io: Io): Promise<number> {
  const { values, common } = await commonArgs("diagnose", argv, io, ["text", "json", "slack"]);
  if (values.brief && common.output !== "text")
    throw new UsageError("--brief prints text; leave out --output");
  let now = new Date();
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (!/^\d{4}-\d\d-\d\dT/.test(values.now) || Number.isNaN(now.getTime())) {
      throw new UsageError(`--now must be an RFC3339 time such as 2026-11-24T10:00:00Z, not "${values.now}"`);
    }
  }
  const failOn = values["fail-on"];
  if (failOn !== undefined && failOn !== "critical" && failOn !== "warning") {
    throw new UsageError(`--fail-on must be critical or warning, not "${failOn}"`);
  }
  const helmOutput =
    values["helm-output"] !== undefined ? await readHelmOutput(values["helm-output"], io) : undefined;
  const helmError = helmOutput !== undefined && helmErrorText(helmOutput) !== undefined;
  if (helmOutput !== undefined && !helmError)
    io.err(
      `helm-doctor: no Helm error found in --helm-output ${values["helm-output"] === "-" ? "(standard input)" : values["helm-output"]} (no line such as "Error: UPGRADE FAILED: …"); diagnosing the cluster without it\n`,
    );
  // A helmfile or CI log may hold another release's error: Helm names the release it checked.
  const about = helmError ? errorRelease(helmErrorText(helmOutput!)!).release : undefined;
  const foreign = about !== undefined && about !== common.release;
  if (foreign)
    io.err(
      `helm-doctor: the Helm error in --helm-output is about release ${about}, not ${common.release}; diagnosing the cluster without it\n`,
    );
  // A failed first install may have stored nothing: with its error, an empty history is still a diagnosis.
  const ns =
    helmError && !foreign
      ? (common.namespace ?? "default")
      : await resolveRelease(common, { ownedObjects: true });
  const progress = stepper(io, !!values.quiet);
  const snapshot = await common.source
    .load(common.release, ns, now, { ...(helmOutput ? { helmOutput } : {}), onStep: progress.step })
    .finally(progress.done);
  const d = diagnoseVerified(snapshot);
  if (common.output === "json") io.out(`${JSON.stringify(diagnosisJson(d), null, 2)}\n`);
  else if (common.output === "slack") {
    // What the Slack channel message and its thread would show, redacted as Slack requests are (the rendered
    // message, with the snapshot's secrets), to paste into Block Kit Builder; the buttons carry a placeholder id.
    const { learnSnapshot } = await import("./queue/secrets.js");
    const { Redactor } = await import("./report/redact.js");
    const { renderReport } = await import("./report/blockkit.js");
    const r = renderReport(d, { diagnosisId: "cli-preview" });
    const redactor = new Redactor();
    learnSnapshot(redactor, snapshot);
    const shown = redactor.deep({ ...r.main, thread: r.thread });
    io.out(`${JSON.stringify(shown, null, 2)}\n`);
  } else if (values.brief) io.out(renderBrief(d));
  else io.out(renderText(d, makeStyle(colourWanted({ isTTY: io.stdoutIsTTY }, io.env))));
  if (failOn && d.findings.some((f) => SEVERITY_RANK[f.severity] <= SEVERITY_RANK[failOn as Severity]))
    return EXIT.failOn;
  return EXIT.ok;
}

/**
 * Progress on stderr while a live read is slow: nothing for the first second, then the current step on one line
 * that is cleared when reading ends. Only on a terminal, and never with --quiet.
 */
function stepper(io: Io, quiet: boolean): { step: (s: string) => void; done: () => void } {
  if (quiet || !io.stderrIsTTY) return { step: () => {}, done: () => {} };
  const now = io.now ?? Date.now;
  const start = now();
  let current = "";
  let shown = false;
  const show = () => {
    if (!current) return;
    io.err(`\r\x1b[2K… ${current}`);
    shown = true;
  };
  const timer = setInterval(() => now() - start >= 1000 && show(), 250);
  timer.unref();
  return {
    step: (s) => {
      current = s;
      if (now() - start >= 1000) show();
    },
    done: () => {
      clearInterval(timer);
      if (shown) io.err("\r\x1b[2K");
    },
  };
}

/** The failed helm command's output: a file, or standard input for "-". */
async function readHelmOutput(file: string, io: Io): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = file === "-" ? await (io.stdin ?? readStdin)() : await readFile(file, "utf8");
  } catch (e) {
    throw new SourceError(`cannot read --helm-output ${file}: ${(e as Error).message}`);
  }
  return text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function cmdHistory(argv: string[], io: Io): Promise<number> {
  const { values, common } = await commonArgs("history", argv, io);
  const ns = await resolveRelease(common);
  const progress = stepper(io, !!values.quiet);
  const snapshot = await common.source
    .load(common.release, ns, new Date(), { allRevisions: true, onStep: progress.step })
    .finally(progress.done);
  const ix = new SnapshotIndex(snapshot);
  const rows = revisionSummaries(ix);
  if (common.output === "json") {
    // helm history -o json field names, plus the records that could not be decoded (with error and record).
    const json = rows.map((r) => ({
      revision: r.revision,
      updated: r.updated,
      status: r.status,
      chart: r.chart,
      app_version: r.appVersion,
      description: r.error !== undefined ? "" : r.description,
      ...(r.error !== undefined ? { error: r.error, record: r.record } : {}),
    }));
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.out(`${historyTable(rows)}\n`);
  }
  return EXIT.ok;
}

/** `list`: the namespace's releases (or every namespace's with -A), the ones needing attention first. */
async function cmdList(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, "list");
  if (positionals.length > 0) throw new UsageError(`list takes no release, found "${positionals[0]}"`);
  if (values["all-namespaces"] && values.namespace) throw new UsageError("give -n or -A, not both");
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json")
    throw new UsageError(`--output must be text or json, not "${output}"`);
  const source = await makeSource(values, io.env);
  let ns: string | undefined;
  if (!values["all-namespaces"]) {
    ns = values.namespace;
    if (!ns && "defaultNamespace" in source)
      ns = (source as { defaultNamespace(): string }).defaultNamespace();
    ns ??= "default";
  }
  const { triage, needsAttention } = await import("./report/present.js");
  const rows = triage(await source.releases(ns));
  if (output === "json") {
    io.out(
      `${JSON.stringify(
        rows.map((r) => ({ ...r, attention: needsAttention(r) })),
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.out(`no Helm releases ${ns ? `in namespace "${ns}"` : "in any namespace"}\n`);
    return EXIT.ok;
  }
  const table = [
    ["NAME", "NAMESPACE", "REVISION", "STATUS", "STORED"],
    ...rows.map((r) => [r.name, r.namespace, String(r.latestRevision), r.status, String(r.revisions)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    io.out(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  const bad = rows.filter(needsAttention).length;
  io.out(
    bad > 0
      ? `\n${bad} of ${rows.length} ${bad === 1 ? "is" : "are"} not deployed (failed, stuck or uninstalled): helm-doctor diagnose <release>${ns ? ` -n ${ns}` : " -n <namespace>"}\n`
      : `\nall ${rows.length} deployed by their release records; helm-doctor diagnose <release> checks their hooks and pods\n`,
  );
  return EXIT.ok;
}

function help(io: Io): number {
  io.out(HELP);
  return EXIT.ok;
}

/** serve / worker / watch: long-running; configuration comes from the environment (see deploy/README.md). */
async function cmdDaemon(mode: "serve" | "worker" | "watch", argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, mode);
  if (positionals.length > 0) throw new UsageError(`${mode} takes no arguments, found "${positionals[0]}"`);
  if (values.watch && values.bundle)
    throw new UsageError("--watch watches a cluster's release records: it cannot be combined with --bundle");
  const { loadConfig, ConfigError } = await import("./config.js");
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(io.env, mode, { watch: values.watch === true });
  } catch (e) {
    if (e instanceof ConfigError) throw new SourceError(e.message);
    throw e;
  }
  // One source per process: the kubeconfig is read once; a bundle (demo, tests) stands in for a cluster.
  const { sourceFactoryOf } = await import("./cluster/source-spec.js");
  const sourceSpec = {
    bundle: values.bundle,
    kubeconfig: values.kubeconfig ?? config.kubeconfig,
    context: values.context,
    driver: values.driver,
  };
  const sourceFactory = sourceFactoryOf(sourceSpec, io.env);
  // JSON logs (or text on a terminal), /metrics, and the worker's own /healthz and /readyz.
  let obs: import("./observability/daemon.js").Observability | undefined;
  let handle: { close(): Promise<void> };
  try {
    const { observability } = await import("./observability/daemon.js");
    obs = observability(mode, config, io.env);
    if (mode === "serve") {
      const { startServe } = await import("./slack/serve.js");
      const h = await startServe(config, {
        sourceFactory,
        // --no-worker: the multi-cluster front end; every cluster's agent runs its own jobs.
        ...(values["no-worker"] ? { embeddedWorker: false } : {}),
        workerThread: { source: sourceSpec, env: io.env },
        logger: obs.boltLogger,
        handleSignals: false,
      });
      if (h.worker) obs.watchWorkers(h.worker);
      handle = h;
      io.err(
        `helm-doctor serve: listening on port ${h.port}${config.slack.appToken ? " (Socket Mode)" : " (/slack/events)"}\n`,
      );
    } else if (mode === "watch") {
      // The watcher diagnoses through the queue: a worker (or serve) of the same cluster runs the jobs.
      const { startWatchAgent, watchedResources } = await import("./watch/agent.js");
      const { NotReadyError } = await import("./observability/ready.js");
      // /healthz answers while the watcher starts (its first election waits for Redis, up to 5 s when it is down).
      let w: import("./watch/watcher.js").Watcher | undefined;
      const port = await obs.serveOps(config.port, () =>
        w ? w.ready() : Promise.reject(new NotReadyError("starting: joining the cluster's watcher election")),
      );
      w = await startWatchAgent(config, { ...values, env: io.env, log: obs.log });
      obs.watchWatcher(w);
      handle = w;
      io.err(
        `helm-doctor watch: cluster ${config.cluster}, namespaces ${config.watch?.namespaces === "*" ? "*" : config.watch?.namespaces.join(",")}, records in ${watchedResources(values.driver ?? io.env.HELM_DRIVER).join(" and ")}${port ? ` (/healthz, /readyz, /metrics on port ${port})` : ""}\n`,
      );
    } else {
      const { startWorker } = await import("./queue/worker.js");
      const h = await startWorker(config, { sourceFactory, log: obs.log, handleSignals: false });
      obs.watchWorkers(h);
      handle = h;
      let watcher: import("./watch/watcher.js").Watcher | undefined;
      const { withTimeout } = await import("./queue/redis.js");
      const { NotReadyError } = await import("./observability/ready.js");
      // Served before the watcher starts: its first election waits for Redis (up to 5 s when it is down).
      const port = await obs.serveOps(config.port, async () => {
        await withTimeout(h.store.ping(), 1000, "no answer within 1 s");
        if (values.watch && !watcher)
          throw new NotReadyError("starting: joining the cluster's watcher election");
        watcher?.assertAllowed();
      });
      if (values.watch) {
        const { startWatchAgent } = await import("./watch/agent.js");
        const w = await startWatchAgent(config, {
          ...values,
          env: io.env,
          log: obs.log,
          heartbeat: h.heartbeat,
        }).catch(async (e: unknown) => {
          await h.close();
          throw e;
        });
        watcher = w;
        obs.watchWatcher(w);
        handle = { close: () => w.close().then(() => h.close()) };
      }
      io.err(
        `helm-doctor worker: waiting for jobs${port ? ` (/healthz, /readyz, /metrics on port ${port})` : ""}\n`,
      );
    }
  } catch (e) {
    await obs?.close(); // its Redis connection and server would keep a failed start from exiting
    const name = (e as Error).name;
    if (
      name === "PolicyError" ||
      name === "StartupError" ||
      name === "ConfigError" ||
      name === "LogConfigError"
    )
      throw new SourceError((e as Error).message);
    throw e;
  }
  // Run until SIGTERM/SIGINT, then close cleanly and settle with the exit status: a promise that never settles
  // would make Node exit with 13 (unsettled top-level await) once the closed handles let the event loop drain.
  return new Promise<number>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      io.err(`helm-doctor ${mode}: ${sig}, stopping\n`);
      const done = (code: number) => {
        // A job abandoned at shutdown (handed back to the queue) may still hold a socket: do not wait for it.
        setTimeout(() => process.exit(code), config.exitWaitMs).unref();
        resolve(code);
      };
      handle
        .close()
        .then(() => obs?.close())
        .then(
          () => {
            io.err(`helm-doctor ${mode}: stopped\n`);
            done(EXIT.ok);
          },
          (e: unknown) => {
            io.err(`helm-doctor ${mode}: stopping failed: ${(e as Error).message}\n`);
            done(EXIT.error);
          },
        );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

async function cmdCapture(argv: string[], io: Io): Promise<number> {
  const { values, common } = await commonArgs("capture", argv, io);
  const source = common.source as LiveSource;
  const ns = await resolveRelease(common);
  const progress = stepper(io, !!values.quiet);
  const snap = await source
    .load(common.release, ns, new Date(), { onStep: progress.step })
    .finally(progress.done);
  const items = source.lastObjects;
  io.out(
    `${JSON.stringify({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items }, null, 2)}\n`,
  );
  const events = items.filter((o) => o.kind === "Event").length;
  io.err(
    `captured ${common.release} in ${ns}: ${snap.records.length} of ${snap.records.length + (snap.unread?.length ?? 0)} revisions, ` +
      `${items.length - snap.records.length - events} objects, ${events} events from ${source.describe()} ` +
      `(${source.lastCalls} API calls${snap.gaps.length ? `; could not read: ${snap.gaps.map((g) => `${g.what} (${g.reason})`).join(", ")}` : ""}); Secret data redacted\n`,
  );
  return EXIT.ok;
}

const COMMANDS = [
  "diagnose",
  "history",
  "list",
  "capture",
  "rerun",
  "rollback",
  "restore-hooks",
  "serve",
  "worker",
  "watch",
  "rbac",
  "help",
];

export async function main(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case "help":
      case "-h":
      case "--help":
        io.out(HELP);
        return cmd === undefined ? EXIT.usage : EXIT.ok;
      case "-v":
      case "--version":
        io.out(`${await version()}\n`);
        return EXIT.ok;
      case "diagnose":
        return rest.includes("-h") || rest.includes("--help") ? help(io) : await cmdDiagnose(rest, io);
      case "history":
        return rest.includes("-h") || rest.includes("--help") ? help(io) : await cmdHistory(rest, io);
      case "list":
        return rest.includes("-h") || rest.includes("--help") ? help(io) : await cmdList(rest, io);
      case "serve":
      case "worker":
      case "watch":
        return rest.includes("-h") || rest.includes("--help") ? help(io) : await cmdDaemon(cmd, rest, io);
      case "capture":
        return rest.includes("-h") || rest.includes("--help") ? help(io) : await cmdCapture(rest, io);
      case "rerun":
        return rest.includes("-h") || rest.includes("--help")
          ? help(io)
          : await cmdRemediate("rerun-upgrade", rest, io);
      case "rollback":
        return rest.includes("-h") || rest.includes("--help")
          ? help(io)
          : await cmdRemediate("rollback", rest, io);
      case "rbac": {
        if (rest.includes("-h") || rest.includes("--help")) {
          const { RBAC_HELP } = await import("./rbac/command.js");
          io.out(RBAC_HELP);
          return EXIT.ok;
        }
        const { rbacCommand, RbacUsageError } = await import("./rbac/command.js");
        try {
          io.out(rbacCommand(rest));
        } catch (e) {
          if (e instanceof RbacUsageError) throw new UsageError(e.message);
          throw e;
        }
        return EXIT.ok;
      }
      case "restore-hooks":
        return rest.includes("-h") || rest.includes("--help")
          ? help(io)
          : await cmdRemediate("restore-hook-resources", rest, io);
      default: {
        const close = closest(cmd, COMMANDS);
        throw new UsageError(
          `unknown command "${cmd}"${close.length > 0 ? ` (did you mean ${close.join(" or ")}?)` : ""}; commands: ${COMMANDS.join(", ")}`,
        );
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`helm-doctor: ${e.message}\nRun "helm-doctor help" for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof SourceError) {
      io.err(`helm-doctor: ${e.message}\n`);
      return e.exitCode;
    }
    io.err(`helm-doctor: ${(e as Error).message ?? String(e)}\n`);
    return EXIT.error;
  }
}

// ---- remediation commands: rerun, rollback, restore-hooks (the same planner and executor as Slack)

const remediateSpec = {
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  driver: { type: "string" },
  revision: { type: "string" },
  "dry-run": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  timeout: { type: "string" },
  "history-max": { type: "string" },
  output: { type: "string", short: "o" },
} as const;

class NeedsYes extends Error {}

const COMMAND_NAME: Record<ExecutableAction, string> = {
  "rerun-upgrade": "rerun",
  rollback: "rollback",
  "restore-hook-resources": "restore-hooks",
  "delete-leftover-hook": "delete-leftover-hook",
};

async function cmdRemediate(action: ExecutableAction, argv: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseOptions<typeof remediateSpec>>;
  try {
    parsed = parseOptions(COMMAND_NAME[action], remediateSpec, argv);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const want = action === "rollback" ? 2 : 1;
  if (positionals.length > want) throw new UsageError(`unexpected argument "${positionals[want]}"`);
  const { release, namespace } = releaseArg(positionals[0], values.namespace);
  const int = (raw: string | undefined, what: string, min: number): number | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new UsageError(`${what} must be a whole number ≥ ${min}, not "${raw}"`);
    return Number(raw);
  };
  let revision = int(values.revision, "--revision", 1);
  if (action === "rollback") {
    if (positionals[1] === undefined)
      throw new UsageError("missing <revision>: helm-doctor rollback <release> <revision>");
    revision = int(positionals[1], "<revision>", 0);
  }
  const timeout = values.timeout === undefined ? undefined : parseDuration(values.timeout);
  if (values.timeout !== undefined && timeout === undefined)
    throw new UsageError(`--timeout must be a duration such as 300s or 5m, not "${values.timeout}"`);
  // Like helm: --history-max, else HELM_MAX_HISTORY, else 10 (0: no limit).
  const historyMax = int(
    values["history-max"] ?? io.env.HELM_MAX_HISTORY,
    values["history-max"] === undefined ? "HELM_MAX_HISTORY" : "--history-max",
    0,
  );
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json")
    throw new UsageError(`--output must be text or json, not "${output}"`);
  const { LiveSource } = await import("./cluster/live.js");
  const source = await LiveSource.fromKubeconfig({
    kubeconfig: values.kubeconfig,
    context: values.context,
    driver: values.driver,
    env: io.env,
  });
  const ns = namespace ?? source.defaultNamespace();
  await resolveRelease({ release, namespace: ns, output, source });
  const { KubeWriter } = await import("./cluster/writer.js");
  const { remediate, renderPlan, renderProgress, renderResult } = await import("./remediation/index.js");
  const text = output === "text";
  const stdinTTY = !!io.stdinIsTTY;
  let shown = false;
  let result: Awaited<ReturnType<typeof remediate>>;
  try {
    result = await remediate({
      release,
      namespace: ns,
      action,
      revision,
      requestedBy: localUser(io.env),
      source,
      writer: new KubeWriter(source.kubeConfig),
      dryRun: !!values["dry-run"],
      hookTimeoutMs: timeout,
      historyMax,
      onProgress: (e) => (text ? io.out(renderProgress(e)) : io.err(renderProgress(e))),
      logger: { info: (line) => io.err(`${line}\n`) },
      confirm: async (plan) => {
        if (text) io.out(renderPlan(plan));
        shown = true;
        if (values.yes) return true;
        if (!stdinTTY) throw new NeedsYes();
        return ask("Proceed? [y/N] ");
      },
    });
  } catch (e) {
    if (e instanceof NeedsYes) {
      io.err(
        "helm-doctor: stdin is not a terminal, so there is no one to confirm: pass --yes to go ahead (or --dry-run to see the plan only)\n",
      );
      return EXIT.usage;
    }
    throw e;
  }
  if (result.plan.refusalKind === "no-such-revision" && text) {
    io.err(`helm-doctor: ${result.plan.refusal}\n`);
    return EXIT.usage;
  }
  if (!text) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else {
    if (!shown) io.out(renderPlan(result.plan));
    io.out(renderResult(result));
  }
  if (result.plan.refusalKind === "no-such-revision") return EXIT.usage;
  return result.outcome === "succeeded" || result.outcome === "dry-run" || result.outcome === "already-done"
    ? EXIT.ok
    : EXIT.error;
}

async function version(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
