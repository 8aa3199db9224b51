// What an unasked report does once its diagnosis is done (pure): post a new message, update the one already
// posted for the release, mark it resolved, or nothing. One message per release problem: the same revision and
// finding set is never posted twice, a change (another revision, other findings) updates that message with a
// thread reply saying what changed, and a healthy diagnosis afterwards resolves it. After a resolution, the next
// problem is a new message. A diagnosis that could not run (a Role without `get`, an API server failing) is a
// message too, saying so and when the watcher asks again; the report replaces it once a diagnosis runs.
import { type Block, clip, context, esc, header, type SlackMessage, section } from "../report/blockkit.js";
import type { Trigger } from "./triggers.js";

/** The report posted for a release (kept in Redis: a restart or another replica sees it). */
export interface AlertState {
  cluster: string;
  namespace: string;
  release: string;
  channel: string;
  /** The channel message. */
  ts: string;
  /** The revision and record version the message shows. */
  revision: number | null;
  resourceVersion?: string;
  /** The finding codes at warning or critical that the message shows, sorted. */
  problems: string[];
  state: "open" | "resolved";
  /** The message's headline (its notification text). */
  headline: string;
  postedAt: string;
  updatedAt: string;
  diagnosisId?: string;
}

/** A finished diagnosis, as the alert logic sees it. */
export interface Outcome {
  revision: number | null;
  status: string | null;
  /** Codes of the findings at warning or critical (a release with none is healthy). */
  problems: string[];
  headline: string;
}

export type AlertAction =
  | { kind: "post" }
  | { kind: "update" }
  | { kind: "resolve" }
  | { kind: "none"; why: string };

/** The warning-or-worse codes of a diagnosis's findings, sorted and unique. */
export function problemCodes(findings: { code: string; severity: string }[]): string[] {
  return [
    ...new Set(
      findings.filter((f) => f.severity === "critical" || f.severity === "warning").map((f) => f.code),
    ),
  ].sort();
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function decideAlert(prev: AlertState | undefined, outcome: Outcome): AlertAction {
  const open = prev?.state === "open";
  if (outcome.problems.length === 0)
    return open ? { kind: "resolve" } : { kind: "none", why: "healthy, and no open report" };
  if (!open) return { kind: "post" };
  if (prev!.revision === outcome.revision && sameSet(prev!.problems, outcome.problems))
    return { kind: "none", why: "same revision and findings as the report already posted" };
  return { kind: "update" };
}

/**
 * The pseudo finding code of a message saying the diagnosis could not run: a later report differs from it (an
 * update), a healthy one resolves it, the same failure again says nothing new.
 */
export const NOT_DIAGNOSED = "diagnosis-failed";

/**
 * The message for a trigger whose diagnosis ended in an error: the worker's error message when there is one (it
 * names the release and the problem, e.g. the missing RBAC rule), and when the watcher asks again.
 */
export function notDiagnosedMessage(
  error: SlackMessage | undefined,
  problem: string,
  t: Trigger,
  retryAt: Date,
): SlackMessage {
  const rel = `${t.namespace}/${t.release}`;
  const m =
    error ??
    ({
      text: `Could not diagnose ${rel}: ${problem}`,
      blocks: [section(`:x: *Could not diagnose ${esc(rel)}*\n${esc(clip(problem, 2000))}`)],
    } satisfies SlackMessage);
  return withContext(
    m,
    `helm-doctor watch asks again at ${retryAt.toISOString().slice(0, 16).replace("T", " ")} UTC, and replaces this message with the report once a diagnosis runs.`,
  );
}

/** "prod · " when the cluster is named (a single-cluster install's `default` is not). */
export function clusterPrefix(cluster: string): string {
  return cluster === "default" ? "" : `${cluster} · `;
}

function withContext(m: SlackMessage, line: string): SlackMessage {
  const blocks = [...m.blocks, context(line)];
  return { text: m.text, blocks };
}

/** The report as posted without anyone asking: the report, and a line saying why it was posted. */
export function unaskedReport(report: SlackMessage, trigger: Trigger, cluster: string): SlackMessage {
  return withContext(
    report,
    `:rotating_light: ${esc(clusterPrefix(cluster))}posted by helm-doctor watch: ${esc(trigger.reason)}`,
  );
}

/** The report, updated: the latest diagnosis, saying it replaced an earlier one. */
export function updatedReport(
  report: SlackMessage,
  trigger: Trigger,
  cluster: string,
  at: Date,
): SlackMessage {
  return withContext(
    report,
    `:arrows_counterclockwise: ${esc(clusterPrefix(cluster))}updated by helm-doctor watch ${at.toISOString().slice(0, 16).replace("T", " ")} UTC: ${esc(trigger.reason)}`,
  );
}

/** The thread reply of an update: what changed. */
export function changeReply(prev: AlertState, outcome: Outcome, trigger: Trigger): SlackMessage {
  const added = outcome.problems.filter((c) => !prev.problems.includes(c));
  const gone = prev.problems.filter((c) => !outcome.problems.includes(c) && c !== NOT_DIAGNOSED);
  const lines = [`:arrows_counterclockwise: *Changed:* ${esc(clip(outcome.headline, 300))}`];
  lines.push(`_${esc(trigger.reason)}_`);
  if (prev.revision !== outcome.revision && outcome.revision !== null)
    lines.push(
      `Revision ${prev.revision ?? "?"} → ${outcome.revision} (${esc(outcome.status ?? "unknown")})`,
    );
  if (added.length > 0) lines.push(`New: ${added.map((c) => `\`${c}\``).join(", ")}`);
  if (gone.length > 0) lines.push(`No longer found: ${gone.map((c) => `\`${c}\``).join(", ")}`);
  const text = lines.join("\n");
  return { text: `Changed: ${outcome.headline}`, blocks: [section(text)] };
}

/** The report message once the release is healthy again: resolved, what it was, no (stale) buttons. */
export function resolvedReport(prev: AlertState, outcome: Outcome, cluster: string, at: Date): SlackMessage {
  const rel = `${prev.namespace}/${prev.release}`;
  const now =
    outcome.revision === null ? "" : ` with revision ${outcome.revision} (${outcome.status ?? "?"})`;
  const blocks: Block[] = [
    header(`:white_check_mark: ${clusterPrefix(cluster)}${rel}: resolved`),
    section(`Healthy again${esc(now)}.\n~${esc(clip(prev.headline, 500))}~`),
    context(
      `resolved ${at.toISOString().slice(0, 16).replace("T", " ")} UTC · reported ${prev.postedAt.slice(0, 16).replace("T", " ")} UTC by helm-doctor watch`,
    ),
  ];
  return { text: `${clusterPrefix(cluster)}${rel}: resolved${now}`, blocks };
}

/** The thread reply of a resolution. */
export function resolvedReply(prev: AlertState, outcome: Outcome, why: string): SlackMessage {
  const rel = `${clusterPrefix(prev.cluster)}${prev.namespace}/${prev.release}`;
  const text = `:white_check_mark: *Resolved:* ${esc(rel)} ${outcome.revision === null ? "is gone" : `revision ${outcome.revision} is ${esc(outcome.status ?? "?")} with no problems found`} (${esc(why)}).`;
  return { text: `Resolved: ${rel}`, blocks: [section(text)] };
}
