// Remediation plans and results → Slack Block Kit, for the plan → confirm flow in a report's thread:
// - the plan message: what will be created, changed, deleted, which hooks run in order, which revision is
//   written, warnings; Confirm (primary, with Slack's confirm dialog) and Cancel buttons carrying the plan id;
// - its later states (confirmed, running with progress, cancelled, done) re-use the plan's blocks ("head");
// - the result reply (outcome, who, the new `helm history` line, errors) and the report message's update.
// Every message stays within Slack's limits (the helpers in blockkit.ts clip and count); long plans are
// truncated with a count and the CLI command that prints all of it. Redaction happens where a message leaves
// (src/slack/client.ts, the report store); plans carry object kinds and names, never Secret data or values.
import type { Plan, PredictionCheck, ProgressEvent, RemediationResult } from "../remediation/types.js";
import {
  type Block,
  Blocks,
  type Button,
  clip,
  clusterLabel,
  context,
  esc,
  msg,
  packLines,
  SLACK_LIMITS,
  type SlackMessage,
  section,
} from "./blockkit.js";
import { afterThis } from "./present.js";

export const PLAN_CONFIRM_ACTION = "plan-confirm";
export const PLAN_CANCEL_ACTION = "plan-cancel";

/** Blocks the plan itself may take; its states add at most a few (actions, progress, result, footer). */
export const PLAN_HEAD_MAX_BLOCKS = 40;

/** The plan's first line while it waits; later states replace it with what happened. */
const DRY_RUN_NOTE = " · a dry run: nothing has changed yet";

type PlanAction = Plan["action"];

const TITLES: Record<PlanAction, string> = {
  "rerun-upgrade": "Re-run the upgrade of",
  rollback: "Roll back",
  "restore-hook-resources": "Restore the hook objects of",
  "delete-leftover-hook": "Delete the leftover hook objects of",
};

/** "Roll back default/yahoo to revision 1" */
export function planTitleText(p: Pick<Plan, "action" | "namespace" | "release" | "sourceRevision">): string {
  const rel = `${p.namespace}/${p.release}`;
  switch (p.action) {
    case "rollback":
      return `Roll back ${rel} to revision ${p.sourceRevision ?? "?"}`;
    case "rerun-upgrade":
      // A plan refused before it chose a revision (a pending lock, no deployed revision) has none.
      return `Re-run the upgrade of ${rel}${p.sourceRevision !== undefined ? ` with revision ${p.sourceRevision}'s chart and values` : ""}`;
    default:
      return `${TITLES[p.action]} ${rel}${p.sourceRevision !== undefined ? ` (revision ${p.sourceRevision})` : ""}`;
  }
}

/** The CLI command that prints the whole plan (for truncated plans). */
export function planCommand(p: Pick<Plan, "action" | "namespace" | "release" | "sourceRevision">): string {
  const ns = `-n ${p.namespace}`;
  switch (p.action) {
    case "rollback":
      return `helm-doctor rollback ${p.release} ${p.sourceRevision ?? "<revision>"} ${ns} --dry-run`;
    case "rerun-upgrade":
      return `helm-doctor rerun ${p.release} ${ns}${p.sourceRevision !== undefined ? ` --revision ${p.sourceRevision}` : ""} --dry-run`;
    case "restore-hook-resources":
      return `helm-doctor restore-hooks ${p.release} ${ns}${p.sourceRevision !== undefined ? ` --revision ${p.sourceRevision}` : ""} --dry-run`;
    case "delete-leftover-hook":
      return `helm-doctor diagnose ${p.release} ${ns}`;
  }
}

function refText(ref: { kind: string; name: string; namespace?: string | undefined }): string {
  return `${esc(clip(ref.kind, 100))} \`${esc(clip(ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name, 300))}\``;
}

const OP_HEADINGS: { op: Plan["changes"][number]["op"]; title: string }[] = [
  { op: "create", title: "Creates" },
  { op: "patch", title: "Changes" },
  { op: "delete", title: "Deletes" },
  { op: "skip", title: "Leaves as they are" },
];

export interface PlanHeadOptions {
  /** The Slack user who pressed the report button. */
  requester: string;
  /** The release's cluster, named in the plan's title unless it is `default`. */
  cluster?: string;
  /** Objects listed at most (default 40), hooks at most (default 25). */
  maxObjects?: number;
  maxHooks?: number;
}

