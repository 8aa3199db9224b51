// Diagnosis, progress, release list and errors → Slack Block Kit messages. Every message stays within Slack's
// limits by construction (50 blocks, 3000 characters per section text, 150 per header, 75 per button text,
// 2000 per button value, the confirm dialog's limits): texts are clipped by code points after mrkdwn escaping,
// blocks are counted as they are added, and what does not fit in the channel message goes to thread replies.
// Pure: redaction happens where a message leaves (src/slack/client.ts, the report store); a secret a clip cuts
// short is still recognised there (report/redact.ts). Nothing here reads release values.
import type { types } from "@slack/bolt";
import type { Diagnosis, Finding, RemediationAction } from "../diagnosis/types.js";
import type { ReleaseListing } from "../snapshot/build.js";
import {
  isExecutable,
  isOffered,
  isRejected,
  needsAttention,
  notAFix,
  orderedRemediations,
  present,
  remediationCommand,
  remediationLabel,
  triage,
} from "./present.js";
import { historyTable, reportHistory } from "./text.js";

export type Block = types.KnownBlock;
export type Button = types.Button;

export interface SlackMessage {
  /** Notification / fallback text (plain, ≤ 3000 characters). */
  text: string;
  blocks: Block[];
}

export const SLACK_LIMITS = {
  messageBlocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  messageText: 40000,
} as const;

/** Executable remediations become buttons; at most this many per report. */
export const MAX_BUTTONS = 5;
/** Thread replies per report at most. */
export const MAX_THREAD_MESSAGES = 8;

// ---------------------------------------------------------------- text helpers

/** UTF-16 index just after the first `n` code points of `s` (s.length when it has fewer). */
function indexAfter(s: string, n: number): number {
  let i = 0;
  for (let count = 0; count < n && i < s.length; count++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return i;
}

/** Code points in `s` (Slack counts these). */
export function cpLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return n;
}

/** Does `s` have more than `max` code points? (Cheap for long strings.) */
function over(s: string, max: number): boolean {
  return s.length > max && indexAfter(s, max) < s.length;
}

/** Clip to `max` code points, ending with "…" when cut. */
export function clip(s: string, max: number): string {
  if (!over(s, max)) return s;
  return `${s.slice(0, indexAfter(s, Math.max(0, max - 1)))}…`;
}

