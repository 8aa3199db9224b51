// Bolt listeners, kept thin: parse, authorize, ack (within Slack's 3 s, before any other I/O), then enqueue and
// post the channel message that follows the job. Remediation buttons: ack, re-authorize the presser against
// the stored diagnosis, enqueue a `remediate` job, answer in the report's thread.
import type { App, BlockAction, ButtonAction, SlashCommand } from "@slack/bolt";
import type { Config } from "../config.js";
import { followJob, type SlackClient } from "../queue/delivery.js";
import { type Producer, QueueUnavailableError } from "../queue/producer.js";
import { type Log, withTimeout } from "../queue/redis.js";
import { QUEUES, type RemediateJob } from "../queue/schemas.js";
import type { Store } from "../queue/store.js";
import {
  esc,
  parseButtonValue,
  REMEDIATE_ACTION_RE,
  renderError,
  renderHelp,
  renderNotice,
  renderProgress,
  renderUsageError,
  section,
  type Target,
} from "../report/blockkit.js";
import { parseCommand } from "./commands.js";
import type { Authorizer, Decision } from "./policy.js";

export interface HandlerContext {
  config: Pick<Config, "defaultNamespace">;
  producer: Producer;
  /** The front end's store (a fail-fast connection). */
  store: Store;
  authorizer: Authorizer;
  log: Log;
  /** Redis calls of the front end give up after this long (default 1500 ms). */
  redisTimeoutMs?: number;
}

const QUEUE_DOWN =
  "helm-doctor cannot queue this request: its job queue (Redis) is unreachable. Nothing was started. Try again in a minute; if it keeps failing, tell whoever runs helm-doctor.";

function slackError(e: unknown): string {
  return (e as { data?: { error?: string } }).data?.error ?? (e as Error).message ?? String(e);
}

async function decide(p: Promise<Decision>, log: Log): Promise<Decision> {
  try {
    return await p;
  } catch (e) {
    log.error(`authorization failed: ${(e as Error).message}`);
    return { allowed: false, reason: `the authorization check failed (${(e as Error).message}).` };
  }
}

/** Post the job's channel message, follow the job, and give it the result at once if the job already ended. */
async function postAndFollow(
  ctx: HandlerContext,
  client: SlackClient,
  jobId: string,
  target: Target,
  cmd: SlashCommand,
  joined: boolean,
  tell: (text: string) => Promise<void>,
): Promise<void> {
  let posted: { channel?: string; ts?: string };
  try {
    posted = await client.chat.postMessage({
      channel: cmd.channel_id,
      ...renderProgress(target, joined ? "joined the run already under way…" : "queued…", [cmd.user_id]),
    });
  } catch (e) {
    const code = slackError(e);
    ctx.log.warn(`chat.postMessage in ${cmd.channel_id} failed: ${code}`);
    await tell(
      code === "not_in_channel" || code === "channel_not_found"
        ? `I cannot post in this channel (${code}). Invite me with \`/invite @helm-doctor\`, or run the command in a channel I am in.`
        : `I could not post the report message (${code}).`,
    );
    return;
  }
  if (!posted.channel || !posted.ts) return;
  const sub = { channel: posted.channel, ts: posted.ts, user: cmd.user_id };
  const timeout = ctx.redisTimeoutMs ?? 1500;
  try {
    await withTimeout(
      followJob(client, ctx.store, QUEUES.diagnose, jobId, sub, ctx.log),
      timeout,
      "Redis did not answer",
    );
  } catch (e) {
    ctx.log.warn(`following job ${jobId}: ${(e as Error).message}`);
    await client.chat
      .update({
        channel: sub.channel,
        ts: sub.ts,
        ...renderError(
          target,
          "helm-doctor lost its job queue (Redis) while starting this request.",
          "Run the command again in a minute.",
        ),
      })
      .catch(() => {});
  }
}