/** Add packed sections; returns how many of `lines` (after the first, a heading) did not fit. */
function addLines(b: Blocks, lines: string[], reserve: number): number {
  const chunks = packLines(lines);
  let shown = 0;
  for (const c of chunks) {
    if (!b.add(section(c), reserve)) break;
    shown += c.split("\n").length;
  }
  return Math.max(0, lines.length - Math.max(shown, 1));
}

/** The plan as shown in the thread, without buttons or footer: what every later state of the message keeps. */
export function renderPlanHead(p: Plan, o: PlanHeadOptions): SlackMessage {
  const b = new Blocks(PLAN_HEAD_MAX_BLOCKS);
  const title = planTitleText(p);
  // Room for the "not shown" note and, last, what is expected afterwards.
  const reserve = p.prediction ? 2 : 1;
  let hidden = 0;
  b.add(
    section(
      `:clipboard: *Plan: ${esc(clusterLabel(o.cluster))}${esc(title)}*\nRequested by <@${o.requester}> · made against revision ${p.expectedRevision}, the latest${DRY_RUN_NOTE}`,
    ),
  );

  const rev: string[] = [];
  if (p.newRevision !== undefined) {
    rev.push(
      `*Writes revision ${p.newRevision}*${p.applyMethod === "ssa" ? " (server-side apply)" : ""}${
        p.descriptions.success
          ? `, described as \`${esc(clip(p.descriptions.success, 300))}\` (naming whoever confirms)`
          : ""
      }`,
    );
    for (const t of p.transitions) {
      rev.push(
        `• revision ${t.revision}: ${t.from === "(new)" ? "new" : esc(t.from)} → ${t.to.map(esc).join(" → ")}`,
      );
    }
  } else {
    rev.push("*No new revision is written*: the release history stays as it is.");
  }
  b.add(section(rev.join("\n")), reserve);

  const maxHooks = o.maxHooks ?? 25;
  if (p.hooks.length > 0) {
    const hooks = p.hooks
      .slice(0, maxHooks)
      .map(
        (h, i) =>
          `${i + 1}. \`${esc(h.event)}\` ${esc(h.kind)} \`${esc(clip(h.name, 200))}\` · weight ${h.weight} · ${esc(h.policies.join(", "))}${h.waits ? " · waits until it completes" : ""}`,
      );
    hidden += p.hooks.length - hooks.length;
    hidden += addLines(b, [`*Hooks, in order* (${p.hooks.length})`, ...hooks], reserve);
  } else if (p.newRevision !== undefined) {
    b.add(section("*Hooks:* none run"), reserve);
  }

  let budget = o.maxObjects ?? 40;
  for (const { op, title: heading } of OP_HEADINGS) {
    const list = p.changes.filter((c) => c.op === op);
    if (list.length === 0) continue;
    const shown = list.slice(0, Math.max(0, budget));
    budget -= shown.length;
    hidden += list.length - shown.length;
    if (shown.length === 0) continue;
    const lines = shown.map((c) => `• ${refText(c.ref)} — ${esc(clip(c.reason, 400))}`);
    hidden += addLines(b, [`*${heading}* (${list.length})`, ...lines], reserve);
  }
  if (p.changes.length === 0) b.add(section("*Objects:* none change"), reserve);

  if (p.warnings.length > 0) {
    const lines = p.warnings.slice(0, 10).map((w) => `• ${esc(clip(w, 800))}`);
    hidden += p.warnings.length - lines.length;
    hidden += addLines(b, [":warning: *Warnings*", ...lines], reserve);
  }
  if (p.refusal) b.add(section(`:no_entry: *Cannot run:* ${esc(clip(p.refusal, 2000))}`), reserve);
  if (hidden > 0) {
    b.add(
      context(
        `…and ${hidden} more line${hidden === 1 ? "" : "s"} not shown. \`${esc(planCommand(p))}\` prints the whole plan.`,
      ),
    );
  } else if (p.notes.length > 0) {
    b.add(context(...p.notes.slice(0, 3).map((n) => esc(clip(n, 600)))), p.prediction ? 1 : 0);
  }
  if (p.prediction) {
    const a = afterThis(p.prediction);
    const icon = p.prediction.failure
      ? ":no_entry:"
      : p.prediction.findings.some((f) => f.severity === "critical")
        ? ":warning:"
        : ":crystal_ball:";
    const lines = [
      `${icon} *After this:* ${esc(a.head.slice("After this: ".length))}`,
      ...a.items.slice(0, 10).map((i) => `• ${esc(clip(i, 400))}`),
    ];
    b.add(section(lines.join("\n")));
  }
  return msg(`Plan: ${title}`, b.list);
}

