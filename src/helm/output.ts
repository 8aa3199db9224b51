// A helm command's output as people hand it over: what `helm … 2>&1 | tee upgrade.log` wrote, a CI job's log or a
// CI bot's post. CI runners decorate every line — GitHub Actions' timestamps (`2026-11-20T11:10:00.1234567Z `) and
// workflow commands (`##[error]`, `::error::`), GitLab's section markers (`section_start:1763636400:deploy\r\e[0K`),
// its timestamped logs (`… 00O `) and ANSI colours, Jenkins' timestamper (`[2026-11-20T11:10:00.123Z] `), Windows
// line ends — and none of that is Helm's. `cleanOutput` takes it off; `helmErrorText` finds Helm's error in what
// is left. Pure.

// Escape sequences: CSI (colours, `\e[0K`), OSC (titles, links), Buildkite's APC timestamps, and two-byte ones.
const ESCAPES = new RegExp(
  [
    "\\u001b\\[[0-?]*[ -/]*[@-~]",
    "\\u001b\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)",
    "\\u001b_[^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)",
    "\\u001b[@-Z\\\\-_]",
  ].join("|"),
  "g",
);

// What a runner puts in front of a line, outermost first; removed repeatedly (a timestamp, then `##[error]`).
const TIMESTAMP = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?(?:Z|[+-]\\d\\d:?\\d\\d)?";
const LINE_PREFIXES: RegExp[] = [
  /^\uFEFF/,
  // GitHub Actions (and GitLab's timestamped logs: the stream and a continuation mark after the time).
  new RegExp(`^${TIMESTAMP}(?: \\d\\d[OE]\\+?)? ?`),
  // Jenkins' timestamper and similar: `[2026-11-20T11:10:00.123Z] `, `[11:10:00] `.
  new RegExp(`^\\[(?:${TIMESTAMP}|\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?)\\] ?`),
  // Azure Pipelines and GitHub Actions logging commands.
  /^##\[[a-z]+\] ?/,
  // GitLab's collapsible sections.
  /^section_(?:start|end):\d+:[^\s[]*(?:\[[^\]]*\])?/,
];
/** GitHub Actions workflow commands (`::error file=x::message`), whose message escapes %, CR and LF. */
const WORKFLOW_COMMAND = /^::(?:error|warning|notice|debug|group|endgroup)(?: [^:]*)?::/;

function stripPrefixes(line: string): string {
  let cur = line;
  for (;;) {
    const before = cur;
    for (const p of LINE_PREFIXES) cur = cur.replace(p, "");
    const wc = WORKFLOW_COMMAND.exec(cur);
    if (wc) cur = cur.slice(wc[0].length).replace(/%0D/gi, "").replace(/%0A/gi, "\n").replace(/%25/g, "%");
    if (cur === before) return cur;
  }
}

/** The output as helm printed it: escape sequences, runner prefixes and CR line ends removed. */
export function cleanOutput(text: string): string {
  const lines = text.replace(ESCAPES, "").replace(/\r\n/g, "\n").replace(/\r/g, "\n").split("\n");
  return lines.flatMap((l) => stripPrefixes(l).split("\n")).join("\n");
}

/**
 * Where a helm command's error begins. helm prints `Error: ` and the error, which names the failed operation
 * (pkg/cmd/upgrade.go "UPGRADE FAILED", install.go "INSTALLATION FAILED") or comes from pkg/action directly
 * (rollback.go "release %s failed", uninstall.go "uninstall: …", validate.go's ownership check, the pending lock).
 * `Error: ` alone is not enough: every tool prints it (`Error: Cannot find module`, `Error: Process completed`).
 */