export function registerHandlers(app: App, ctx: HandlerContext): void {
  const { log } = ctx;
  const defaultNs = ctx.config.defaultNamespace;

  // Any slash command routed to this app (the manifest names it /helm-doctor; a dev app may use another name).
  app.command(/^\/.+/, async ({ command, ack, respond, client }) => {
    const parsed = parseCommand(command.text ?? "", defaultNs);
    if (parsed.kind === "help") {
      await ack({ response_type: "ephemeral", ...renderHelp(command.command, defaultNs) });
      return;
    }
    if (parsed.kind === "usage") {
      await ack({
        response_type: "ephemeral",
        ...renderUsageError(parsed.problem, command.command, defaultNs),
      });
      return;
    }
    const decision = await decide(
      ctx.authorizer.canDiagnose({
        user: command.user_id,
        channel: command.channel_id,
        namespace: parsed.namespace,
      }),
      log,
    );
    if (!decision.allowed) {
      await ack({ response_type: "ephemeral", ...renderNotice(":no_entry:", `Refused: ${decision.reason}`) });
      return;
    }
    const target: Target =
      parsed.kind === "diagnose"
        ? { release: parsed.release, namespace: parsed.namespace }
        : { namespace: parsed.namespace };
    const what =
      parsed.kind === "diagnose"
        ? `Diagnosing ${target.namespace}/${target.release}`
        : `Listing releases in ${target.namespace}`;
    await ack({
      response_type: "ephemeral",
      text: `:stethoscope: ${esc(what)}… the result will appear in this channel.`,
    });

    // After the ack: everything that may be slow.
    const tell = async (mrkdwn: string) => {
      try {
        await respond({
          response_type: "ephemeral",
          replace_original: false,
          ...renderNotice(":warning:", mrkdwn),
        });
      } catch {
        await client.chat
          .postEphemeral({
            channel: command.channel_id,
            user: command.user_id,
            ...renderNotice(":warning:", mrkdwn),
          })
          .catch((e: unknown) => log.warn(`could not tell ${command.user_id}: ${slackError(e)}`));
      }
    };
    const base = {
      namespace: parsed.namespace,
      requestedBy: command.user_id,
      channel: command.channel_id,
      requestedAt: new Date().toISOString(),
      command: command.command.slice(0, 64),
    };
    let enq: { jobId: string; joined: boolean };
    try {
      enq =
        parsed.kind === "diagnose"
          ? await ctx.producer.enqueueDiagnose({ ...base, release: parsed.release })
          : await ctx.producer.enqueueList(base);
    } catch (e) {
      log.warn(`enqueue failed: ${(e as Error).message}`);
      await tell(
        e instanceof QueueUnavailableError
          ? QUEUE_DOWN
          : `helm-doctor could not queue this request: ${esc((e as Error).message)}`,
      );
      return;
    }
    await postAndFollow(ctx, client, enq.jobId, target, command, enq.joined, tell);
  });

  app.action<BlockAction<ButtonAction>>(REMEDIATE_ACTION_RE, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const channel = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
    const messageTs = body.message?.ts ?? (body.container as { message_ts?: string } | undefined)?.message_ts;
    if (!channel || !messageTs) return;
    const threadTs = (body.message?.thread_ts as string | undefined) ?? messageTs;
    const tell = (icon: string, mrkdwn: string) =>
      client.chat
        .postEphemeral({ channel, user, ...renderNotice(icon, mrkdwn) })
        .then(() => undefined)
        .catch((e: unknown) => log.warn(`could not tell ${user}: ${slackError(e)}`));

    const ref = parseButtonValue(action.value ?? "");
    if (!ref) {
      await tell(
        ":warning:",
        "This button does not belong to a helm-doctor report I can read. Run the diagnosis again.",
      );
      return;
    }
    const timeout = ctx.redisTimeoutMs ?? 1500;
    let rec: Awaited<ReturnType<Store["getDiagnosis"]>>;
    try {
      rec = await withTimeout(ctx.store.getDiagnosis(ref.diagnosisId), timeout, "Redis did not answer");
    } catch (e) {
      log.warn(`reading diagnosis ${ref.diagnosisId}: ${(e as Error).message}`);
      await tell(":warning:", QUEUE_DOWN);
      return;
    }
    if (!rec) {
      await tell(
        ":hourglass:",
        "This report has expired (its buttons work for a limited time). Run the diagnosis again for a fresh report.",
      );
      return;
    }
    const opt = rec.remediations[ref.index];
    if (!opt || rec.revision === null) {
      await tell(":warning:", "This button does not match its report. Run the diagnosis again.");
      return;
    }
    const rel = `${rec.namespace}/${rec.release}`;
    const decision = await decide(
      ctx.authorizer.canRemediate({ user, channel, action: opt.action, namespace: rec.namespace }),
      log,
    );
    const audit = {
      event: "remediation-request",
      user,
      action: opt.action,
      revision: opt.revision ?? null,
      release: rec.release,
      namespace: rec.namespace,
      expectedRevision: rec.revision,
      diagnosisId: rec.id,
    };
    if (!decision.allowed) {
      log.info(`audit ${JSON.stringify({ ...audit, outcome: "refused", reason: decision.reason })}`);
      await tell(":no_entry:", `Not allowed to *${esc(opt.label)}* on \`${esc(rel)}\`: ${decision.reason}`);
      return;
    }
    const payload: RemediateJob = {
      diagnosisId: rec.id,
      action: opt.action,
      ...(opt.revision !== undefined ? { revision: opt.revision } : {}),
      expectedRevision: rec.revision,
      release: rec.release,
      namespace: rec.namespace,
      resources: opt.resources,
      user: { id: user, ...(body.user.username ? { name: body.user.username } : {}) },
      channel,
      messageTs: threadTs,
      requestedAt: new Date().toISOString(),
    };
    let r: Awaited<ReturnType<Producer["enqueueRemediate"]>>;
    try {
      r = await ctx.producer.enqueueRemediate(payload, ref.index);
    } catch (e) {
      log.warn(`enqueue remediation: ${(e as Error).message}`);
      await tell(":warning:", QUEUE_DOWN);
      return;
    }
    if (r.duplicate) {
      log.info(`audit ${JSON.stringify({ ...audit, outcome: "duplicate", jobId: r.jobId })}`);
      await tell(
        ":information_source:",
        `A remediation of \`${esc(rel)}\` is already queued (job \`${esc(r.jobId)}\`${r.queuedBy ? `, requested by <@${r.queuedBy}>` : ""}). Wait for it to finish.`,
      );
      return;
    }
    log.info(`audit ${JSON.stringify({ ...audit, outcome: "queued", jobId: r.jobId })}`);
    const text = `:hammer_and_wrench: <@${user}> requested *${esc(opt.label)}* for \`${esc(rel)}\`. Queued as job \`${esc(r.jobId)}\`; it is refused if the release has moved past revision ${rec.revision}. Progress and the result will appear here.`;
    await client.chat
      .postMessage({ channel, thread_ts: threadTs, text, blocks: [section(text)] })
      .catch((e: unknown) => log.warn(`thread reply failed: ${slackError(e)}`));
  });
}