function counts(p: Plan): string {
  const n = (op: string) => p.changes.filter((c) => c.op === op).length;
  const parts = [
    p.newRevision !== undefined ? `writes revision ${p.newRevision}` : "writes no revision",
    `creates ${n("create")}`,
    `changes ${n("patch")}`,
    `deletes ${n("delete")} object${n("delete") === 1 ? "" : "s"}`,
    `runs ${p.hooks.length} hook${p.hooks.length === 1 ? "" : "s"}`,
  ];
  return parts.join(", ");
}

/** Text of the Confirm button's dialog (plain, ≤ 300). */
export function confirmDialogText(p: Plan): string {
  return clip(
    `${planTitleText(p)}: ${counts(p)}. Refused if the release has moved past revision ${p.expectedRevision}.`,
    SLACK_LIMITS.confirmText,
  );
}

const RUN_WORD: Record<PlanAction, string> = {
  "rerun-upgrade": "Re-run upgrade",
  rollback: "Roll back",
  "restore-hook-resources": "Restore",
  "delete-leftover-hook": "Delete",
};

export interface PlanView {
  id: string;
  head: SlackMessage;
  action: PlanAction;
  namespace: string;
  release: string;
  expectedRevision: number;
  executable: boolean;
  expiresAt: string;
  /** For the confirm dialog. */
  dialog?: string;
  /** The release's cluster (named in the confirm dialog unless it is `default`). */
  cluster?: string;
}

function utcTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(11, 16)} UTC`;
}

/** The plan message while it waits for Confirm / Cancel. */
export function renderPlanMessage(v: PlanView): SlackMessage {
  const blocks: Block[] = [...(v.head.blocks as Block[])];
  if (v.executable) {
    const confirm: Button = {
      type: "button",
      action_id: PLAN_CONFIRM_ACTION,
      text: { type: "plain_text", text: "Confirm", emoji: true },
      value: v.id,
      style: "primary",
      confirm: {
        title: {
          type: "plain_text",
          text: clip(`${RUN_WORD[v.action]} ${clusterLabel(v.cluster)}${v.namespace}/${v.release}?`, 100),
        },
        text: {
          type: "plain_text",
          text: clip(v.dialog ?? `Runs this plan now.`, SLACK_LIMITS.confirmText),
        },
        confirm: { type: "plain_text", text: clip(RUN_WORD[v.action], SLACK_LIMITS.confirmButton) },
        deny: { type: "plain_text", text: "Not yet" },
      },
    };
    const cancel: Button = {
      type: "button",
      action_id: PLAN_CANCEL_ACTION,
      text: { type: "plain_text", text: "Cancel", emoji: true },
      value: v.id,
    };
    blocks.push({ type: "actions", block_id: "plan", elements: [confirm, cancel] });
    blocks.push(
      context(
        `Plan \`${esc(v.id)}\` · valid until ${utcTime(v.expiresAt)} · Confirm re-checks your permission and is refused if \`${esc(v.namespace)}/${esc(v.release)}\` has moved past revision ${v.expectedRevision}`,
      ),
    );
  } else {
    blocks.push(
      context(
        ":information_source: This helm-doctor reads a snapshot file, not a cluster: it shows the plan but cannot run it. Run the command line against the cluster instead.",
      ),
    );
  }
  return msg(v.head.text, blocks);
}

/** The plan's blocks once it is no longer a pending proposal: its first line says what state it is in. */
function headAs(head: SlackMessage, state: string): Block[] {
  return (head.blocks as Block[]).map((b, i) => {
    const t = (b as { text?: { type: string; text: string } }).text;
    if (i !== 0 || b.type !== "section" || !t?.text.includes(DRY_RUN_NOTE)) return b;
    return { ...b, text: { ...t, text: t.text.replace(DRY_RUN_NOTE, ` · ${state}`) } } as Block;
  });
}