export const HELM_ERROR_START = new RegExp(
  `\\bError: (?=${[
    "(?:UPGRADE|INSTALLATION|UNINSTALLATION|ROLLBACK) FAILED",
    "release \\S+ failed",
    '"[^"]+" has no deployed releases',
    "another operation \\(install/upgrade/rollback\\) is in progress",
    "uninstall: ",
    "uninstallation completed with",
    "release: not found",
    "release has no \\d+ version",
    "cannot re-?use a name",
    "unable to build kubernetes objects",
    "[Uu]nable to continue with (?:update|install)",
    "rendered manifests contain",
    "(?:pre|post)-(?:install|upgrade|rollback|delete) hooks failed",
    "failed (?:pre|post)-install",
    "execution error at",
    "template: ",
    "values don't meet the specifications of the schema",
  ].join("|")})`,
);
/** Helm's failure sentences as release records store them (`Upgrade "web" failed: …`), quoted in CI summaries. */
export const HELM_FAILURE_SENTENCE = /\b(?:Release|Upgrade|Rollback) "[a-z0-9][a-z0-9.-]*" failed\b/;
/** The operation prefix at a line's start without `Error: ` (a log that dropped it, a pasted line). */
const BARE_OPERATION = /^[ \t]*(?:UPGRADE|INSTALLATION|UNINSTALLATION|ROLLBACK) FAILED: /m;

/** Where Helm's error starts in `text` (already clean), if it holds one. */
export function helmErrorStart(text: string): number | undefined {
  const starts = [
    HELM_ERROR_START.exec(text)?.index,
    HELM_FAILURE_SENTENCE.exec(text)?.index,
    BARE_OPERATION.exec(text)?.index,
  ].filter((i): i is number => i !== undefined);
  return starts.length ? Math.min(...starts) : undefined;
}

// Lines after Helm's error that are not part of it: the runner's and the shell's own (`Process completed with exit
// code 1`, `ERROR: Job failed`, `+ cmd`), and helm --debug's repetition of the error with its stack.
const NOT_HELM =
  /^(?:Process completed with exit code|Error: Process completed with exit code|ERROR: Job failed|Cleaning up (?:project directory|file based variables|orphan processes)|script returned exit code|make(?:\[\d+\])?: \*\*\*|exit status \d|\+ |\$ |[\w.-]+\.go:\d+: \[debug\])/;

/**
 * Helm's error in a command's output (runner decorations removed): from where it starts to where it ends — a blank
 * line (a go-multierror list ends with one) or a line of the runner's own. Undefined when the output holds none (a
 * successful upgrade, another tool's failure).
 */
export function helmErrorText(output: string): string | undefined {
  const text = cleanOutput(output);
  // A retry loop (a shell loop, `retry`, GitLab's retry:) prints one error per attempt: the last one failed the job,
  // the earlier ones are stale.
  let last: string | undefined;
  let from = 0;
  while (from < text.length) {
    const rel = helmErrorStart(text.slice(from));
    if (rel === undefined) break;
    const start = from + rel;
    // From the start of the error's line is too much (a CI post's prose); from `Error: ` on.
    const lines = text.slice(start).split("\n");
    const out: string[] = [];
    let used = 0;
    for (const line of lines) {
      if (out.length > 0 && (line.trim() === "" || NOT_HELM.test(line.trim()))) break;
      out.push(line.trimEnd());
      used += line.length + 1;
    }
    const err = out.join("\n").trim();
    if (err !== "") last = err;
    from = start + Math.max(used, 1);
  }
  return last;
}

/**
 * The release (and namespace, when said) a Helm error is about, when it names one: the ownership check prints the
 * values it requires (`must be set to "<release>"`, `must equal "<release>"`; pkg/action/validate.go requireValue),
 * an upgrade of a release with no deployed revision names it. A helmfile or CI log can hold another release's error.
 */
export function errorRelease(error: string): { release?: string; namespace?: string } {
  const name =
    /"meta\.helm\.sh\/release-name":?[^"]*?(?:must be set to|must equal) "([^"]+)"/.exec(error)?.[1] ??
    /(?:UPGRADE FAILED: )"([^"]+)" has no deployed releases/.exec(error)?.[1];
  const namespace = /"meta\.helm\.sh\/release-namespace":?[^"]*?(?:must be set to|must equal) "([^"]*)"/.exec(
    error,
  )?.[1];
  return { ...(name ? { release: name } : {}), ...(namespace ? { namespace } : {}) };
}

/** Is the Helm error in `output` about another release than `release` of `namespace`? Its name, when it says. */
export function otherRelease(output: string, release: string, namespace: string): string | undefined {
  const text = helmErrorText(output);
  if (!text) return undefined;
  const said = errorRelease(text);
  if (said.release && said.release !== release) return said.release;
  if (said.release && said.namespace && said.namespace !== namespace)
    return `${said.namespace}/${said.release}`;
  return undefined;
}
