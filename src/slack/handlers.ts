// Bolt listeners, kept thin: parse, authorize, ack (within Slack's 3 s, before any other I/O), then — once no
// other request waits for its ack (./ack-first.ts) — check that the addressed cluster has a live worker, enqueue
// on that cluster's queue and post the channel message that follows the job. Remediation buttons
// (./remediation.ts): a report button makes a plan (a dry-run job), the plan's Confirm runs it, its Cancel closes
// it; each re-authorizes on click and runs in the report's cluster.
import type { App, SlashCommand } from "@slack/bolt";
import type { Config } from "../config.js";
import { type DeliveryRetry, followJob, type SlackClient, slackRetry } from "../queue/delivery.js";
import { type Producer, QueueUnavailableError } from "../queue/producer.js";
import { type Log, withTimeout } from "../queue/redis.js";
import { DEFAULT_CLUSTER, type JobResult, namedCluster, QUEUES, releaseRef } from "../queue/schemas.js";
import type { Store } from "../queue/store.js";
import type { LostJobWatch } from "../queue/watch.js";
import {
  esc,
  renderError,
  renderHelp,
  renderNotice,
  renderProgress,
  renderUsageError,
  type SlackMessage,
  type Target,
} from "../report/blockkit.js";
import type { AckFirst } from "./ack-first.js";
import { type ClusterContext, clustersText, noLiveWorkerText } from "./clusters.js";
import { parseCommand } from "./commands.js";
import { QUEUE_REACHABLE } from "./guard.js";
import type { Authorizer } from "./policy.js";
import { registerRemediationHandlers } from "./remediation.js";
import { decide, QUEUE_DOWN, slackError } from "./shared.js";
import { registerShortcutHandlers } from "./shortcut.js";

export interface HandlerContext {
  config: Pick<Config, "defaultNamespace" | "diagnosisTtlSeconds">;
  /** The producer of the front end's own cluster (HELM_DOCTOR_CLUSTER). */
  producer: Producer;
  /** Producers per cluster, a channel's default cluster, live agents (default: only `producer`'s cluster). */
  clusters?: ClusterContext;
  /** The front end's store (a fail-fast connection). */
  store: Store;
  authorizer: Authorizer;
  log: Log;
  /** Redis calls of the front end give up after this long (default 1500 ms). */
  redisTimeoutMs?: number;
  /** Retries of Slack calls that must not be lost (the job's message, a stored report). */
  deliveryRetry?: DeliveryRetry;
  /** Notices jobs whose Redis data vanished, so their messages do not stay "queued…". */
  watch?: LostJobWatch;
  /** Holds what follows an ack while other requests wait for theirs (default: follow-ups start at once). */
  afterAck?: AckFirst;
}

/** Where a job's message goes: a channel, or a thread in it (a message shortcut), and who asked. */
export interface JobPlace {
  channel: string;
  user: string;
  /** The thread to post in (the message's ts), or a new channel message when undefined. */
  thread?: string;
  /** The slash command for hints ("/helm-doctor"). */
  command: string;
}