/** The plan after Confirm, before the worker starts: buttons gone. */
export function renderPlanConfirmed(head: SlackMessage, user: string): SlackMessage {
  return msg(`${head.text} (confirmed)`, [
    ...headAs(head, "confirmed"),
    context(`:hourglass_flowing_sand: Confirmed by <@${user}>; starting…`),
  ]);
}

export function renderPlanCancelled(head: SlackMessage, user: string): SlackMessage {
  return msg(`${head.text} (cancelled)`, [
    ...headAs(head, "cancelled: nothing was changed"),
    context(`:no_entry_sign: Cancelled by <@${user}>. Nothing was changed.`),
  ]);
}

export function renderPlanExpired(head: SlackMessage): SlackMessage {
  return msg(`${head.text} (expired)`, [
    ...headAs(head, "expired: nothing was changed"),
    context(
      ":hourglass: This plan expired; nothing was run. Press the report's button again for a fresh plan.",
    ),
  ]);
}

/** Progress lines (the latest few) as they arrive from the engine. */
export function progressLines(events: ProgressEvent[], max = 8): string {
  const shown = events.slice(-max).map((e) => `[${(e.elapsedMs / 1000).toFixed(1)}s] ${e.message}`);
  const more = events.length - shown.length;
  return `${more > 0 ? `… ${more} earlier step${more === 1 ? "" : "s"}\n` : ""}${shown.join("\n")}`;
}

/** The plan while it runs: the plan, who confirmed, the latest progress. */
export function renderPlanRunning(head: SlackMessage, user: string, events: ProgressEvent[]): SlackMessage {
  const lines = events.length > 0 ? progressLines(events) : "starting…";
  return msg(`${head.text} (running)`, [
    ...headAs(head, "running"),
    section(
      `:gear: *Running*, confirmed by <@${user}>\n\`\`\`\n${esc(clip(lines, SLACK_LIMITS.sectionText - 200))}\n\`\`\``,
    ),
  ]);
}

// ---------------------------------------------------------------- results

/** What happened, as the Slack messages need it (a RemediationResult, or an error before the engine ran). */
export interface OutcomeView {
  outcome: RemediationResult["outcome"] | "error";
  action: PlanAction;
  release: string;
  namespace: string;
  /** rollback's target / rerun's source revision. */
  sourceRevision?: number | undefined;
  /** The revision written. */
  revision?: number | undefined;
  status?: string | undefined;
  historyLine?: string | undefined;
  errors: string[];
  warnings: string[];
  changes: RemediationResult["changes"];
  durationMs?: number | undefined;
  resumed?: boolean | undefined;
  /** Who confirmed (Slack id), who asked for the plan when different. */
  user: string;
  requester?: string | undefined;
  /** Resources the remediation was about (restore/delete), for the summary. */
  resources: { kind: string; name: string }[];
  /** The slash command, for hints ("/helm-doctor"). */
  command?: string | undefined;
  /** The release's cluster, named in the result's notification text unless it is `default`. */
  cluster?: string | undefined;
  planId: string;
  /** The release diagnosed again after the run, against the plan's prediction. */
  check?: PredictionCheck | undefined;
}

const MOVED_ON_RE =
  /release moved on: the (?:diagnosis saw|plan was made at) revision (\d+), the latest is now revision (\d+)/;

/** A refusal in words a Slack user can act on. */
export function refusalText(
  error: string,
  v: Pick<OutcomeView, "release" | "namespace" | "command">,
): string {
  const again = `\`${v.command ?? "/helm-doctor"} ${v.release} -n ${v.namespace}\``;
  const moved = MOVED_ON_RE.exec(error);
  if (moved) {
    return `Release moved on: latest is revision ${moved[2]}, the diagnosis saw ${moved[1]} — run ${again} again. Nothing was changed.`;
  }
  if (/another operation \(install\/upgrade\/rollback\) is in progress/.test(error)) {
    return `Another Helm operation holds \`${esc(v.namespace)}/${esc(v.release)}\`: ${esc(clip(error, 1500))}. Wait for it to finish, then run ${again} again.`;
  }
  if (/^cancelled: /.test(error)) return esc(clip(error, 1500));
  return `${esc(clip(error, 1500))}. Nothing was changed.`;
}

