// The remediation worker: consumes the `remediate` queue.
// - `plan` (a report button was pressed): a dry run of the remediation against the cluster (remediate() with
//   dryRun, or the pure planner when this process reads a bundle and has no writer), stored in Redis under a new
//   plan id with a TTL and posted in the report's thread with Confirm / Cancel; refusals become a thread message.
// - `remediate` (the plan was confirmed): remediate() for real, with the plan id as operation id and the
//   confirming Slack user as requestedBy; progress updates the plan message (throttled), then the plan message,
//   a result reply in the thread and the report message say what was done. One audit line per execution.
// The engine reads through a source that teaches each snapshot's secrets to the redactor of Slack, Redis and the
// log (src/report/redact.ts), so nothing here redacts.
import { type Job, UnrecoverableError } from "bullmq";
import { LiveSource } from "../cluster/live.js";
import type { SnapshotSource } from "../cluster/source.js";
import { type ClusterWriter, KubeWriter } from "../cluster/writer.js";
import { auditEvent } from "../observability/log.js";
import { remediate } from "../remediation/remediate.js";
import type { Plan, ProgressEvent, RemediationResult } from "../remediation/types.js";
import { predictedPlan } from "../remediation/verify.js";
import type { SlackMessage } from "../report/blockkit.js";
import {
  confirmDialogText,
  type OutcomeView,
  planTitleText,
  refusalText,
  renderPlanDone,
  renderPlanHead,
  renderPlanMessage,
  renderPlanProblem,
  renderPlanRunning,
  renderReportRemediated,
  renderResultReply,
} from "../report/remediation-blocks.js";
import { MessageUpdater, type SlackClient, slackError } from "./delivery.js";
import { errorText, type Log } from "./redis.js";
import {
  JOBS,
  namedCluster,
  QUEUES,
  type RemediateJob,
  releaseRef,
  remediateJobSchema,
  type StoredPlan,
} from "./schemas.js";
import { learningSecrets } from "./secrets.js";
import { newDiagnosisId, type Store } from "./store.js";

/** Where snapshots come from, per namespace (LiveSource in production, BundleSource in tests). */
export type SourceFactory = (namespace: string) => Promise<SnapshotSource>;

/**
 * The ClusterWriter for a namespace, given the source the worker reads it with; undefined when this process
 * cannot write (a bundle file): plans are then shown without a Confirm button.
 */
export type WriterFactory = (source: SnapshotSource, namespace: string) => Promise<ClusterWriter | undefined>;

/** Default: a KubeWriter on the same kubeconfig as a LiveSource; nothing for other sources. */
export const defaultWriterFactory: WriterFactory = async (source) =>
  source instanceof LiveSource ? new KubeWriter(source.kubeConfig) : undefined;

export interface RemediationOptions {
  /**
   * Called once a remediation may have changed the release: the next diagnosis of it must read the cluster again
   * rather than join (deduplication) a job that ran before the change.
   */
  releaseChanged?: (namespace: string, release: string) => Promise<void>;
  /** Minimum time between chat.update calls on the plan message (default 1000 ms). */
  updateIntervalMs?: number;
  /** Per-hook timeout (the engine's default: 5 min). */
  hookTimeoutMs?: number;
  /** Records kept, like --history-max (the engine's default: 10). */
  historyMax?: number;
}

/** "@ana" as the release description names the Slack user; the user id when Slack gave no name. */
export function atName(u: { id: string; name?: string | undefined }): string {
  const name = u.name?.replace(/[^\w.-]/g, "");
  return `@${name || u.id}`;
}

function label(data: RemediateJob): string {
  if (data.label) return data.label;
  return planTitleText({
    action: data.action,
    namespace: data.namespace,
    release: data.release,
    sourceRevision: data.revision,
  });
}

/** Who asked to plan what: the start of both audit entries of a plan (refused or planned). */
function planAudit(data: RemediateJob) {
  return {
    event: "remediation-plan",
    user: data.user.id,
    action: data.action,
    release: data.release,
    namespace: data.namespace,
  };
}

/** What plan and execution ask the engine alike: the job's release, action and the revision it saw. */
function requestOf(data: RemediateJob) {
  return {
    release: data.release,
    namespace: data.namespace,
    action: data.action,
    revision: data.revision,
    resources: data.resources,
    expectedRevision: data.expectedRevision,
    requestedBy: atName(data.user),
  };
}

export class RemediationProcessor {
  constructor(
    private readonly store: Store,
    private readonly slack: SlackClient,
    private readonly sourceFactory: SourceFactory,
    private readonly writerFactory: WriterFactory,
    private readonly log: Log,
    private readonly now: () => Date,
    private readonly opts: RemediationOptions = {},
  ) {}

