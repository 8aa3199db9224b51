// The front end's watch over the messages it posted for jobs that have not ended yet. A job whose Redis data
// vanished (Redis restarted without persistence, or flushed) would leave its message at "queued…" forever: the
// watch notices the job is gone without a result and says so. A result that exists but was never delivered
// (the worker died between storing and delivering) is delivered from here.
import type { Queue } from "bullmq";
import { renderError, type Target } from "../report/blockkit.js";
import { type DeliveryRetry, deliverResult, type SlackClient } from "./delivery.js";
import type { Log } from "./redis.js";
import { type JobResult, QUEUES, type Subscriber } from "./schemas.js";
import type { Store } from "./store.js";

interface Pending {
  jobId: string;
  /** The job's queue (a cluster's own), when not the default one. */
  queue?: Queue;
  sub: Subscriber;
  target: Target;
  since: number;
}

export interface LostJobWatchOptions {
  /** How often to look (default 15 s). */
  intervalMs?: number;
  /** Stop watching a message after this long (default 2 h: the job has long ended or failed by then). */
  maxAgeMs?: number;
  retry?: DeliveryRetry;
}

export const LOST_JOB_TEXT =
  "helm-doctor's job queue (Redis) lost this request: its job is gone without a result (was Redis restarted without persistence?). Nothing is running for it.";

export class LostJobWatch {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly store: Store,
    private readonly client: SlackClient,
    private readonly log: Log,
    private readonly opts: LostJobWatchOptions = {},
  ) {}

  /** Watch a message; `queue` is the job's queue when it is another cluster's (its jobs live there). */
  add(jobId: string, sub: Subscriber, target: Target, queue?: Queue): void {
    this.pending.set(`${sub.channel}/${sub.ts}`, {
      jobId,
      sub,
      target,
      since: Date.now(),
      ...(queue ? { queue } : {}),
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.check().finally(() => {
        this.running = undefined;
      });
    }, this.opts.intervalMs ?? 15_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One look at every watched message; Redis errors leave them for the next look. */
  async check(): Promise<void> {
    const maxAge = this.opts.maxAgeMs ?? 2 * 3600_000;
    for (const [key, p] of this.pending) {
      const deliver = (result: JobResult) =>
        deliverResult(
          this.client,
          this.store,
          QUEUES.diagnose,
          p.jobId,
          p.sub,
          result,
          this.log,
          undefined,
          this.opts.retry,
        );
      try {
        const result = await this.store.getResult(QUEUES.diagnose, p.jobId);
        if (result) {
          // Ended: make sure this message got it (a no-op when the worker delivered it).
          await deliver(result);
          this.pending.delete(key);
          continue;
        }
        if (await (p.queue ?? this.queue).getJob(p.jobId)) {
          if (Date.now() - p.since > maxAge) this.pending.delete(key);
          continue;
        }
        // No job and no result: the job's data is gone.
        this.pending.delete(key);
        this.log.warn(
          `job ${p.jobId} vanished from Redis without a result; telling ${p.sub.channel}/${p.sub.ts}`,
        );
        await deliver({
          kind: "error",
          main: renderError(p.target, LOST_JOB_TEXT, "Run the command again."),
          thread: [],
        });
      } catch (e) {
        this.log.debug(`lost-job watch: ${(e as Error).message}`);
      }
    }
  }
}