function names(res: { kind: string; name: string }[], changes: RemediationResult["changes"]): string {
  const list = res.length > 0 ? res : changes.filter((c) => c.op !== "unchanged").map((c) => c.ref);
  const shown = list.slice(0, 3).map((r) => `${r.kind} ${r.name}`);
  if (shown.length === 0) return "the hook objects";
  return `${shown.join(", ")}${list.length > 3 ? ` and ${list.length - 3} more` : ""}`;
}

/** One line saying what was done ("Rolled back to revision 1 by <@U…> → revision 3 deployed"), mrkdwn. */
export function outcomeLine(v: OutcomeView): { icon: string; line: string } {
  const by = `by <@${v.user}>`;
  const wrote = v.revision !== undefined ? ` → revision ${v.revision} ${esc(v.status ?? "")}`.trimEnd() : "";
  const done = v.outcome === "succeeded" || v.outcome === "already-done";
  const rel = `\`${esc(v.namespace)}/${esc(v.release)}\``;
  if (v.outcome === "refused") return { icon: ":no_entry:", line: `Refused, nothing was changed (${rel})` };
  if (v.outcome === "error") return { icon: ":x:", line: `Could not run on ${rel}; nothing was changed` };
  if (v.outcome === "dry-run") return { icon: ":clipboard:", line: "Dry run: nothing was changed" };
  const icon = done ? ":white_check_mark:" : ":x:";
  switch (v.action) {
    case "rollback":
      return {
        icon,
        line: done
          ? `Rolled back to revision ${v.sourceRevision ?? "?"} ${by}${wrote}`
          : `Rollback to revision ${v.sourceRevision ?? "?"} ${by} failed${wrote}`,
      };
    case "rerun-upgrade":
      return {
        icon,
        line: done
          ? `Re-ran the upgrade with revision ${v.sourceRevision ?? "?"}'s chart and values ${by}${wrote}`
          : `Re-run of the upgrade ${by} failed${wrote}`,
      };
    case "restore-hook-resources":
      return {
        icon,
        line: done
          ? `Restored ${esc(names(v.resources, v.changes))} ${by} (no new revision)`
          : `Restoring ${esc(names(v.resources, v.changes))} ${by} failed`,
      };
    case "delete-leftover-hook":
      return {
        icon,
        line: done
          ? `Deleted the leftover hook objects ${esc(names(v.resources, v.changes))} ${by} (no new revision)`
          : `Deleting the leftover hook objects ${by} failed`,
      };
  }
}