  async process(job: Job): Promise<unknown> {
    const parsed = remediateJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? "?"}`);
    }
    const data = parsed.data;
    if (data.phase === "execute" || job.name === JOBS.remediate) {
      if (data.phase !== "execute") throw new UnrecoverableError("a remediate job without a confirmed plan");
      return this.execute(job, data);
    }
    return this.plan(data);
  }

  private async thread(channel: string, threadTs: string, m: SlackMessage): Promise<string | undefined> {
    try {
      const r = await this.slack.chat.postMessage({
        channel,
        thread_ts: threadTs,
        text: m.text,
        blocks: m.blocks,
      });
      return r.ts;
    } catch (e) {
      this.log.warn(`thread reply in ${channel}/${threadTs} failed: ${slackError(e)}`);
      return undefined;
    }
  }

  private async update(channel: string, ts: string, m: SlackMessage): Promise<void> {
    try {
      await this.slack.chat.update({ channel, ts, text: m.text, blocks: m.blocks });
    } catch (e) {
      this.log.warn(`chat.update ${channel}/${ts} failed: ${slackError(e)}`);
    }
  }

  // ---------------------------------------------------------------- plan

  private async plan(data: RemediateJob): Promise<unknown> {
    const rel = releaseRef(data);
    const what = label(data);
    let plan: Plan;
    let executable = false;
    try {
      const source = await this.sourceFactory(data.namespace);
      const writer = await this.writerFactory(source, data.namespace).catch((e: unknown) => {
        this.log.warn(`no cluster writer for ${data.namespace}: ${errorText(e)}`);
        return undefined;
      });
      const learning = learningSecrets(source);
      const req = requestOf(data);
      if (writer) {
        const r = await remediate({
          ...req,
          source: learning,
          writer,
          dryRun: true,
          now: this.now,
        });
        plan = r.plan;
        executable = true;
      } else {
        // No writer (a bundle file): the pure planner on the same snapshot, shown without a Confirm button.
        const snap = await learning.load(data.release, data.namespace, this.now());
        plan = predictedPlan(
          snap,
          { action: req.action, revision: req.revision, resources: req.resources },
          { expectedRevision: req.expectedRevision, requestedBy: req.requestedBy },
        );
      }
    } catch (e) {
      this.log.warn(`planning ${data.action} of ${rel}: ${errorText(e)}`);
      await this.thread(
        data.channel,
        data.messageTs,
        renderPlanProblem(
          ":x:",
          `Could not plan ${what} for ${rel}`,
          `${errorText(e).slice(0, 1500)}\nNothing was changed. Try the button again in a minute.`,
        ),
      );
      return { planned: false, error: errorText(e) };
    }

    if (plan.refusal) {
      this.log.info(
        auditEvent({
          ...planAudit(data),
          outcome: "refused",
          reason: plan.refusal,
        }),
      );
      await this.thread(
        data.channel,
        data.messageTs,
        renderPlanProblem(
          ":no_entry:",
          `Cannot ${what.charAt(0).toLowerCase()}${what.slice(1)} on ${rel}`,
          refusalText(plan.refusal, data),
        ),
      );
      return { planned: false, refusal: plan.refusal };
    }

    const id = newDiagnosisId();
    const created = this.now();
    const named = namedCluster(data.cluster);
    const head = renderPlanHead(plan, { requester: data.user.id, ...named });
    const stored: StoredPlan = {
      id,
      diagnosisId: data.diagnosisId,
      ...(data.buttonIndex !== undefined ? { buttonIndex: data.buttonIndex } : {}),
      label: what,
      action: data.action,
      ...(data.revision !== undefined ? { revision: data.revision } : {}),
      resources: data.resources,
      release: data.release,
      namespace: data.namespace,
      expectedRevision: plan.expectedRevision,
      ...(plan.newRevision !== undefined ? { newRevision: plan.newRevision } : {}),
      requestedBy: data.user,
      channel: data.channel,
      reportTs: data.messageTs,
      head,
      executable,
      ...named,
      createdAt: created.toISOString(),
      expiresAt: new Date(Date.now() + this.store.planTtlSeconds * 1000).toISOString(),
    };
    // Stored before it is posted: its buttons must find it.
    await this.store.savePlan(stored);
    const ts = await this.thread(
      data.channel,
      data.messageTs,
      renderPlanMessage({ ...stored, head, dialog: confirmDialogText(plan) }),
    );
    if (ts) await this.store.savePlan({ ...stored, planTs: ts });
    this.log.info(
      auditEvent({
        ...planAudit(data),
        expectedRevision: plan.expectedRevision,
        newRevision: plan.newRevision ?? null,
        planId: id,
        outcome: "planned",
      }),
    );
    return { planned: true, planId: id, planTs: ts };
  }

  // ---------------------------------------------------------------- execute

  private async execute(job: Job, data: RemediateJob): Promise<unknown> {
    const planId = data.planId!;
    const planTs = data.planTs!;
    const rel = releaseRef(data);
    const stored = await this.store.getPlan(planId).catch(() => undefined);
    const head: SlackMessage = stored?.head ?? {
      text: `Plan: ${label(data)}`,
      blocks: [
        {
          type: "section",
          text: { type: "mrkdwn", text: `:clipboard: *Plan: ${label(data).replace(/[<>&]/g, "")}*` },
        },
      ],
    };
    const updater = new MessageUpdater(
      this.slack,
      data.channel,
      planTs,
      this.log,
      this.opts.updateIntervalMs ?? 1000,
    );
    const events: ProgressEvent[] = [];
    const progress = () => updater.progress(renderPlanRunning(head, data.user.id, events));
    progress();

    const requester = data.requester?.id ?? stored?.requestedBy.id;
    const slackAudit = {
      slackUser: data.user.id,
      ...(requester && requester !== data.user.id ? { plannedFor: requester } : {}),
      channel: data.channel,
      planId,
      diagnosisId: data.diagnosisId,
      jobId: job.id,
    };
    let result: RemediationResult | undefined;
    let failure: string | undefined;
    try {
      const source = await this.sourceFactory(data.namespace);
      const writer = await this.writerFactory(source, data.namespace);
      if (!writer)
        throw new Error("this helm-doctor reads a snapshot file, not a cluster: it cannot change it");
      result = await remediate({
        ...requestOf(data),
        // Stable across runs of this job: a run after a crash finds the revision it wrote (already-done) or
        // continues its pending one, instead of writing another.
        operationId: planId,
        onProgress: (e) => {
          events.push(e);
          progress();
        },
        source: learningSecrets(source),
        writer,
        hookTimeoutMs: this.opts.hookTimeoutMs,
        historyMax: this.opts.historyMax,
        logger: {
          info: (line) => {
            let entry: Record<string, unknown>;
            try {
              entry = JSON.parse(line) as Record<string, unknown>;
            } catch {
              entry = { line };
            }
            this.log.info(auditEvent({ ...entry, ...slackAudit }));
          },
        },
        now: this.now,
      });
    } catch (e) {
      failure = errorText(e);
      this.log.info(
        auditEvent({
          ts: this.now().toISOString(),
          event: "helm-doctor.remediation",
          operationId: planId,
          who: atName(data.user),
          what: data.action,
          release: data.release,
          namespace: data.namespace,
          fromRevision: data.expectedRevision,
          outcome: "error",
          errors: [failure],
          ...slackAudit,
        }),
      );
    }

    const r = result;
    const view: OutcomeView = {
      outcome: r?.outcome ?? "error",
      action: data.action,
      release: data.release,
      namespace: data.namespace,
      sourceRevision: r?.plan.sourceRevision ?? data.revision,
      revision: r?.revision,
      status: r?.status,
      historyLine: r?.historyLine,
      errors: r ? r.errors : [failure ?? "unknown error"],
      warnings: r?.warnings ?? [],
      changes: r?.changes ?? [],
      durationMs: r?.durationMs,
      resumed: r?.resumed,
      user: data.user.id,
      requester,
      resources: data.resources,
      planId,
      check: r?.check,
      cluster: data.cluster,
    };
    if (view.outcome !== "refused" && view.outcome !== "already-done") {
      await this.opts.releaseChanged?.(data.namespace, data.release).catch((e: unknown) => {
        this.log.warn(`ending the diagnosis window of ${rel}: ${errorText(e)}`);
      });
    }
    await updater.final(renderPlanDone(head, view));
    await this.thread(data.channel, data.messageTs, renderResultReply(view));
    if (view.outcome === "succeeded" || view.outcome === "failed" || view.outcome === "already-done") {
      await this.updateReport(data, view);
    }
    if (view.outcome !== "succeeded" && view.outcome !== "already-done") {
      this.log.warn(
        `remediation ${planId} (${data.action} of ${rel}) ${view.outcome}: ${view.errors[0] ?? "no error given"}`,
      );
    }
    return { outcome: view.outcome, revision: view.revision ?? null };
  }

  /** Say on the report message what was done, and take its (now stale) buttons away. */
  private async updateReport(data: RemediateJob, view: OutcomeView): Promise<void> {
    try {
      const d = await this.store.getDiagnosis(data.diagnosisId);
      let report: SlackMessage | undefined = d?.report as SlackMessage | undefined;
      if (!report && d?.jobId)
        report = (await this.store.getResult(QUEUES.diagnose, d.jobId))?.main as SlackMessage;
      if (!report) {
        this.log.info(
          `report of diagnosis ${data.diagnosisId} is no longer stored; its message stays as it is`,
        );
        return;
      }
      await this.update(data.channel, data.messageTs, renderReportRemediated(report, view, this.now()));
    } catch (e) {
      this.log.warn(`updating the report message ${data.channel}/${data.messageTs}: ${errorText(e)}`);
    }
  }

  /** A job that ended outside the processor (its worker stalled too often): say so in the thread. */
  async lost(job: Job, reason: string): Promise<void> {
    const parsed = remediateJobSchema.safeParse(job.data);
    if (!parsed.success) return;
    const data = parsed.data;
    const rel = releaseRef(data);
    await this.thread(
      data.channel,
      data.messageTs,
      renderPlanProblem(
        ":warning:",
        data.phase === "execute"
          ? `The remediation of ${rel} did not finish`
          : `Planning for ${rel} did not finish`,
        `${reason}. ${data.phase === "execute" ? `Check \`helm history ${data.release} -n ${data.namespace}\` before trying again.` : "Press the button again."}`,
      ),
    );
  }
}
