// The worker: consumes the `diagnose` queue (job names `diagnose` and `list`), reads the snapshot through an
// injected source factory (each snapshot teaches its secrets to the redactor of Slack, Redis and the log),
// diagnoses, stores the diagnosis for the report's buttons and keeps every
// requester's channel message up to date. Transient failures are retried with backoff (the message says so);
// a worker that dies mid-job loses its lock and the stalled-job check hands the job to another worker, so the
// message still ends in a report or a clear error. It also consumes the `remediate` queue (plans and confirmed
// remediations: ./remediation.ts), writing through the writer factory's ClusterWriter.
import { type Job, Queue, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { SourceError } from "../cluster/source.js";
import type { Config } from "../config.js";
import { closest } from "../didyoumean.js";
import { provesInstalled } from "../helm/ownership.js";
import { diagnoseVerified } from "../remediation/verify.js";
import {
  remediationOptions,
  renderError,
  renderProgress,
  renderReleaseList,
  renderReport,
  type Target,
} from "../report/blockkit.js";
import { secrets } from "../report/redact.js";
import { slackWebClient } from "../slack/client.js";
import type { ReleaseListing } from "../snapshot/build.js";
import { problemCodes } from "../watch/alerts.js";
import { Heartbeat } from "./agents.js";
import { DELIVERY_RETRY, type DeliveryRetry, firstLine, JobMessages, type SlackClient } from "./delivery.js";
import { diagnoseDedupId } from "./producer.js";
import { closeConnection, consoleLog, errorText, type Log, withTimeout, workerConnection } from "./redis.js";
import {
  defaultWriterFactory,
  RemediationProcessor,
  type SourceFactory,
  type WriterFactory,
} from "./remediation.js";
import {
  DEFAULT_CLUSTER,
  diagnoseJobSchema,
  JOBS,
  type JobResult,
  listJobSchema,
  namedCluster,
  QUEUES,
  queueName,
} from "./schemas.js";
import { learningSecrets } from "./secrets.js";
import { newDiagnosisId, Store } from "./store.js";

export { SLACK_RETRY_CONFIG } from "./delivery.js";
export type { SourceFactory, WriterFactory } from "./remediation.js";

export interface WorkerTuning {
  /** Jobs at once (default config.workerConcurrency). */
  concurrency?: number;
  /** How long a job's lock lasts without renewal: a dead worker's job is recovered after about this long. */
  lockDuration?: number;
  /** How often to look for stalled jobs. */
  stalledInterval?: number;
  /** How often a diagnosis is restarted after its worker stopped before the requester is told (default 2). */
  maxStalledCount?: number;
  /** On close, running diagnoses get this long to finish before they are handed back to the queue. */
  shutdownGraceMs?: number;
  /** Pause after a Redis error in the worker loop (default 1000 ms). */
  runRetryDelay?: number;
  /** Minimum time between chat.update calls on one message (default 1000 ms). */
  updateIntervalMs?: number;
  /** Retries of a final result's delivery on top of the WebClient's own (default DELIVERY_RETRY). */
  deliveryRetry?: DeliveryRetry;
  /** Remediation jobs (plans, executions) at once (default 2). */
  remediateConcurrency?: number;
  /** Per-hook timeout of remediations (default: the engine's 5 min). */
  hookTimeoutMs?: number;
  /** Release records kept by remediations, like --history-max (default: the engine's 10). */
  historyMax?: number;
}

export interface WorkerDeps {
  sourceFactory: SourceFactory;
  /**
   * Remediations write through this (default: a KubeWriter on a LiveSource's kubeconfig; none for a bundle, whose
   * plans are then shown without a Confirm button).
   */
  writerFactory?: WriterFactory;
  /** Slack Web API client (serve passes the Bolt app's); default: a WebClient from the config. */
  slack?: SlackClient;
  log?: Log;
  now?: () => Date;
  /** Stop on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
  tuning?: WorkerTuning;
}

export interface WorkerHandle {
  worker: Worker;
  /** The `remediate` queue's consumer (plans and confirmed remediations). */
  remediateWorker: Worker;
  store: Store;
  /** This agent's entry in Redis (the front end lists live agents per cluster). */
  heartbeat: Heartbeat;
  close(): Promise<void>;
}

function targetOf(data: { release?: string; namespace: string; cluster?: string }): Target {
  const named = namedCluster(data.cluster);
  return data.release
    ? { release: data.release, namespace: data.namespace, ...named }
    : { namespace: data.namespace, ...named };
}

export function notFoundMessage(release: string, namespace: string, listing: ReleaseListing[]): string {
  const lines = [`There is no Helm release "${release}" in namespace "${namespace}".`];
  const close = closest(
    release,
    listing.map((r) => r.name),
  );
  if (close.length > 0) lines.push(`Did you mean: ${close.join(", ")}?`);
  lines.push(
    listing.length > 0
      ? `Releases in ${namespace}: ${listing
          .slice(0, 30)
          .map((r) => `${r.name} (${r.status})`)
          .join(", ")}${listing.length > 30 ? `, and ${listing.length - 30} more` : ""}.`
      : `There are no Helm releases in namespace "${namespace}".`,
  );
  return lines.join("\n");
}

/** A diagnosis whose workers kept stopping while running it (crash, SIGKILL, out of memory). */
export class WorkerStoppedError extends UnrecoverableError {
  constructor(times: number) {
    super(
      `the worker running this diagnosis stopped ${times} times before it finished (crashed, killed, or ran out of memory)`,
    );
    this.name = "WorkerStoppedError";
  }
}

function isFinalAttempt(job: Job, e: unknown): boolean {
  return e instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export class DiagnoseProcessor {
  /** Per job, across its attempts: keeps the update throttle of each message. */
  private readonly jobMessages = new Map<string, JobMessages>();

  constructor(
    private readonly store: Store,
    private readonly slack: SlackClient,
    private readonly sourceFactory: SourceFactory,
    private readonly log: Log,
    private readonly now: () => Date,
    private readonly updateIntervalMs: number,
    private readonly deliveryRetry: DeliveryRetry = DELIVERY_RETRY,
    /** Restarts after a stopped worker before the job fails (WorkerStoppedError). */
    private readonly maxStalls = 2,
    /** This agent's cluster: its reports, stored diagnoses and buttons name it. */
    private readonly cluster: string = DEFAULT_CLUSTER,
  ) {}

  /** Jobs running here and their lock tokens: what a shutdown hands back to the queue. */
  private readonly active = new Map<
    string,
    { job: Job; token: string | undefined; abandon: (e: Error) => void }
  >();

  /**
   * Give the running jobs back to the queue (BullMQ's moveToWait releases the lock), so another worker starts them
   * at once instead of after the lock expires. Their messages stop here; the new run takes them over.
   */
  async handBack(log: Log): Promise<number> {
    let n = 0;
    for (const [id, { job, token, abandon }] of this.active) {
      try {
        await withTimeout(job.moveToWait(token), 2000, "no answer from Redis");
        this.jobMessages.get(id)?.cancel();
        // BullMQ's way to end a processor whose job was moved to wait: its worker then closes cleanly.
        abandon(new WaitingError());
        log.info(`job ${id} handed back to the queue (shutdown)`);
        n++;
      } catch (e) {
        log.warn(
          `could not hand job ${id} back (${(e as Error).message}); it restarts when its lock expires`,
        );
      }
    }
    this.active.clear();
    return n;
  }

  messages(job: Job): JobMessages {
    let m = this.jobMessages.get(job.id!);
    if (!m) {
      m = new JobMessages(
        this.slack,
        this.store,
        QUEUES.diagnose,
        job.id!,
        this.log,
        this.updateIntervalMs,
        this.deliveryRetry,
      );
      this.jobMessages.set(job.id!, m);
    }
    return m;
  }

  /** The job is over (result delivered): forget its messages. */
  done(job: Job): void {
    this.jobMessages.get(job.id!)?.cancel();
    this.jobMessages.delete(job.id!);
  }

  async process(job: Job, token?: string): Promise<unknown> {
    let abandon: (e: Error) => void = () => {};
    const abandoned = new Promise<never>((_, reject) => {
      abandon = reject;
    });
    this.active.set(job.id!, { job, token, abandon });
    try {
      return await Promise.race([this.run(job), abandoned]);
    } finally {
      this.active.delete(job.id!);
      // After a final outcome the messages are done; a retry keeps them (and their throttle).
      if ((await this.store.getResult(QUEUES.diagnose, job.id!).catch(() => undefined)) !== undefined)
        this.done(job);
    }
  }

  private async run(job: Job): Promise<unknown> {
    const parsed =
      job.name === JOBS.list ? listJobSchema.safeParse(job.data) : diagnoseJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`invalid job data: ${parsed.error.issues[0]?.message ?? "?"}`);
    }
    const data = parsed.data as {
      release?: string;
      namespace: string;
      command?: string;
      requestedBy: string;
      helmOutput?: string;
      cluster?: string;
    };
    const target = targetOf({ ...data, cluster: this.cluster });
    const named = target.cluster ? { cluster: target.cluster } : {};
    const msgs = this.messages(job);
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    const restarts = job.stalledCounter ?? 0;
    const step = (s: string) => {
      const why = [
        restarts > 0 ? `restarted after its worker stopped (${restarts} of ${this.maxStalls})` : "",
        attempt > 1 ? `attempt ${attempt} of ${attempts}` : "",
      ].filter((x) => x !== "");
      return why.length > 0 ? `${why.join(", ")}: ${s}` : s;
    };
    try {
      // A stall (the worker died holding the job) counts like a failed attempt, up to its own bound.
      if (restarts > this.maxStalls) throw new WorkerStoppedError(restarts);
      // A job on this cluster's queue is this cluster's; one naming another cluster was misrouted.
      if ((data.cluster ?? DEFAULT_CLUSTER) !== this.cluster)
        throw new UnrecoverableError(
          `this job is for cluster ${data.cluster ?? DEFAULT_CLUSTER}, but this worker serves cluster ${this.cluster}`,
        );
      await msgs.progress((users) => renderProgress(target, step("reading release records…"), users));
      // Before a diagnosis is shown, stored or logged, its snapshot's secrets are known to the redactor.
      const source = learningSecrets(await this.sourceFactory(target.namespace));
      if (!target.release) {
        const listing = await source.releases(target.namespace);
        await msgs.finish({
          kind: "list",
          main: renderReleaseList(target.namespace, listing, data.command ?? "/helm-doctor", target.cluster),
          thread: [],
        });
        return { releases: listing.length };
      }
      const hints = data.helmOutput ? { helmOutput: data.helmOutput } : {};
      const snapshot = await source.load(target.release, target.namespace, this.now(), hints);
      // A failed first install may have stored nothing: with its output there is still a diagnosis.
      // With no records but objects its uninstall would have deleted, the release existed: its records are gone,
      // and that is the diagnosis (release-record-missing), not "not found".
      const release = target.release;
      const owned = snapshot.objects.some((o) => provesInstalled(o, release, target.namespace));
      if (snapshot.records.length === 0 && !data.helmOutput && !owned) {
        let listing: ReleaseListing[] = [];
        try {
          listing = await source.releases(target.namespace);
        } catch {
          // listing may be forbidden; the message just says less
        }
        await msgs.finish({
          kind: "error",
          main: renderError(target, notFoundMessage(target.release, target.namespace, listing)),
          thread: [],
        });
        return { notFound: true };
      }
      const pods = snapshot.objects.filter((o) => o.kind === "Pod").length;
      await msgs.progress((users) =>
        renderProgress(
          target,
          step(
            `read ${snapshot.records.length} revision${snapshot.records.length === 1 ? "" : "s"}; inspecting ${pods} pod${pods === 1 ? "" : "s"} and ${snapshot.events.length} event${snapshot.events.length === 1 ? "" : "s"}…`,
          ),
          users,
        ),
      );
      const d = diagnoseVerified(snapshot);
      const id = newDiagnosisId();
      const latest = d.revision ?? null;
      const report = renderReport(d, {
        ...(latest === null ? {} : { diagnosisId: id }),
        requestedBy: data.requestedBy,
        ...named,
      });
      await this.store.saveDiagnosis({
        id,
        release: d.release,
        namespace: d.namespace,
        revision: latest,
        status: d.status ?? null,
        remediations: latest === null ? [] : remediationOptions(d),
        createdAt: new Date().toISOString(),
        jobId: job.id,
        ...named,
        report: report.main,
      });
      const result: JobResult = {
        kind: "report",
        diagnosisId: id,
        main: report.main,
        thread: report.thread,
        retrieve: `${data.command ?? "/helm-doctor"} last ${target.cluster ? `${target.cluster}/` : ""}${d.namespace}/${d.release}`,
      };
      // Kept before delivery, so a requester told "delivery failed" can fetch it.
      await this.store.saveLast(d.namespace, d.release, result, this.cluster);
      const stored = await msgs.finish(result);
      return {
        diagnosisId: stored.diagnosisId ?? id,
        findings: d.findings.length,
        codes: d.findings.map((f) => f.code),
        // What an unasked report compares: the findings at warning or worse.
        problems: problemCodes(d.findings),
        revision: latest,
        status: d.status ?? null,
      };
    } catch (e) {
      const permanent = e instanceof SourceError || e instanceof UnrecoverableError;
      const final = permanent || isFinalAttempt(job, e);
      if (final) {
        await this.finishWithError(job, target, e, attempt).catch((err: unknown) =>
          this.log.error(`job ${job.id}: could not report its failure: ${(err as Error).message}`),
        );
        if (permanent && !(e instanceof UnrecoverableError))
          throw new UnrecoverableError((e as Error).message);
      } else {
        await msgs
          .progress((users) =>
            renderProgress(
              target,
              `attempt ${attempt} of ${attempts} failed (${firstLine(errorText(e))}); retrying shortly…`,
              users,
            ),
          )
          .catch(() => {});
      }
      throw e;
    }
  }

  /** The job ended without a report: say so on every message, and let the next request start afresh. */
  async finishWithError(job: Job, target: Target, e: unknown, attempts: number): Promise<void> {
    const permanent = e instanceof SourceError || e instanceof UnrecoverableError;
    const result: JobResult = {
      kind: "error",
      main: renderError(
        target,
        errorText(e),
        e instanceof WorkerStoppedError
          ? "Check the helm-doctor worker's logs and memory limit (a pod restarted or OOMKilled), then run the command again."
          : permanent
            ? undefined
            : `Gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}. Check that helm-doctor can reach the cluster, then run the command again.`,
      ),
      thread: [],
    };
    await this.messages(job).finish(result);
    await job.removeDeduplicationKey().catch(() => false);
  }
}

