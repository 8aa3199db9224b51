// Remediation listeners, kept thin like the command listener: ack first, then re-authorize and enqueue.
// - A report button (`remediate-<i>`): the presser must be granted the action in the namespace; a `plan` job
//   (a dry run in the worker) posts the plan in the report's thread with Confirm / Cancel.
// - Confirm (`plan-confirm`): the plan must still be stored (TTL) and open; the confirming user is authorized
//   again, the plan is claimed once (SET NX: a double click or a second user cannot run it twice), and an
//   `execute` job runs it. When the job cannot be queued the claim is released, so the plan stays usable.
// - Cancel (`plan-cancel`): the requester, or anyone who may run the action, closes the plan.
// Every refusal is an ephemeral message saying why; every decision is an audit line. Plans and executions are
// queued on the report's cluster's `remediate.<cluster>` queue: only that cluster's agent runs them.
import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { auditEvent } from "../observability/log.js";
import type { SlackClient } from "../queue/delivery.js";
import type { RemediateEnqueued } from "../queue/producer.js";
import { withTimeout } from "../queue/redis.js";
import {
  DEFAULT_CLUSTER,
  namedCluster,
  OPAQUE_ID_RE,
  type RemediateJobInput,
  releaseRef,
  type StoredPlan,
} from "../queue/schemas.js";
import { esc, parseButtonValue, REMEDIATE_ACTION_RE, renderNotice, section } from "../report/blockkit.js";
import {
  PLAN_CANCEL_ACTION,
  PLAN_CONFIRM_ACTION,
  renderPlanCancelled,
  renderPlanConfirmed,
} from "../report/remediation-blocks.js";
import { noLiveWorkerText } from "./clusters.js";
import { type HandlerContext, producerOf } from "./handlers.js";
import { decide, QUEUE_DOWN, slackError } from "./shared.js";

/** Where a button press happened. */
interface Press {
  user: string;
  userName?: string;
  channel: string;
  /** The message that holds the button. */
  messageTs: string;
  /** Its thread parent (the report), or the message itself. */
  threadTs: string;
}

function pressOf(body: BlockAction<ButtonAction>): Press | undefined {
  const container = body.container as { channel_id?: string; message_ts?: string } | undefined;
  const channel = body.channel?.id ?? container?.channel_id;
  const messageTs = body.message?.ts ?? container?.message_ts;
  if (!channel || !messageTs) return undefined;
  return {
    user: body.user.id,
    ...(body.user.username ? { userName: body.user.username } : {}),
    channel,
    messageTs,
    threadTs: (body.message?.thread_ts as string | undefined) ?? messageTs,
  };
}

function slackUser(p: Press): { id: string; name?: string } {
  return { id: p.user, ...(p.userName ? { name: p.userName } : {}) };
}

/** One duplicate answer for report buttons and Confirm. */
function duplicateText(rel: string, r: RemediateEnqueued, what: string): string {
  const by = r.queuedBy ? `, requested by <@${r.queuedBy}>` : "";
  return `${what} of \`${esc(rel)}\` is already queued or running (job \`${esc(r.jobId)}\`${by}). Wait for it to finish; its result appears in the thread.`;
}

