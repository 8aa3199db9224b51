// Producers of the `diagnose` and `remediate` queues (plans and confirmed executions). Every call fails within
// `timeoutMs` when Redis is unreachable (QueueUnavailableError), so the Slack front end can tell the user at once.
import { createHash, randomBytes } from "node:crypto";
import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type Log, withTimeout } from "./redis.js";
import {
  type DiagnoseJob,
  diagnoseJobSchema,
  JOBS,
  type ListJob,
  listJobSchema,
  QUEUES,
  queueName,
  type RemediateJob,
  type RemediateJobInput,
  remediateJobSchema,
} from "./schemas.js";

export class QueueUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the job queue (Redis) is unreachable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "QueueUnavailableError";
  }
}

export interface ProducerOptions {
  prefix: string;
  /** Requests for the same release within this window join one job (0: no deduplication). */
  dedupWindowMs: number;
  /** Give up on Redis after this long (default 1500 ms: the user hears back within 3 s of the command). */
  timeoutMs?: number;
  /** The cluster whose queues this producer feeds (default: the default cluster's). */
  cluster?: string;
  /** Attempts of a diagnose job (default 3), with exponential backoff from `backoffMs` (default 2000). */
  attempts?: number;
  backoffMs?: number;
  log?: Log;
}

export interface Enqueued {
  jobId: string;
  /** True when the request joined a job that was already queued or running (deduplication). */
  joined: boolean;
}

export interface RemediateEnqueued {
  jobId: string;
  /**
   * plan: the same button's plan is still being made; execute: this plan is already queued (`samePlan`), or
   * another remediation of this release is queued or running.
   */
  duplicate: boolean;
  /** Who asked for the job that is already queued, when duplicate. */
  queuedBy?: string;
  /** execute: the duplicate is this very plan's job (a second Confirm). */
  samePlan?: boolean;
}

/**
 * The deduplication id of a release's diagnoses: requests within the window join one job. A diagnosis with a failed
 * helm command's output is another question (its evidence differs), so it joins only the same output's job.
 */
export function diagnoseDedupId(namespace: string, release: string, helmOutput?: string): string {
  const base = `diagnose:${namespace}/${release}`;
  if (helmOutput === undefined) return base;
  return `${base}:output:${createHash("sha256").update(helmOutput).digest("hex").slice(0, 32)}`;
}

function jobId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${randomBytes(6).toString("hex")}`;
}

export class Producer {
  readonly diagnose: Queue;
  readonly remediate: Queue;
  private readonly timeoutMs: number;

  constructor(
    connection: Redis,
    private readonly opts: ProducerOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 1500;
    const log = opts.log;
    // A Queue emits "error" on connection trouble; an EventEmitter error without a listener would crash.
    this.diagnose = new Queue(queueName(QUEUES.diagnose, opts.cluster), { connection, prefix: opts.prefix });
    this.diagnose.on("error", (e) => log?.debug(`diagnose queue: ${e.message}`));
    this.remediate = new Queue(queueName(QUEUES.remediate, opts.cluster), {
      connection,
      prefix: opts.prefix,
    });
    this.remediate.on("error", (e) => log?.debug(`remediate queue: ${e.message}`));
  }

  private async guarded<T>(p: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(p(), this.timeoutMs, `no answer within ${this.timeoutMs} ms`);
    } catch (e) {
      throw new QueueUnavailableError(e);
    }
  }

  private diagnoseOptions(id: string, dedupId: string, whileQueued = false): JobsOptions {
    return {
      jobId: id,
      attempts: this.opts.attempts ?? 3,
      backoff: { type: "exponential", delay: this.opts.backoffMs ?? 2000 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600 },
      ...(whileQueued
        ? { deduplication: { id: dedupId } }
        : this.opts.dedupWindowMs > 0
          ? { deduplication: { id: dedupId, ttl: this.opts.dedupWindowMs } }
          : {}),
    };
  }

  /**
   * `dedupId` (the watcher's, per release and revision) joins requests while that job is queued or running,
   * instead of the release's time window.
   */
  async enqueueDiagnose(data: DiagnoseJob, dedupId?: string): Promise<Enqueued> {
    const payload = diagnoseJobSchema.parse(data);
    const id = jobId("d");
    const job = await this.guarded(() =>
      this.diagnose.add(
        JOBS.diagnose,
        payload,
        this.diagnoseOptions(
          id,
          dedupId ?? diagnoseDedupId(payload.namespace, payload.release, payload.helmOutput),
          dedupId !== undefined,
        ),
      ),
    );
    return { jobId: job.id ?? id, joined: job.id !== undefined && job.id !== id };
  }

  async enqueueList(data: ListJob): Promise<Enqueued> {
    const payload = listJobSchema.parse(data);
    const id = jobId("l");
    const job = await this.guarded(() =>
      this.diagnose.add(JOBS.list, payload, this.diagnoseOptions(id, `list:${payload.namespace}`)),
    );
    return { jobId: job.id ?? id, joined: job.id !== undefined && job.id !== id };
  }

  /**
   * A report button was pressed: queue the dry run that makes the plan (phase `plan`, job name `plan`). One job
   * per button at a time, atomically (BullMQ deduplication until the job finishes): a double click joins the plan
   * being made (duplicate); once it has finished, the button may plan again. Plans write nothing, so they are not
   * deduplicated per release. A payload with phase `execute` goes to enqueueExecute.
   */
  async enqueueRemediate(data: RemediateJobInput, buttonIndex: number): Promise<RemediateEnqueued> {
    const payload = remediateJobSchema.parse({ ...data, buttonIndex: data.buttonIndex ?? buttonIndex });
    if (payload.phase === "execute") return this.enqueueExecute(payload);
    const id = jobId("p");
    return this.guarded(async () => {
      const job = await this.remediate.add(JOBS.plan, payload, {
        jobId: id,
        attempts: 1,
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 24 * 3600 },
        deduplication: { id: `plan:${payload.diagnosisId}:${buttonIndex}` },
      });
      if (job.id !== undefined && job.id !== id) {
        const other = await this.remediate.getJob(job.id);
        return {
          jobId: job.id,
          duplicate: true,
          queuedBy: (other?.data as RemediateJob | undefined)?.user?.id,
        };
      }
      return { jobId: id, duplicate: false };
    });
  }

  /**
   * A plan was confirmed: queue its execution (job name `remediate`, id `x-<planId>`). Never retried by BullMQ
   * (attempts: 1); a job that runs again after its worker died is safe because the engine finds the revision this
   * plan's operation id wrote. One remediation per release at a time (deduplication until the job finishes).
   */
  async enqueueExecute(data: RemediateJobInput): Promise<RemediateEnqueued> {
    const payload = remediateJobSchema.parse({ ...data, phase: "execute" });
    const id = `x-${payload.planId}`;
    return this.guarded(async () => {
      const existing = await this.remediate.getJob(id);
      if (existing) {
        return {
          jobId: id,
          duplicate: true,
          samePlan: true,
          queuedBy: (existing.data as RemediateJob | undefined)?.user?.id,
        };
      }
      const job = await this.remediate.add(JOBS.remediate, payload, {
        jobId: id,
        attempts: 1,
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
        deduplication: { id: `remediate:${payload.namespace}/${payload.release}` },
      });
      if (job.id !== undefined && job.id !== id) {
        const other = await this.remediate.getJob(job.id);
        return {
          jobId: job.id,
          duplicate: true,
          samePlan: false,
          queuedBy: (other?.data as RemediateJob | undefined)?.user?.id,
        };
      }
      return { jobId: id, duplicate: false };
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.diagnose.close(), this.remediate.close()]);
  }
}