/** BullMQ keeps a failed job's error in Redis (failedReason, stacktrace): it is stored redacted. */
async function redactedFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof Error) {
      e.message = secrets.text(e.message);
      if (e.stack) e.stack = secrets.text(e.stack);
    }
    throw e;
  }
}

/** Start the workers (no Slack front end). Stops on SIGTERM unless `handleSignals: false`. */
export async function startWorker(config: Config, deps: WorkerDeps): Promise<WorkerHandle> {
  const log = deps.log ?? consoleLog;
  const tuning = deps.tuning ?? {};
  // An injected client must come from src/slack/client.ts too (serve passes its Bolt app's).
  const slack: SlackClient = deps.slack ?? slackWebClient(config);

  const storeConn: Redis = workerConnection(config.redisUrl, log, "worker-store");
  const workerConn: Redis = workerConnection(config.redisUrl, log, "worker");
  const remediateConn: Redis = workerConnection(config.redisUrl, log, "remediate-worker");
  const store = new Store(storeConn, config.queuePrefix, config.diagnosisTtlSeconds);
  // This cluster's queues: only its own agent consumes them.
  const queues = {
    diagnose: queueName(QUEUES.diagnose, config.cluster),
    remediate: queueName(QUEUES.remediate, config.cluster),
  };
  const lockDuration = tuning.lockDuration ?? config.jobLockMs;
  const stalledInterval = tuning.stalledInterval ?? config.stalledCheckMs;
  const maxStalls = tuning.maxStalledCount ?? config.maxStalls;
  const shutdownGraceMs = tuning.shutdownGraceMs ?? config.shutdownGraceMs;
  const processor = new DiagnoseProcessor(
    store,
    slack,
    deps.sourceFactory,
    log,
    deps.now ?? (() => new Date()),
    tuning.updateIntervalMs ?? 1000,
    tuning.deliveryRetry,
    maxStalls,
    config.cluster,
  );

  // A dead worker's job is restarted once its lock expires (at most lockDuration after its last renewal) and the
  // next stalled-job check runs (every stalledInterval): with the defaults, within about 10 s.
  const worker = new Worker(
    queues.diagnose,
    (job, token) => redactedFailure(() => processor.process(job, token)),
    {
      connection: workerConn,
      prefix: config.queuePrefix,
      concurrency: tuning.concurrency ?? config.workerConcurrency,
      lockDuration,
      stalledInterval,
      // One more than ours, so the processor's own bound (with its message) is what ends a job that keeps stalling.
      maxStalledCount: maxStalls + 1,
      runRetryDelay: tuning.runRetryDelay ?? 1000,
    },
  );
  worker.on("error", (e) => log.debug(`worker: ${e.message}`));

  // Diagnoses of a release that a remediation changed start afresh (no joining a report of the old state).
  const diagnoseQueue = new Queue(queues.diagnose, { connection: storeConn, prefix: config.queuePrefix });
  diagnoseQueue.on("error", (e) => log.debug(`diagnose queue: ${e.message}`));
  const remediation = new RemediationProcessor(
    store,
    slack,
    deps.sourceFactory,
    deps.writerFactory ?? defaultWriterFactory,
    log,
    deps.now ?? (() => new Date()),
    {
      updateIntervalMs: tuning.updateIntervalMs ?? 1000,
      releaseChanged: async (ns, rel) => {
        await diagnoseQueue.removeDeduplicationKey(diagnoseDedupId(ns, rel));
      },
      ...(tuning.hookTimeoutMs !== undefined ? { hookTimeoutMs: tuning.hookTimeoutMs } : {}),
      ...(tuning.historyMax !== undefined ? { historyMax: tuning.historyMax } : {}),
    },
  );
  // Remediation jobs have attempts: 1. A job whose worker died is handed out once more by the stalled-job check
  // (maxStalledCount 1) only after its lock expired: the engine then finds the revision its operation id wrote.
  const remediateWorker = new Worker(
    queues.remediate,
    (job) => redactedFailure(() => remediation.process(job)),
    {
      connection: remediateConn,
      prefix: config.queuePrefix,
      concurrency: tuning.remediateConcurrency ?? 2,
      lockDuration: tuning.lockDuration ?? 30_000,
      stalledInterval: tuning.stalledInterval ?? 15_000,
      maxStalledCount: 1,
      runRetryDelay: tuning.runRetryDelay ?? 1000,
    },
  );
  remediateWorker.on("error", (e) => log.debug(`remediate worker: ${e.message}`));
  remediateWorker.on("stalled", (jobId) =>
    log.warn(`remediation job ${jobId} stalled (its worker stopped); it runs once more`),
  );
  remediateWorker.on("failed", (job, e) => {
    if (!job) return;
    log.warn(`remediation job ${job.id} (${job.name}) failed: ${errorText(e)}`);
    if (job.finishedOn !== undefined && /stalled/i.test(e.message)) {
      void remediation.lost(job, "the worker running it stopped repeatedly").catch(() => {});
    }
  });
  worker.on("stalled", (jobId) => log.warn(`job ${jobId} stalled (its worker stopped); it runs again`));
  worker.on("failed", (job, e) => {
    if (!job) return;
    log.warn(`job ${job.id} (${job.name}) attempt ${job.attemptsMade} failed: ${errorText(e)}`);
    // Jobs failed outside the processor (stalled too often) still owe their requesters an answer.
    if (job.finishedOn !== undefined && /stalled/i.test(e.message)) {
      const data = job.data as { release?: string; namespace?: string };
      if (data?.namespace) {
        void processor
          .finishWithError(
            job,
            targetOf({
              namespace: data.namespace,
              ...(data.release ? { release: data.release } : {}),
              cluster: config.cluster,
            }),
            new WorkerStoppedError(job.stalledCounter),
            job.attemptsMade,
          )
          .catch(() => {});
      }
    }
  });

  // BullMQ's worker loop retries Redis errors by itself; should it ever stop anyway (an error at start), start it
  // again rather than leave the queue without a consumer.
  let stopping = false;
  const supervisor = setInterval(() => {
    for (const [name, w] of [
      ["diagnose", worker],
      ["remediate", remediateWorker],
    ] as const) {
      if (stopping || w.isRunning() || w.isPaused()) continue;
      log.warn(`the ${name} worker loop had stopped; restarting it`);
      w.run().catch((e: unknown) => log.debug(`${name} worker run: ${(e as Error).message}`));
    }
  }, 5000);
  supervisor.unref();

  // This cluster's agent is alive while this runs (the front end answers commands for clusters with none).
  const heartbeat = new Heartbeat(
    storeConn,
    config.queuePrefix,
    config.cluster,
    ["worker"],
    config.heartbeatMs,
    log,
  );
  heartbeat.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    stopping = true;
    clearInterval(supervisor);
    closing ??= (async () => {
      await withTimeout(heartbeat.stop(), 1000, "heartbeat").catch(() => {});
      // Let running jobs finish (diagnoses are short), but not forever: a forced close leaves the job to the
      // stalled-job check of another worker (a remediation then continues from the revision it wrote).
      await Promise.all(
        [worker, remediateWorker].map(async (w) => {
          // Redis unreachable: nothing can finish cleanly (no lock renewal, no completion), so do not wait.
          if (workerConn.status !== "ready") {
            await withTimeout(w.close(true), 2000, "forced close").catch(() => {});
            return;
          }
          const graceful = w.close();
          const timedOut = await Promise.race([
            graceful.then(() => false),
            new Promise<boolean>((r) => setTimeout(() => r(true), shutdownGraceMs).unref()),
          ]);
          if (!timedOut) return;
          // Diagnoses only read, so another worker may start them at once; a remediation is left to the
          // stalled-job check (after this process is gone), which resumes it from the revision it wrote.
          if (w === worker) await processor.handBack(log);
          await withTimeout(w.close(true), 2000, "forced close").catch(() => {});
        }),
      );
      await withTimeout(diagnoseQueue.close(), 2000, "queue close").catch(() => {});
      await Promise.allSettled([
        closeConnection(storeConn),
        closeConnection(workerConn),
        closeConnection(remediateConn),
      ]);
      if (deps.handleSignals !== false) {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
    })();
    return closing;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    log.info(`${sig}: stopping the worker`);
    void close().then(() => log.info("worker stopped"));
  };
  if (deps.handleSignals !== false) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return { worker, remediateWorker, store, heartbeat, close };
}