/** Post the job's message, follow the job, and give it the result at once if the job already ended. */
export async function postAndFollow(
  ctx: HandlerContext,
  client: SlackClient,
  jobId: string,
  target: Target,
  place: JobPlace,
  joined: boolean,
  tell: (text: string) => Promise<void>,
): Promise<void> {
  let posted: { channel?: string; ts?: string };
  try {
    posted = await slackRetry(
      () =>
        client.chat.postMessage({
          channel: place.channel,
          ...(place.thread ? { thread_ts: place.thread } : {}),
          ...renderProgress(target, joined ? "joined the run already under way…" : "queued…", [place.user]),
        }),
      ctx.deliveryRetry,
    );
  } catch (e) {
    const code = slackError(e);
    ctx.log.warn(`chat.postMessage in ${place.channel} failed: ${code}`);
    const later = target.release
      ? ` The diagnosis runs anyway: \`${esc(place.command)} last ${esc(target.namespace)}/${esc(target.release)}\` posts its report once it is done.`
      : " Run the command again in a minute.";
    await tell(
      code === "not_in_channel" || code === "channel_not_found"
        ? `I cannot post in this channel (${code}). Invite me with \`/invite @helm-doctor\`, or run the command in a channel I am in.${later}`
        : `I could not post the report message (${code}).${later}`,
    );
    return;
  }
  if (!posted.channel || !posted.ts) return;
  const sub = {
    channel: posted.channel,
    ts: posted.ts,
    user: place.user,
    ...(place.thread ? { thread: place.thread } : {}),
  };
  const timeout = ctx.redisTimeoutMs ?? 1500;
  try {
    await withTimeout(
      followJob(client, ctx.store, QUEUES.diagnose, jobId, sub, ctx.log, ctx.deliveryRetry),
      timeout,
      "Redis did not answer",
    );
    ctx.watch?.add(jobId, sub, target, producerOf(ctx, target.cluster).diagnose);
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

/** The producer of `cluster`'s queues (absent: the default cluster's); the front end's own without a cluster context. */
export function producerOf(ctx: HandlerContext, cluster: string | undefined): Producer {
  return ctx.clusters ? ctx.clusters.producer(cluster ?? DEFAULT_CLUSTER) : ctx.producer;
}

/** `last <release>`: post the release's stored report in the channel again (with its thread and buttons). */
async function postLast(
  ctx: HandlerContext,
  client: SlackClient,
  cmd: SlashCommand,
  t: { release: string; namespace: string; cluster: string },
  tell: (mrkdwn: string) => Promise<void>,
): Promise<void> {
  const rel = releaseRef(t);
  let stored: JobResult | undefined;
  try {
    stored = await withTimeout(
      ctx.store.getLast(t.namespace, t.release, t.cluster),
      ctx.redisTimeoutMs ?? 1500,
      "Redis did not answer",
    );
  } catch (e) {
    ctx.log.warn(`reading the last report of ${rel}: ${(e as Error).message}`);
    await tell(QUEUE_DOWN);
    return;
  }
  if (!stored) {
    const hours = Math.round(ctx.config.diagnosisTtlSeconds / 3600);
    await tell(
      `No report of ${esc(rel)} is stored (reports are kept ${hours} hour${hours === 1 ? "" : "s"}). \`${esc(cmd.command)} ${esc(rel)}\` diagnoses it now.`,
    );
    return;
  }
  try {
    const main = stored.main as SlackMessage;
    const posted = await slackRetry(
      () => client.chat.postMessage({ channel: cmd.channel_id, text: main.text, blocks: main.blocks }),
      ctx.deliveryRetry,
    );
    for (const m of stored.thread as SlackMessage[]) {
      await slackRetry(
        () =>
          client.chat.postMessage({
            channel: cmd.channel_id,
            thread_ts: posted.ts!,
            text: m.text,
            blocks: m.blocks,
          }),
        ctx.deliveryRetry,
      );
    }
  } catch (e) {
    const code = slackError(e);
    ctx.log.warn(`posting the last report of ${rel} in ${cmd.channel_id} failed: ${code}`);
    await tell(
      `I could not post the report of ${esc(rel)} here (${code}). > ${esc(stored.main.text.split("\n")[0] ?? "")}`,
    );
  }
}

export function registerHandlers(app: App, ctx: HandlerContext): void {
  const { log } = ctx;
  const defaultNs = ctx.config.defaultNamespace;
  const followUp = (task: () => Promise<void>) => (ctx.afterAck ? ctx.afterAck.followUp(task) : task());

  // Any slash command routed to this app (the manifest names it /helm-doctor; a dev app may use another name).
  app.command(/^\/.+/, async ({ command, ack, respond, client, context }) => {
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
    if (parsed.kind === "clusters") {
      await ack({ response_type: "ephemeral", text: ":satellite_antenna: Looking up the clusters…" });
      await followUp(async () => {
        let text: string;
        try {
          const clusters = ctx.clusters ? await ctx.clusters.agents() : [];
          text = clustersText(clusters, Date.now());
        } catch (e) {
          log.warn(`listing clusters: ${(e as Error).message}`);
          text = QUEUE_DOWN;
        }
        await respond({
          response_type: "ephemeral",
          replace_original: false,
          ...renderNotice(":satellite_antenna:", text),
        }).catch((e: unknown) => log.warn(`could not answer ${command.user_id}: ${slackError(e)}`));
      });
      return;
    }
    // The cluster: named in the command, else the channel's default (routing file), else the front end's own.
    const cluster =
      ctx.clusters?.clusterFor(command.channel_id, parsed.cluster) ?? parsed.cluster ?? DEFAULT_CLUSTER;
    // Decided before the ack only from what is known without a remote call (the policy, cached group
    // membership); a group not read yet is asked after the ack, and a refusal then follows it.
    const who = { user: command.user_id, channel: command.channel_id, namespace: parsed.namespace, cluster };
    const decision = ctx.authorizer.canDiagnoseNow(who);
    if (decision && !decision.allowed) {
      await ack({ response_type: "ephemeral", ...renderNotice(":no_entry:", `Refused: ${decision.reason}`) });
      return;
    }
    /** After the ack, when the decision needed a group lookup: false (and the user told) when refused. */
    const allowedAfterAck = async (refuse: (mrkdwn: string) => Promise<unknown>) => {
      if (decision) return true;
      const later = await decide(ctx.authorizer.canDiagnose(who), log);
      if (later.allowed) return true;
      await refuse(`Refused: ${later.reason}`);
      return false;
    };
    if (context[QUEUE_REACHABLE] === false) {
      // Decided before the ack: one answer, not "diagnosing…" followed by "cannot queue".
      await ack({ response_type: "ephemeral", ...renderNotice(":warning:", QUEUE_DOWN) });
      return;
    }
    if (parsed.kind === "last") {
      const rel = releaseRef({ ...parsed, cluster });
      await ack({ response_type: "ephemeral", text: `:mag: Looking up the latest report of ${esc(rel)}…` });
      const answer = (icon: string) => (m: string) =>
        respond({ response_type: "ephemeral", replace_original: false, ...renderNotice(icon, m) })
          .then(() => undefined)
          .catch((e: unknown) => log.warn(`could not answer ${command.user_id}: ${slackError(e)}`));
      await followUp(async () => {
        if (!(await allowedAfterAck(answer(":no_entry:")))) return;
        await postLast(ctx, client, command, { ...parsed, cluster }, answer(":information_source:"));
      });
      return;
    }
    const named = namedCluster(cluster);
    const target: Target =
      parsed.kind === "diagnose"
        ? { release: parsed.release, namespace: parsed.namespace, ...named }
        : { namespace: parsed.namespace, ...named };
    const where = named.cluster ? `${named.cluster}/` : "";
    const what =
      parsed.kind === "diagnose"
        ? `Diagnosing ${where}${target.namespace}/${target.release}`
        : `Listing releases in ${where}${target.namespace}`;
    await ack({
      response_type: "ephemeral",
      text: `:stethoscope: ${esc(what)}… the result will appear in this channel.`,
    });

    // After the ack: everything that may be slow.
    const tellWith = (icon: string) => async (mrkdwn: string) => {
      try {
        await respond({ response_type: "ephemeral", replace_original: false, ...renderNotice(icon, mrkdwn) });
      } catch {
        await client.chat
          .postEphemeral({
            channel: command.channel_id,
            user: command.user_id,
            ...renderNotice(icon, mrkdwn),
          })
          .catch((e: unknown) => log.warn(`could not tell ${command.user_id}: ${slackError(e)}`));
      }
    };
    const tell = tellWith(":warning:");
    const base = {
      namespace: parsed.namespace,
      requestedBy: command.user_id,
      channel: command.channel_id,
      requestedAt: new Date().toISOString(),
      command: command.command.slice(0, 64),
      ...named,
    };
    await followUp(async () => {
      if (!(await allowedAfterAck(tellWith(":no_entry:")))) return;
      // A named cluster whose worker is not alive: say so now, rather than leave the message at "queued…".
      if (ctx.clusters) {
        try {
          const live = await ctx.clusters.liveness(cluster);
          if (!live.ok) {
            await tellWith(":electric_plug:")(noLiveWorkerText(cluster, live.clusters, Date.now()));
            return;
          }
        } catch (e) {
          log.warn(`reading the agents: ${(e as Error).message}`);
          await tell(QUEUE_DOWN);
          return;
        }
      }
      const producer = producerOf(ctx, cluster);
      let enq: { jobId: string; joined: boolean };
      try {
        enq =
          parsed.kind === "diagnose"
            ? await producer.enqueueDiagnose({ ...base, release: parsed.release })
            : await producer.enqueueList(base);
      } catch (e) {
        log.warn(`enqueue failed: ${(e as Error).message}`);
        await tell(
          e instanceof QueueUnavailableError
            ? QUEUE_DOWN
            : `helm-doctor could not queue this request: ${esc((e as Error).message)}`,
        );
        return;
      }
      const place = { channel: command.channel_id, user: command.user_id, command: command.command };
      await postAndFollow(ctx, client, enq.jobId, target, place, enq.joined, tell);
    });
  });

  registerRemediationHandlers(app, ctx);
  registerShortcutHandlers(app, ctx);
}