export function registerRemediationHandlers(app: App, ctx: HandlerContext): void {
  const { log } = ctx;
  const timeout = ctx.redisTimeoutMs ?? 1500;
  const audit = (entry: Record<string, unknown>) => log.info(auditEvent(entry));

  /** May the one who pressed run `action` in `namespace` of `cluster`? A failing check refuses (decide). */
  const mayRun = (p: Press, action: string, namespace: string, cluster: string) =>
    decide(
      ctx.authorizer.canRemediate({
        user: p.user,
        channel: p.channel,
        action,
        namespace,
        ...namedCluster(cluster),
      }),
      log,
    );

  /** False (and the presser told) when the cluster's worker is not alive: nobody would run the job. */
  async function clusterAlive(cluster: string, tell: (icon: string, m: string) => Promise<void>) {
    if (!ctx.clusters) return true;
    try {
      const live = await ctx.clusters.liveness(cluster);
      if (live.ok) return true;
      await tell(":electric_plug:", noLiveWorkerText(cluster, live.clusters, Date.now()));
    } catch (e) {
      log.warn(`reading the agents: ${(e as Error).message}`);
      await tell(":warning:", QUEUE_DOWN);
    }
    return false;
  }

  function teller(client: SlackClient, p: Press) {
    return (icon: string, mrkdwn: string) =>
      client.chat
        .postEphemeral({ channel: p.channel, user: p.user, ...renderNotice(icon, mrkdwn) })
        .then(() => undefined)
        .catch((e: unknown) => log.warn(`could not tell ${p.user}: ${slackError(e)}`));
  }

  /** A Redis read of the front end, bounded; undefined + the queue-down answer when Redis fails. */
  async function read<T>(
    what: string,
    p: Promise<T>,
    tell: (icon: string, m: string) => Promise<void>,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    try {
      return { ok: true, value: await withTimeout(p, timeout, "Redis did not answer") };
    } catch (e) {
      log.warn(`reading ${what}: ${(e as Error).message}`);
      await tell(":warning:", QUEUE_DOWN);
      return { ok: false };
    }
  }

  // ---------------------------------------------------------------- a report button: make the plan

  app.action<BlockAction<ButtonAction>>(REMEDIATE_ACTION_RE, async ({ ack, body, action, client }) => {
    await ack();
    const p = pressOf(body);
    if (!p) return;
    const tell = teller(client, p);
    const ref = parseButtonValue(action.value ?? "");
    if (!ref) {
      await tell(
        ":warning:",
        "This button does not belong to a helm-doctor report I can read. Run the diagnosis again.",
      );
      return;
    }
    const got = await read(`diagnosis ${ref.diagnosisId}`, ctx.store.getDiagnosis(ref.diagnosisId), tell);
    if (!got.ok) return;
    const rec = got.value;
    if (!rec) {
      await tell(
        ":hourglass:",
        "This report has expired (its buttons work for a limited time). Run the diagnosis again for a fresh report.",
      );
      return;
    }
    const opt = rec.remediations[ref.index];
    const cluster = rec.cluster ?? DEFAULT_CLUSTER;
    if (!opt || rec.revision === null || (ref.cluster ?? DEFAULT_CLUSTER) !== cluster) {
      await tell(":warning:", "This button does not match its report. Run the diagnosis again.");
      return;
    }
    const named = namedCluster(cluster);
    const rel = releaseRef({ ...rec, ...named });
    const decision = await mayRun(p, opt.action, rec.namespace, cluster);
    const entry = {
      event: "remediation-request",
      user: p.user,
      action: opt.action,
      revision: opt.revision ?? null,
      release: rec.release,
      namespace: rec.namespace,
      expectedRevision: rec.revision,
      diagnosisId: rec.id,
      ...named,
    };
    if (!decision.allowed) {
      audit({ ...entry, outcome: "refused", reason: decision.reason });
      await tell(":no_entry:", `Not allowed to *${esc(opt.label)}* on \`${esc(rel)}\`: ${decision.reason}`);
      return;
    }
    const payload: RemediateJobInput = {
      phase: "plan",
      diagnosisId: rec.id,
      action: opt.action,
      ...(opt.revision !== undefined ? { revision: opt.revision } : {}),
      expectedRevision: rec.revision,
      release: rec.release,
      namespace: rec.namespace,
      resources: opt.resources,
      user: slackUser(p),
      channel: p.channel,
      messageTs: p.threadTs,
      requestedAt: new Date().toISOString(),
      buttonIndex: ref.index,
      label: opt.label,
      ...named,
    };
    if (!(await clusterAlive(cluster, tell))) return;
    let r: RemediateEnqueued;
    try {
      r = await producerOf(ctx, cluster).enqueueRemediate(payload, ref.index);
    } catch (e) {
      log.warn(`enqueue plan: ${(e as Error).message}`);
      await tell(":warning:", QUEUE_DOWN);
      return;
    }
    if (r.duplicate) {
      audit({ ...entry, outcome: "duplicate", jobId: r.jobId });
      await tell(":information_source:", duplicateText(rel, r, `A plan for *${esc(opt.label)}*`));
      return;
    }
    audit({ ...entry, outcome: "planning", jobId: r.jobId });
    const text = `:clipboard: <@${p.user}> asked for *${esc(opt.label)}* on \`${esc(rel)}\`. Making the plan (a dry run against the cluster): it appears below with Confirm and Cancel. Nothing changes until someone allowed to confirms.`;
    await client.chat
      .postMessage({ channel: p.channel, thread_ts: p.threadTs, text, blocks: [section(text)] })
      .catch((e: unknown) => log.warn(`thread reply failed: ${slackError(e)}`));
  });

  // ---------------------------------------------------------------- Confirm / Cancel of a plan

  /** The plan a Confirm/Cancel button names, or undefined after telling the user why not. */
  async function planOf(
    value: string | undefined,
    tell: (icon: string, m: string) => Promise<void>,
  ): Promise<StoredPlan | undefined> {
    if (!value || !OPAQUE_ID_RE.test(value)) {
      await tell(":warning:", "This button does not belong to a helm-doctor plan I can read.");
      return undefined;
    }
    const got = await read(`plan ${value}`, ctx.store.getPlan(value), tell);
    if (!got.ok) return undefined;
    if (got.value) return got.value;
    const claim = await read(`plan claim ${value}`, ctx.store.getPlanClaim(value), tell);
    if (!claim.ok) return undefined;
    await tell(
      ":hourglass:",
      claim.value
        ? `This plan was already ${claim.value.state} by <@${claim.value.user}>.`
        : "This plan has expired; nothing was run. Press the report's button again for a fresh plan.",
    );
    return undefined;
  }

  /** A Confirm/Cancel press: who pressed, how to tell them, and the plan its button names (else told why not). */
  async function pressedPlan(
    body: BlockAction<ButtonAction>,
    value: string | undefined,
    client: SlackClient,
  ) {
    const p = pressOf(body);
    if (!p) return undefined;
    const tell = teller(client, p);
    const plan = await planOf(value, tell);
    return plan ? { p, tell, plan, rel: releaseRef(plan) } : undefined;
  }

  /**
   * Claim the plan as confirmed or cancelled: the claim for exactly one press, undefined for the others, which
   * are told who won (after `lost`, e.g. their audit line).
   */
  async function claimPlan(
    plan: StoredPlan,
    state: "confirmed" | "cancelled",
    user: string,
    tell: (icon: string, m: string) => Promise<void>,
    lost?: () => void,
  ) {
    const claim = { state, user, at: new Date().toISOString() };
    const claimed = await read(`plan claim ${plan.id}`, ctx.store.claimPlan(plan.id, claim), tell);
    if (!claimed.ok) return undefined;
    if (claimed.value) return claim;
    lost?.();
    const c = await ctx.store.getPlanClaim(plan.id).catch(() => undefined);
    await tell(
      ":information_source:",
      c ? `This plan was already ${c.state} by <@${c.user}>.` : "This plan was already used.",
    );
    return undefined;
  }

  app.action<BlockAction<ButtonAction>>(PLAN_CONFIRM_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const pressed = await pressedPlan(body, action.value, client);
    if (!pressed) return;
    const { p, tell, plan, rel } = pressed;
    const cluster = plan.cluster ?? DEFAULT_CLUSTER;
    const named = namedCluster(cluster);
    const entry = {
      event: "remediation-confirm",
      user: p.user,
      requestedBy: plan.requestedBy.id,
      action: plan.action,
      revision: plan.revision ?? null,
      release: plan.release,
      namespace: plan.namespace,
      expectedRevision: plan.expectedRevision,
      planId: plan.id,
      ...named,
    };
    if (!plan.executable) {
      await tell(
        ":information_source:",
        "This helm-doctor reads a snapshot file, not a cluster: it can show the plan but not run it.",
      );
      return;
    }
    // Re-authorize the one who confirms: the plan may have been asked for by someone else.
    const decision = await mayRun(p, plan.action, plan.namespace, cluster);
    if (!decision.allowed) {
      audit({ ...entry, outcome: "refused", reason: decision.reason });
      await tell(
        ":no_entry:",
        `Not allowed to confirm *${esc(plan.label)}* on \`${esc(rel)}\`: ${decision.reason}`,
      );
      return;
    }
    if (!(await clusterAlive(cluster, tell))) return;
    const claim = await claimPlan(plan, "confirmed", p.user, tell, () =>
      audit({ ...entry, outcome: "already-claimed" }),
    );
    if (!claim) return;
    const planTs = plan.planTs ?? p.messageTs;
    const payload: RemediateJobInput = {
      phase: "execute",
      diagnosisId: plan.diagnosisId,
      action: plan.action,
      ...(plan.revision !== undefined ? { revision: plan.revision } : {}),
      expectedRevision: plan.expectedRevision,
      release: plan.release,
      namespace: plan.namespace,
      resources: plan.resources,
      user: slackUser(p),
      channel: plan.channel,
      messageTs: plan.reportTs,
      requestedAt: claim.at,
      ...(plan.buttonIndex !== undefined ? { buttonIndex: plan.buttonIndex } : {}),
      label: plan.label,
      planId: plan.id,
      planTs,
      ...(plan.requestedBy.id !== p.user ? { requester: plan.requestedBy } : {}),
      ...named,
    };
    let r: RemediateEnqueued;
    try {
      // The plan's cluster's queue: only that cluster's agent executes it.
      r = await producerOf(ctx, cluster).enqueueExecute(payload);
    } catch (e) {
      log.warn(`enqueue remediation: ${(e as Error).message}`);
      await ctx.store.releasePlanClaim(plan.id).catch(() => undefined);
      await tell(":warning:", `${QUEUE_DOWN} The plan is still open: confirm again once it is back.`);
      return;
    }
    if (r.duplicate && !r.samePlan) {
      // Another remediation of this release runs: this plan stays open (it will be refused if that one moved
      // the release on).
      await ctx.store.releasePlanClaim(plan.id).catch(() => undefined);
      audit({ ...entry, outcome: "busy", jobId: r.jobId });
      await tell(":information_source:", duplicateText(rel, r, "Another remediation"));
      return;
    }
    audit({ ...entry, outcome: r.duplicate ? "duplicate" : "queued", jobId: r.jobId });
    if (r.duplicate) return;
    await client.chat
      .update({ channel: plan.channel, ts: planTs, ...renderPlanConfirmed(plan.head, p.user) })
      .catch((e: unknown) => log.warn(`chat.update of plan ${plan.id} failed: ${slackError(e)}`));
  });

  app.action<BlockAction<ButtonAction>>(PLAN_CANCEL_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const pressed = await pressedPlan(body, action.value, client);
    if (!pressed) return;
    const { p, tell, plan, rel } = pressed;
    if (plan.requestedBy.id !== p.user) {
      const decision = await mayRun(p, plan.action, plan.namespace, plan.cluster ?? DEFAULT_CLUSTER);
      if (!decision.allowed) {
        await tell(
          ":no_entry:",
          `Only <@${plan.requestedBy.id}> or someone allowed to *${esc(plan.label)}* on \`${esc(rel)}\` may cancel this plan: ${decision.reason}`,
        );
        return;
      }
    }
    if (!(await claimPlan(plan, "cancelled", p.user, tell))) return;
    audit({
      event: "remediation-cancel",
      user: p.user,
      planId: plan.id,
      release: plan.release,
      namespace: plan.namespace,
    });
    await client.chat
      .update({
        channel: plan.channel,
        ts: plan.planTs ?? p.messageTs,
        ...renderPlanCancelled(plan.head, p.user),
      })
      .catch((e: unknown) => log.warn(`chat.update of plan ${plan.id} failed: ${slackError(e)}`));
  });
}