/** `helm history` columns, aligned, for a code block. */
export function historyBlock(line: string): string {
  const head = ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"];
  const row = line.split("\t");
  const widths = head.map((h, i) => Math.max(h.length, (row[i] ?? "").length));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${fmt(head)}\n${fmt(row)}`;
}

/** The plan message once it ran: the plan, then the outcome (no buttons). */
export function renderPlanDone(head: SlackMessage, v: OutcomeView): SlackMessage {
  const { icon, line } = outcomeLine(v);
  const detail =
    v.outcome === "refused" || v.outcome === "error"
      ? `\n${v.outcome === "refused" ? refusalText(v.errors[0] ?? "refused", v) : esc(clip(v.errors[0] ?? "", 1500))}`
      : "";
  return msg(`${head.text}: ${v.outcome}`, [
    ...headAs(
      head,
      v.outcome === "refused" || v.outcome === "error" ? "not run" : "run: the outcome is below",
    ),
    section(`${icon} *${line}*${detail}\n_Details in the reply below._`),
  ]);
}

/** The thread reply with the result: outcome, who, the new `helm history` line, errors, warnings, changes. */
export function renderResultReply(v: OutcomeView): SlackMessage {
  const b = new Blocks();
  const { icon, line } = outcomeLine(v);
  const who =
    v.requester && v.requester !== v.user
      ? `Confirmed by <@${v.user}>, planned for <@${v.requester}>`
      : `Requested and confirmed by <@${v.user}>`;
  const took = v.durationMs !== undefined ? ` · took ${(v.durationMs / 1000).toFixed(1)} s` : "";
  b.add(section(`${icon} *${line}*\n${who}${took} · operation \`${esc(v.planId)}\``));
  if (v.outcome === "already-done") {
    b.add(context("This plan had already run (a retried job): nothing was written again."));
  }
  if (v.resumed) b.add(context("Continued the revision an interrupted run of this plan had started."));
  if (v.check) {
    // "As predicted: no findings" / "Not as predicted: …": the verdict in bold, then what was found.
    const at = v.check.text.indexOf(": ");
    const verdict = at > 0 ? v.check.text.slice(0, at) : v.check.text;
    const rest = at > 0 ? v.check.text.slice(at + 2) : "";
    b.add(
      section(
        `${v.check.held ? ":white_check_mark:" : ":warning:"} *${esc(verdict)}:* ${esc(clip(rest, 2500))}`,
      ),
      3,
    );
  }
  if (v.outcome === "refused" || v.outcome === "error") {
    const why = v.outcome === "refused" ? refusalText(v.errors[0] ?? "refused", v) : esc(v.errors[0] ?? "");
    b.add(section(`*Why:* ${why}`));
  } else if (v.errors.length > 0) {
    for (const c of packLines(["*Errors*", ...v.errors.slice(0, 10).map((e) => `• ${esc(clip(e, 1500))}`)]))
      b.add(section(c), 3);
  }
  if (v.historyLine) {
    b.add(
      section(
        `*\`helm history ${esc(v.release)} -n ${esc(v.namespace)}\`*\n\`\`\`\n${esc(clip(historyBlock(v.historyLine), 2600))}\n\`\`\``,
      ),
      2,
    );
  }
  const changed = v.changes.filter((c) => c.op !== "unchanged" && c.op !== "skip");
  if (changed.length > 0) {
    const lines = changed
      .slice(0, 30)
      .map((c) => `• ${esc(c.op)} ${refText(c.ref)}${c.detail ? ` — ${esc(clip(c.detail, 300))}` : ""}`);
    if (changed.length > 30) lines.push(`…and ${changed.length - 30} more`);
    for (const c of packLines([`*Objects* (${changed.length})`, ...lines])) b.add(section(c), 2);
  }
  if (v.warnings.length > 0) {
    const lines = v.warnings.slice(0, 10).map((w) => `• ${esc(clip(w, 800))}`);
    for (const c of packLines([":warning: *Warnings*", ...lines])) b.add(section(c), 1);
  }
  if (v.outcome === "succeeded" || v.outcome === "already-done" || v.outcome === "failed") {
    b.add(
      context(
        `Run \`${esc(v.command ?? "/helm-doctor")} ${esc(v.release)} -n ${esc(v.namespace)}\` for a fresh diagnosis.`,
      ),
    );
  }
  return msg(`${clusterLabel(v.cluster)}${line.replace(/[*`]/g, "")}`, b.list);
}

/**
 * The report message after a remediation: the same report, with a line saying what was done under its header and
 * its remediation buttons gone (the release changed: a fresh diagnosis makes new ones).
 */
export function renderReportRemediated(report: SlackMessage, v: OutcomeView, at: Date): SlackMessage {
  const { icon, line } = outcomeLine(v);
  const blocks = [...(report.blocks as Block[])];
  const actions = blocks.findIndex((b) => b.type === "actions");
  if (actions >= 0) {
    const before = blocks[actions - 1];
    blocks.splice(before?.type === "divider" ? actions - 1 : actions, before?.type === "divider" ? 2 : 1);
  }
  const note = section(`${icon} *${line}* (details in the thread)`);
  blocks.splice(Math.min(1, blocks.length), 0, note);
  const footer = context(
    `Remediated ${at.toISOString().slice(0, 16).replace("T", " ")} UTC · this report's buttons are used up: run \`${esc(v.command ?? "/helm-doctor")} ${esc(v.release)} -n ${esc(v.namespace)}\` for a fresh diagnosis`,
  );
  while (blocks.length > SLACK_LIMITS.messageBlocks - 1) blocks.splice(blocks.length - 1, 1);
  blocks.push(footer);
  return msg(`${line.replace(/[*`]/g, "")} — ${report.text}`, blocks);
}

/** A refusal or failure before any plan could be shown (thread reply). */
export function renderPlanProblem(icon: string, title: string, mrkdwn: string): SlackMessage {
  return msg(`${title}: ${mrkdwn}`, [section(`${icon} *${esc(title)}*\n${mrkdwn}`)]);
}