/** Escape the three characters Slack's mrkdwn treats as control characters (mentions, links). */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Clip escaped mrkdwn without leaving half an entity (&am…) at the cut. */
export function clipMrkdwn(s: string, max: number): string {
  if (!over(s, max)) return s;
  let head = s.slice(0, indexAfter(s, Math.max(0, max - 1)));
  head = head.replace(/&[a-z]{0,3}$/, "");
  // An unbalanced code fence would swallow the rest of the message formatting.
  if ((head.match(/```/g) ?? []).length % 2 === 1) {
    head = head.slice(0, indexAfter(head, Math.max(0, max - 6)));
    return `${head}…\n\`\`\``;
  }
  return `${head}…`;
}

function clipPlain(s: string, max: number): string {
  return over(s, max) ? s.slice(0, indexAfter(s, max)) : s;
}

function nonEmpty(s: string): string {
  return s.trim() === "" ? "—" : s;
}

// ---------------------------------------------------------------- block helpers

export function section(mrkdwn: string): Block {
  return {
    type: "section",
    text: { type: "mrkdwn", text: nonEmpty(clipMrkdwn(mrkdwn, SLACK_LIMITS.sectionText)) },
  };
}

export function header(plain: string): Block {
  return {
    type: "header",
    text: { type: "plain_text", text: nonEmpty(clip(plain, SLACK_LIMITS.headerText)), emoji: true },
  };
}

export function context(...mrkdwn: string[]): Block {
  return {
    type: "context",
    elements: mrkdwn
      .slice(0, SLACK_LIMITS.contextElements)
      .map((t) => ({ type: "mrkdwn" as const, text: nonEmpty(clipMrkdwn(t, SLACK_LIMITS.sectionText)) })),
  };
}

export const divider: Block = { type: "divider" };

/** Pack lines into section texts of at most `max` code points (a line longer than that is clipped). */
export function packLines(lines: string[], max = SLACK_LIMITS.sectionText): string[] {
  const out: string[] = [];
  let cur = "";
  let curLen = 0;
  for (const raw of lines) {
    const line = clipMrkdwn(raw, max);
    const len = cpLength(line);
    if (cur !== "" && curLen + 1 + len > max) {
      out.push(cur);
      cur = "";
      curLen = 0;
    }
    cur = cur === "" ? line : `${cur}\n${line}`;
    curLen = cur === line ? len : curLen + 1 + len;
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** Blocks of one message, refusing what would exceed Slack's 50-block limit (keeping `reserve` free). */
export class Blocks {
  readonly list: Block[] = [];
  constructor(private readonly max: number = SLACK_LIMITS.messageBlocks) {}
  get room(): number {
    return this.max - this.list.length;
  }
  add(b: Block, reserve = 0): boolean {
    if (this.list.length + 1 + reserve > this.max) return false;
    this.list.push(b);
    return true;
  }
}

/** Clip a message's fallback text. */
export function msg(text: string, blocks: Block[]): SlackMessage {
  return { text: clip(text, 3000), blocks };
}

// ---------------------------------------------------------------- vocabulary

const SEVERITY_ICON: Record<string, string> = {
  critical: ":red_circle:",
  warning: ":large_orange_circle:",
  info: ":large_blue_circle:",
};
const SEVERITY_NAME: Record<string, string> = { critical: "Critical", warning: "Warning", info: "Info" };

export function statusIcon(status: string | undefined): string {
  if (!status) return ":grey_question:";
  if (status === "deployed") return ":large_green_circle:";
  if (status === "failed") return ":red_circle:";
  if (status.startsWith("pending-") || status === "uninstalling") return ":large_orange_circle:";
  return ":white_circle:";
}

// ---------------------------------------------------------------- remediation buttons

/** An executable remediation offered as a button; its index is the button's position. */
export interface RemediationOption {
  action: Exclude<RemediationAction, "chart-fix" | "manual">;
  revision?: number;
  summary: string;
  label: string;
  findingCode: string;
  resources: { kind: string; name: string; namespace?: string }[];
}

/** The buttons a report offers, in order (the stored diagnosis keeps the same list). */
export function remediationOptions(d: Diagnosis): RemediationOption[] {
  const out: RemediationOption[] = [];
  const seen = new Set<string>();
  for (const f of d.findings) {
    for (const r of orderedRemediations(f)) {
      if (!isExecutable(r) || !isOffered(r)) continue;
      const key = `${r.action}:${r.revision ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        action: r.action as RemediationOption["action"],
        ...(r.revision !== undefined ? { revision: r.revision } : {}),
        summary: r.summary,
        label: remediationLabel(r),
        findingCode: f.code,
        resources: (r.resources ?? []).map((x) => ({
          kind: x.kind,
          name: x.name,
          ...(x.namespace ? { namespace: x.namespace } : {}),
        })),
      });
      if (out.length >= MAX_BUTTONS) return out;
    }
  }
  return out;
}

function names(o: RemediationOption): string {
  const list = o.resources.map((r) => `${r.kind} ${r.name}`);
  if (list.length === 0) return "";
  return list.length > 3 ? `${list.slice(0, 3).join(", ")} and ${list.length - 3} more` : list.join(", ");
}

/** What a button will do, for its confirm dialog (plain text, ≤ 300). */
export function confirmText(d: Diagnosis, o: RemediationOption): string {
  const rel = `${d.namespace}/${d.release}`;
  const next = d.revision !== undefined ? d.revision + 1 : undefined;
  const writes = next !== undefined ? `writes revision ${next}` : "writes a new revision";
  const guard = d.revision !== undefined ? ` Refused if ${rel} has moved past revision ${d.revision}.` : "";
  let what: string;
  switch (o.action) {
    case "rerun-upgrade":
      what = `Re-runs the upgrade of ${rel} with revision ${o.revision ?? "?"}'s chart and values and ${writes}: pre-upgrade hooks, then the manifest, then post-upgrade hooks.`;
      break;
    case "rollback":
      what = `Rolls ${rel} back to revision ${o.revision ?? "?"} and ${writes} (like helm rollback): its manifest is applied, objects it lacks are deleted, rollback hooks run.`;
      break;
    case "restore-hook-resources":
      what = `Recreates ${names(o) || "the missing hook objects"} of ${rel} from revision ${o.revision ?? "?"}'s stored hook manifests. No new revision is written.`;
      break;
    case "delete-leftover-hook":
      what = `Deletes the leftover hook object${o.resources.length === 1 ? "" : "s"} ${names(o)} in ${d.namespace} so the next Helm operation can create ${o.resources.length === 1 ? "it" : "them"}. No new revision is written.`;
      break;
  }
  return clip(`${what}${guard}`, SLACK_LIMITS.confirmText);
}

const CONFIRM_WORD: Record<RemediationOption["action"], string> = {
  "rerun-upgrade": "Re-run upgrade",
  rollback: "Roll back",
  "restore-hook-resources": "Restore",
  "delete-leftover-hook": "Delete",
};
const DANGER = new Set<string>(["rollback", "delete-leftover-hook"]);

/**
 * The opaque button value: a stored diagnosis id and the option's index, and the cluster when the install names
 * clusters (only that cluster's agent runs what the button starts). Never a command.
 */
export function buttonValue(diagnosisId: string, index: number, cluster?: string): string {
  return clipPlain(`${diagnosisId}.${index}${cluster ? `.${cluster}` : ""}`, SLACK_LIMITS.buttonValue);
}

export function parseButtonValue(
  v: string,
): { diagnosisId: string; index: number; cluster?: string } | undefined {
  const m = /^([A-Za-z0-9_-]{8,128})\.(\d{1,2})(?:\.([a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?))?$/.exec(v);
  if (!m) return undefined;
  return { diagnosisId: m[1]!, index: Number(m[2]), ...(m[3] ? { cluster: m[3] } : {}) };
}

/** "prod · " before what a message is about, when the install names clusters (never for `default`). */
export function clusterLabel(cluster: string | undefined): string {
  return cluster && cluster !== "default" ? `${cluster} · ` : "";
}

export const REMEDIATE_ACTION_RE = /^remediate-(\d{1,2})$/;

function button(
  d: Diagnosis,
  o: RemediationOption,
  i: number,
  diagnosisId: string,
  cluster: string | undefined,
): Button {
  const rel = `${clusterLabel(cluster)}${d.namespace}/${d.release}`;
  const title =
    o.action === "rollback"
      ? `Roll back ${rel} to revision ${o.revision ?? "?"}?`
      : o.action === "rerun-upgrade"
        ? `Re-run the upgrade of ${rel}?`
        : `${o.label} of ${rel}?`;
  return {
    type: "button",
    action_id: `remediate-${i}`,
    text: { type: "plain_text", text: clip(o.label, CHANNEL_BUTTON_TEXT), emoji: true },
    value: buttonValue(diagnosisId, i, clusterLabel(cluster) ? cluster : undefined),
    // The first is the one to try (recommended, else the least invasive); the others that destroy say so.
    ...(i === 0 ? { style: "primary" as const } : DANGER.has(o.action) ? { style: "danger" as const } : {}),
    confirm: {
      title: { type: "plain_text", text: clip(title, SLACK_LIMITS.confirmTitle) },
      text: { type: "plain_text", text: confirmText(d, o) },
      confirm: { type: "plain_text", text: clip(CONFIRM_WORD[o.action], SLACK_LIMITS.confirmButton) },
      deny: { type: "plain_text", text: "Cancel" },
      ...(DANGER.has(o.action) ? { style: "danger" as const } : {}),
    },
  };
}

// ---------------------------------------------------------------- the report

export interface ReportOptions {
  /** The stored diagnosis the buttons refer to; without it the report has no buttons. */
  diagnosisId?: string;
  /** Who asked (Slack user id), named in the channel message's context line. */
  requestedBy?: string;
  /** The release's cluster: named in the header and carried by the buttons (unless it is `default`). */
  cluster?: string;
}

export interface RenderedReport {
  /** The decision: the cause, its impact, the fixes as buttons, one context line. */
  main: SlackMessage;
  /** Thread replies: why, the evidence, every fix with its command, the other findings, history, gaps. Once. */
  thread: SlackMessage[];
}

/** The channel message fits a laptop screen without Slack's "Show more". */
export const CHANNEL_BUDGET = { blocks: 10, chars: 700 } as const;
/** Longest button label in the channel message (Slack allows 75). */
const CHANNEL_BUTTON_TEXT = 45;

function verdict(d: Diagnosis): { icon: string; line: string } {
  const top = d.findings[0];
  if (top) return { icon: SEVERITY_ICON[top.severity] ?? ":red_circle:", line: top.title };
  if (d.revision === undefined) return { icon: ":warning:", line: "no readable release record" };
  if (d.gaps.length > 0)
    return { icon: ":white_check_mark:", line: "no problems found in what could be read" };
  return { icon: ":white_check_mark:", line: "healthy, no problems found" };
}

function evidenceLine(e: { source: string; detail: string }, max = 400): string {
  return `• _${esc(clip(e.source, 120))}:_ ${esc(clip(e.detail, max))}`;
}

/** Every fix once: what it does and its command; advice (chart fix, what to do) with its label. */
function fixLines(d: Diagnosis, f: Finding): string[] {
  const lines: string[] = [];
  for (const r of f.remediations.filter((x) => !isRejected(x))) {
    lines.push(
      isExecutable(r)
        ? `• ${esc(clip(r.summary, 1500))}`
        : `• *${esc(remediationLabel(r))}:* ${esc(clip(r.summary, 1500))}`,
    );
    const cmd = remediationCommand(d, r);
    if (cmd) lines.push(`   \`${esc(cmd)}\``);
  }
  for (const r of f.remediations.filter(isRejected)) lines.push(`• _${esc(clip(notAFix(r), 1500))}_`);
  return lines;
}

function gapLines(d: Diagnosis): string[] {
  return d.gaps.map(
    (g) =>
      `• ${esc(clip(g.what, 200))}: ${esc(clip(g.reason, 100))}${g.detail ? ` (${esc(clip(g.detail, 300))})` : ""}`,
  );
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The visible text of a message's blocks (header, sections, context, buttons), as Slack counts it. */
export function visibleText(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks as unknown as Array<Record<string, unknown>>) {
    const t = b.text as { text?: string } | undefined;
    if (t?.text) out.push(t.text);
    for (const f of (b.fields as { text: string }[] | undefined) ?? []) out.push(f.text);
    for (const e of (b.elements as Array<Record<string, unknown>> | undefined) ?? []) {
      if (typeof e.text === "string") out.push(e.text);
      else if (e.text && typeof (e.text as { text?: string }).text === "string")
        out.push((e.text as { text: string }).text);
    }
  }
  return out.join("\n");
}

/**
 * The channel message is the decision: a header with the cause, one impact line, the recommended fix as the
 * primary button and the others beside it, one context line. Everything else goes in the thread, once.
 */
export function renderReport(raw: Diagnosis, o: ReportOptions = {}): RenderedReport {
  const d = present(raw);
  const rel = `${clusterLabel(o.cluster)}${d.namespace}/${d.release}`;
  const { icon, line } = verdict(d);
  const blocks: Block[] = [header(`${icon} ${rel}: ${line}`)];

  const options = o.diagnosisId ? remediationOptions(raw) : [];
  const buttons = options.map((opt, i) => button(d, opt, i, o.diagnosisId!, o.cluster));
  const ctx: string[] = [];
  const facts =
    d.revision !== undefined
      ? `revision ${d.revision} · ${statusIcon(d.status)} ${esc(d.status ?? "unknown")} · ${esc(clip(d.chart || "unknown chart", 80))}`
      : "no readable revision";
  ctx.push(
    `${facts}${o.requestedBy && /^[UW][A-Z0-9]+$/.test(o.requestedBy) ? ` · requested by <@${o.requestedBy}>` : ""}`,
  );
  const [top, ...rest] = d.findings;
  const thread = top || d.gaps.length > 0;
  if (thread)
    ctx.push(
      `Why, evidence and history in the thread :thread:${o.diagnosisId ? ` · ref \`${o.diagnosisId}\`` : ""}`,
    );

  // The lines between header and buttons get what the budget leaves.
  const lines: string[] = [];
  if (top?.impact) lines.push(`*Impact:* ${esc(top.impact)}`);
  if (top && !top.impact && options.length === 0) {
    const advice =
      top.remediations.find((r) => r.action === "manual") ?? top.remediations.find((r) => !isRejected(r));
    if (advice) lines.push(`*Fix:* ${esc(firstSentence(advice.summary))}`);
  }
  if (rest.length > 0) {
    const crit = rest.filter((f) => f.severity === "critical").length;
    lines.push(
      `_Also ${plural(rest.length, "more finding")}${crit > 0 ? ` (${crit} critical)` : ""}: ${esc(rest.map((f) => f.code).join(", "))}_`,
    );
  }
  if (d.gaps.length > 0)
    lines.push(
      `:warning: Could not read ${plural(d.gaps.length, "thing")}, so the findings may be incomplete.`,
    );

  const fixed = [
    ...blocks,
    ...(buttons.length > 0
      ? [{ type: "actions", block_id: "remediations", elements: buttons } as Block]
      : []),
    context(...ctx),
  ];
  const room = CHANNEL_BUDGET.chars - cpLength(visibleText(fixed)) - 1;
  if (lines.length > 0 && room > 40) blocks.push(section(clipMrkdwn(lines.join("\n"), room)));
  if (buttons.length > 0) blocks.push({ type: "actions", block_id: "remediations", elements: buttons });
  blocks.push(context(...ctx));

  return { main: msg(`${rel}: ${line}`, blocks), thread: thread ? renderDetails(raw, o.cluster) : [] };
}

function firstSentence(s: string): string {
  const m = /^(.+?[.:])(\s|$)/.exec(s);
  return clip(m ? m[1]! : s, 200);
}

/**
 * Thread replies: each finding's story, evidence and fixes with their commands, then history and gaps. The first
 * finding's title is the channel message's header, so its part starts with why.
 */
export function renderDetails(raw: Diagnosis, cluster?: string): SlackMessage[] {
  const d = present(raw);
  const rel = `${d.namespace}/${d.release}`;
  const all: Block[] = [];
  const perMessage = SLACK_LIMITS.messageBlocks - 1;
  const enough = perMessage * MAX_THREAD_MESSAGES + 1;
  const many = d.findings.length > 1;
  d.findings.forEach((f, i) => {
    if (all.length >= enough) return;
    const n = many ? `${i + 1} of ${d.findings.length} · ` : "";
    const head =
      i === 0
        ? `*${n}Why* \`${f.code}\``
        : `*${n}${SEVERITY_ICON[f.severity] ?? ""} ${SEVERITY_NAME[f.severity] ?? f.severity}: ${esc(clip(f.title, 300))}*  \`${f.code}\`${f.impact ? `\n*Impact:* ${esc(clip(f.impact, 300))}` : ""}`;
    all.push(section(`${head}\n${esc(clip(f.explanation, 2600))}`));
    if (f.evidence.length > 0)
      for (const chunk of packLines(["*Evidence*", ...f.evidence.map((e) => evidenceLine(e, 2500))]))
        all.push(section(chunk));
    const fix = fixLines(d, f);
    if (fix.length > 0) for (const chunk of packLines(["*Fixes*", ...fix])) all.push(section(chunk));
  });
  if (d.revisions.length > 0) {
    const { rows, earlier } = reportHistory(d);
    const table = historyTable(rows, { descriptionMax: 60 });
    const more =
      earlier > 0
        ? `\n${plural(earlier, "earlier revision")}: \`helm-doctor history ${esc(d.release)} -n ${esc(d.namespace)}\``
        : "";
    all.push(section(`*History*\n\`\`\`\n${esc(clip(table, 2600))}\n\`\`\`${more}`));
  }
  if (d.gaps.length > 0) {
    for (const chunk of packLines(["*Could not read* (the findings may be incomplete)", ...gapLines(d)]))
      all.push(section(chunk));
  }
  const pages: Block[][] = [];
  for (let i = 0; i < all.length; i += perMessage) pages.push(all.slice(i, i + perMessage));
  const out: SlackMessage[] = [];
  const total = pages.length;
  for (let i = 0; i < Math.min(total, MAX_THREAD_MESSAGES); i++) {
    const blocks = [...pages[i]!];
    if (i === MAX_THREAD_MESSAGES - 1 && total > MAX_THREAD_MESSAGES) {
      blocks[blocks.length - 1] = context(
        `_Truncated: ${total - MAX_THREAD_MESSAGES} more page(s) of details. Run \`helm-doctor diagnose ${esc(d.release)} -n ${esc(d.namespace)}\` for everything._`,
      );
    }
    // The notification text names a named cluster, as the report's does.
    out.push(
      msg(
        `Details for ${clusterLabel(cluster)}${rel} (${i + 1}/${Math.min(total, MAX_THREAD_MESSAGES)})`,
        blocks,
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------- progress, errors, lists, help

export interface Target {
  release?: string;
  namespace: string;
  /** The cluster, named in messages unless it is `default`. */
  cluster?: string;
}

function targetName(t: Target): string {
  return `${clusterLabel(t.cluster)}${t.release ? `${t.namespace}/${t.release}` : t.namespace}`;
}

/** The channel message while a job runs. */
export function renderProgress(t: Target, step: string, requesters: string[] = []): SlackMessage {
  const what = t.release ? `Diagnosing ${targetName(t)}` : `Listing Helm releases in ${targetName(t)}`;
  const blocks: Block[] = [section(`:hourglass_flowing_sand: *${esc(what)}…*\n${esc(clip(step, 500))}`)];
  const users = [...new Set(requesters)].filter((u) => /^[UW][A-Z0-9]+$/.test(u));
  if (users.length > 0) {
    const shown = users.slice(0, 8).map((u) => `<@${u}>`);
    blocks.push(
      context(`Requested by ${shown.join(", ")}${users.length > 8 ? ` and ${users.length - 8} more` : ""}`),
    );
  }
  return msg(`${what}… ${step}`, blocks);
}

/** A job that ended without a report. */
export function renderError(t: Target, problem: string, hint?: string): SlackMessage {
  const what = t.release
    ? `Could not diagnose ${targetName(t)}`
    : `Could not list releases in ${targetName(t)}`;
  const blocks: Block[] = [section(`:x: *${esc(what)}*\n${esc(clip(problem, 2000))}`)];
  if (hint) blocks.push(context(esc(clip(hint, 1000))));
  return msg(`${what}: ${problem}`, blocks);
}

/** `list`: every release of a namespace with its status, the ones needing attention first. */
export function renderReleaseList(
  namespace: string,
  listings: ReleaseListing[],
  command = "/helm-doctor",
  cluster?: string,
): SlackMessage {
  const sorted = triage(listings);
  const bad = sorted.filter(needsAttention);
  const b = new Blocks();
  b.add(header(`:clipboard: Helm releases in ${clusterLabel(cluster)}${namespace}`));
  if (sorted.length === 0) {
    b.add(section(`There are no Helm releases in namespace \`${esc(namespace)}\`.`));
    return msg(`No Helm releases in ${namespace}`, b.list);
  }
  b.add(
    section(
      bad.length > 0
        ? `*${bad.length} of ${sorted.length}* ${bad.length === 1 ? "is" : "are"} not deployed (failed, stuck or uninstalled). Diagnose one with \`${esc(command)} ${cluster && clusterLabel(cluster) ? `${esc(cluster)}/` : ""}${esc(namespace)}/<release>\`.`
        : `All ${sorted.length} releases are deployed by their release records; a diagnosis checks their hooks and pods.`,
    ),
  );
  const line = (r: ReleaseListing) =>
    `${statusIcon(r.status)} *${esc(r.name)}* · ${esc(r.status)} · revision ${r.latestRevision}${r.revisions > 1 ? ` (${r.revisions} stored)` : ""}`;
  const chunks = packLines(sorted.map(line));
  let shownLines = 0;
  for (const c of chunks) {
    if (!b.add(section(c), 1)) break;
    shownLines += c.split("\n").length;
  }
  if (shownLines < sorted.length) b.add(context(`…and ${sorted.length - shownLines} more not shown`));
  const summary = bad.length > 0 ? `${bad.length} of ${sorted.length} not deployed` : "all deployed";
  return msg(`Helm releases in ${clusterLabel(cluster)}${namespace}: ${summary}`, b.list);
}

export function renderHelp(command = "/helm-doctor", defaultNamespace = "default"): SlackMessage {
  const c = esc(command);
  const text = [
    "*helm-doctor* explains why a Helm release is broken, with the evidence, and offers the fix.",
    `• \`${c} &lt;release&gt; [-n &lt;namespace&gt;]\` diagnose a release (namespace default: \`${esc(defaultNamespace)}\`)`,
    `• \`${c} &lt;namespace&gt;/&lt;release&gt;\` the same`,
    `• \`${c} list [-n &lt;namespace&gt;]\` every release with its status, the ones needing attention first`,
    `• \`${c} last &lt;release&gt; [-n &lt;namespace&gt;]\` post the release's latest report again`,
    `• \`${c} &lt;cluster&gt;/&lt;namespace&gt;/&lt;release&gt;\` or \`--cluster &lt;cluster&gt;\` address another cluster (one helm-doctor for many)`,
    `• \`${c} clusters\` the clusters whose agents are alive, and when each was last seen`,
    `• \`${c} help\` this help`,
    "The report appears in the channel and is updated while it runs; buttons offer the remediations you are allowed to run (each asks for confirmation first).",
  ].join("\n");
  return msg(
    `${command} <release> [-n namespace] | <namespace>/<release> | <cluster>/<namespace>/<release> | list [-n namespace] | last <release> | clusters | help`,
    [section(text)],
  );
}

/** An ephemeral answer to bad input: what is wrong, then the usage. */
export function renderUsageError(
  problem: string,
  command = "/helm-doctor",
  defaultNamespace = "default",
): SlackMessage {
  const help = renderHelp(command, defaultNamespace);
  return msg(`${problem}`, [section(`:warning: ${esc(clip(problem, 1000))}`), ...help.blocks]);
}

/** A short notice (refusals, queue errors); `mrkdwn` is already escaped (it may hold <@U…> mentions). */
export function renderNotice(icon: string, mrkdwn: string): SlackMessage {
  return msg(mrkdwn, [section(`${icon} ${mrkdwn}`)]);
}
