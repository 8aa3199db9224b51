// `helm-doctor watch`: watches the release records of the configured namespaces and, when a release goes wrong,
// asks for a diagnosis through the same BullMQ job as the slash command, then posts the report in the channel its
// routing gives, unasked. One watcher per cluster acts (a Redis lease); what it asked for and what it posted is
// kept in Redis, so a restart or another replica neither asks nor posts twice. The decisions are pure
// (./triggers.ts: when to diagnose; ./alerts.ts: post, update, resolve); this file does the I/O around them.
import type { KubeConfig } from "@kubernetes/client-node";
import { Job, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { type Forbidden, type RecordResource, RecordWatch } from "../cluster/records-watch.js";
import type { Config } from "../config.js";
import { PENDING_STUCK_AFTER_MS } from "../diagnosis/analyzers/release-pending-stuck.js";
import { NotReadyError } from "../observability/ready.js";
import { Heartbeat } from "../queue/agents.js";
import {
  DELIVERY_RETRY,
  type DeliveryRetry,
  type SlackClient,
  slackFailure,
  slackRetry,
} from "../queue/delivery.js";
import { Producer } from "../queue/producer.js";
import { closeConnection, type Log, withTimeout, workerConnection } from "../queue/redis.js";
import { type JobResult, namedCluster, QUEUES, queueName } from "../queue/schemas.js";
import { Store } from "../queue/store.js";
import type { SlackMessage } from "../report/blockkit.js";
import { backoffMs } from "../retry.js";
import {
  type AlertState,
  changeReply,
  decideAlert,
  NOT_DIAGNOSED,
  notDiagnosedMessage,
  type Outcome,
  resolvedReply,
  resolvedReport,
  unaskedReport,
  updatedReport,
} from "./alerts.js";
import { type Routes, routeFor } from "./routes.js";
import { Lease, type PendingDiagnosis, rateWindowEnd, WatchState } from "./state.js";
import { evaluate, latestRecord, type RecordMeta, type Trigger } from "./triggers.js";

export { NotReadyError };

export interface WatcherDeps {
  /** The cluster's kubeconfig (the agent's service account in a cluster). */
  kubeConfig: KubeConfig;
  routes: Routes;
  /** The record drivers to watch (Helm's default: secrets). */
  resources?: RecordResource[];
  slack: SlackClient;
  log: Log;
  now?: () => Date;
  /** This agent's heartbeat (a `worker --watch` shares the worker's); default: one of its own. */
  heartbeat?: Heartbeat;
  tuning?: WatcherTuning;
}

export interface WatcherTuning {
  /** The lease: the acting watcher renews it every third of this; a standby takes over after it (default 15 s). */
  leaseMs?: number;
  /** How often jobs asked for are checked on, besides their completion events (default 5 s). */
  sweepMs?: number;
  /** A pending-* revision older than this is stuck (default: the diagnosis's own threshold, 10 min). */
  stuckMs?: number;
  /** Retries of Slack calls (default DELIVERY_RETRY). */
  deliveryRetry?: DeliveryRetry;
  /** Backoff of a failed list or watch. */
  backoff?: { baseMs: number; maxMs: number };
  /** When a diagnosis that could not run is asked again (default 1 min, doubling to 30 min). */
  diagnosisRetry?: { baseMs: number; maxMs: number };
}

export interface WatcherStats {
  /** Watch connections opened (one per namespace and driver while nothing fails). */
  watches: number;
  lists: number;
  events: number;
  expired: number;
  errors: number;
  triggers: number;
  diagnoses: number;
  posts: number;
  updates: number;
  resolved: number;
  /** New messages held back by the per-channel limit. */
  held: number;
}

type Book = Map<string, Map<string, RecordMeta>>;

/** The command printing the Role that grants a watch its reads (`-n '*'` for a cluster-wide watch). */
export function rbacHint(namespace: string | undefined): string {
  return `helm-doctor rbac -n ${namespace ?? "'*'"} --watch | kubectl apply -f -`;
}

const relKey = (ns: string, rel: string) => `${ns}/${rel}`;

function put(book: Book, r: RecordMeta): void {
  const k = relKey(r.namespace, r.release);
  const m = book.get(k) ?? new Map<string, RecordMeta>();
  m.set(r.name, r);
  book.set(k, m);
}

export class Watcher {
  readonly stats: WatcherStats = {
    watches: 0,
    lists: 0,
    events: 0,
    expired: 0,
    errors: 0,
    triggers: 0,
    diagnoses: 0,
    posts: 0,
    updates: 0,
    resolved: 0,
    held: 0,
  };
  private readonly cluster: string;
  private readonly redis: Redis;
  private readonly eventsConn: Redis;
  private readonly state: WatchState;
  private readonly store: Store;
  private readonly producer: Producer;
  private readonly lease: Lease;
  private readonly heartbeat: Heartbeat;
  private readonly ownHeartbeat: boolean;
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private readonly stuckMs: number;
  private readonly retry: DeliveryRetry;
  private readonly queue: string;

  private leading = false;
  private leadership: Promise<void> | undefined;
  private watches: { watch: RecordWatch; book: Book }[] = [];
  private queueEvents: QueueEvents | undefined;
  private epoch = 0;
  private alerts = new Map<string, AlertState>();
  private readonly pending = new Map<string, PendingDiagnosis & { heldUntil?: number; retryAt?: number }>();
  /** Triggers whose diagnosis could not run, asked again at `at` (attempts counted per release for the backoff). */
  private readonly retrying = new Map<string, { trigger: Trigger; at: number }>();
  private readonly retries = new Map<string, number>();
  /** When each release asks to be evaluated again (a pending or deployed revision ages). */
  private readonly due = new Map<string, number>();
  private dueTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly chains = new Map<string, Promise<void>>();
  private inflight = 0;
  private closed = false;
  private readonly unrouted = new Set<string>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly config: Pick<Config, "cluster" | "queuePrefix" | "redisUrl" | "heartbeatMs" | "watch">,
    private readonly deps: WatcherDeps,
  ) {
    if (!config.watch) throw new Error("the watcher needs its settings (HELM_DOCTOR_WATCH_NAMESPACES)");
    const log = deps.log;
    this.cluster = config.cluster;
    this.now = deps.now ?? (() => new Date());
    this.leaseMs = deps.tuning?.leaseMs ?? 15_000;
    this.stuckMs = deps.tuning?.stuckMs ?? PENDING_STUCK_AFTER_MS;
    this.retry = deps.tuning?.deliveryRetry ?? DELIVERY_RETRY;
    this.redis = workerConnection(config.redisUrl, log, "watch");
    this.eventsConn = workerConnection(config.redisUrl, log, "watch-events");
    this.state = new WatchState(this.redis, config.queuePrefix, this.cluster);
    this.store = new Store(this.redis, config.queuePrefix);
    this.producer = new Producer(this.redis, {
      prefix: config.queuePrefix,
      dedupWindowMs: 0,
      cluster: this.cluster,
      timeoutMs: 5000,
      log,
    });
    this.queue = queueName(QUEUES.diagnose, this.cluster);
    this.heartbeat =
      deps.heartbeat ??
      new Heartbeat(this.redis, config.queuePrefix, this.cluster, ["watch"], config.heartbeatMs, log);
    this.ownHeartbeat = deps.heartbeat === undefined;
    this.lease = new Lease(this.redis, this.state.leaderKey, this.heartbeat.id, this.leaseMs);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Start: join the election, and when elected, list and watch. Resolves once the first attempt is done. */
  async start(): Promise<void> {
    if (this.ownHeartbeat) this.heartbeat.start();
    else this.heartbeat.addRole("watch");
    await this.campaign();
    this.leaseTimer = setInterval(() => void this.campaign(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweep(), this.deps.tuning?.sweepMs ?? 5000);
    this.sweepTimer.unref();
  }

  /** Take or renew the lease; lead while it is ours, step down when it is not. */
  private async campaign(): Promise<void> {
    if (this.closed) return;
    let mine = false;
    try {
      mine = await withTimeout(
        this.lease.acquire(),
        Math.max(1000, this.leaseMs / 3),
        "no answer from Redis",
      );
    } catch (e) {
      this.deps.log.warn(`watch lease: ${(e as Error).message}; not acting until Redis answers`);
    }
    if (mine && !this.leading) {
      this.leading = true;
      this.deps.log.info(`helm-doctor watch: acting for cluster ${this.cluster}`);
      this.leadership = this.lead().catch((e: unknown) => {
        this.deps.log.error(`watch: could not start watching: ${(e as Error).message}`);
        void this.stepDown();
      });
      await this.leadership;
    } else if (!mine && this.leading) {
      this.deps.log.warn(`helm-doctor watch: no longer acting for cluster ${this.cluster} (lease lost)`);
      await this.stepDown();
    }
  }

  private async lead(): Promise<void> {
    const w = this.config.watch!;
    this.epoch = await this.state.epoch(this.now().getTime());
    this.alerts = await this.state.alerts();
    this.pending.clear();
    for (const [id, p] of await this.state.pending()) this.pending.set(id, p);
    const events = new QueueEvents(this.queue, {
      connection: this.eventsConn,
      prefix: this.config.queuePrefix,
    });
    events.on("error", (e) => this.deps.log.debug(`watch queue events: ${e.message}`));
    events.on("completed", ({ jobId }) => void this.finish(jobId));
    events.on("failed", ({ jobId }) => void this.finish(jobId));
    this.queueEvents = events;
    const namespaces = w.namespaces === "*" ? [undefined] : w.namespaces;
    const resources = this.deps.resources ?? ["secrets"];
    this.watches = [];
    for (const ns of namespaces)
      for (const res of resources) {
        const book: Book = new Map();
        const watch = new RecordWatch(
          this.deps.kubeConfig,
          ns,
          res,
          {
            synced: (records) => this.synced(book, records),
            changed: (type, record) => this.changed(book, type, record),
            error: (e, what) => this.deps.log.warn(`watch: ${what}: ${(e as Error).message ?? String(e)}`),
            forbidden: (f) => this.forbiddenChanged(res, ns, f),
          },
          () => this.now().getTime(),
          this.deps.tuning?.backoff,
        );
        this.watches.push({ watch, book });
      }
    await Promise.all(this.watches.map((x) => x.watch.start()));
    await this.sweep();
  }

  /** Said once per change: a refused read is retried at the longest backoff, quietly, until it is granted. */
  private forbiddenChanged(res: RecordResource, ns: string | undefined, f: Forbidden | undefined): void {
    const where = `${res} in ${ns ?? "all namespaces"}`;
    if (f) {
      const max = (this.deps.tuning?.backoff?.maxMs ?? 30_000) / 1000;
      this.deps.log.error(
        `watch: cannot ${f.verb} ${where}, so its releases are not reported: ${f.rule}; grant it with \`${rbacHint(ns)}\` (retrying every ${max / 2}–${max} s)`,
      );
    } else this.deps.log.info(`watch: ${where}: allowed now; watching`);
  }

  /** The RBAC rules the running watches lack (a standby watches nothing, so lacks none). */
  forbidden(): Forbidden[] {
    return this.watches.flatMap(({ watch }) => (watch.forbidden ? [watch.forbidden] : []));
  }

  /** Throws a NotReadyError naming the missing rules while a watch is refused. */
  assertAllowed(): void {
    const missing = this.forbidden();
    if (missing.length === 0) return;
    const hints = [...new Set(missing.map((f) => rbacHint(f.namespace)))];
    throw new NotReadyError(
      `watch refused (403): ${missing.map((f) => f.rule).join("; ")}; grant with: ${hints.join(" && ")}`,
    );
  }

  private async stepDown(): Promise<void> {
    this.leading = false;
    const watches = this.watches;
    this.watches = [];
    await Promise.all(watches.map((x) => x.watch.close()));
    const events = this.queueEvents;
    this.queueEvents = undefined;
    await events?.close().catch(() => {});
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
    this.due.clear();
    // The triggers were freed: the next leader's first evaluation asks again.
    this.retrying.clear();
  }

  // ---------------------------------------------------------------- records

  private synced(book: Book, records: RecordMeta[]): void {
    const before = new Set(book.keys());
    book.clear();
    for (const r of records) {
      put(book, r);
    }
    for (const k of new Set([...before, ...book.keys()])) this.consider(k);
  }

  private changed(book: Book, type: string, r: RecordMeta): void {
    const k = relKey(r.namespace, r.release);
    if (type === "DELETED") {
      const m = book.get(k);
      m?.delete(r.name);
      if (m?.size === 0) book.delete(k);
    } else put(book, r);
    this.consider(k);
  }

  private recordsOf(key: string): RecordMeta[] {
    const out: RecordMeta[] = [];
    for (const { book } of this.watches) for (const r of book.get(key)?.values() ?? []) out.push(r);
    return out;
  }

  /** Evaluate one release now (serialized per release). */
  private consider(key: string): void {
    if (!this.leading) return;
    this.serial(key, async () => {
      // The lease may have been lost meanwhile: then the books are gone, which must not read as "uninstalled".
      if (!this.leading) return;
      const records = this.recordsOf(key);
      const open = this.alerts.get(key);
      this.due.delete(key);
      if (records.length === 0) {
        if (open?.state === "open") await this.gone(open);
        return;
      }
      const ev = evaluate(
        records,
        {
          now: this.now().getTime(),
          epoch: this.epoch,
          stuckMs: this.stuckMs,
          unreadyMs: this.config.watch!.unreadyMs,
        },
        open?.state === "open"
          ? {
              revision: open.revision ?? -1,
              ...(open.resourceVersion ? { resourceVersion: open.resourceVersion } : {}),
            }
          : undefined,
      );
      if (ev.recheckAt !== undefined) {
        this.due.set(key, ev.recheckAt);
        this.schedule();
      }
      if (ev.trigger) await this.ask(ev.trigger, records);
    });
  }

  /** Evaluate every release whose time has come, and post what was held for it (the due timer). */
  private runDue(): void {
    const now = this.now().getTime();
    for (const [k, at] of [...this.due]) if (at <= now) this.consider(k);
    for (const [id, p] of this.pending)
      if (p.heldUntil !== undefined && p.heldUntil <= now) void this.finish(id);
    for (const [k, r] of [...this.retrying])
      if (r.at <= now) {
        this.retrying.delete(k);
        this.serial(k, async () => {
          if (!this.leading) return;
          // The same trigger, unless the release moved on meanwhile (its own evaluation takes care of that).
          const records = this.recordsOf(k);
          const latest = latestRecord(records);
          if (latest?.revision === r.trigger.revision && latest.status === r.trigger.status)
            await this.ask(r.trigger, records);
        });
      }
    // Re-armed for what comes later (a release due seconds after a held report must not wait for another event).
    this.schedule(now);
  }

  /** What the due timer does, for a clock moved by hand (tests), then `settled`. */
  async tick(timeoutMs?: number): Promise<void> {
    this.runDue();
    await this.settled(timeoutMs);
  }

  /** Arm the due timer for the earliest time to come (after `handled`: what the timer is handling now). */
  private schedule(handled = Number.NEGATIVE_INFINITY): void {
    if (this.dueTimer) clearTimeout(this.dueTimer);
    let next = Number.POSITIVE_INFINITY;
    const later = (at: number) => {
      if (at > handled) next = Math.min(next, at);
    };
    for (const at of this.due.values()) later(at);
    for (const p of this.pending.values()) if (p.heldUntil !== undefined) later(p.heldUntil);
    for (const r of this.retrying.values()) later(r.at);
    if (!Number.isFinite(next)) return;
    const wait = Math.min(2 ** 31 - 1, Math.max(0, next - this.now().getTime()) + 50);
    // Not `tick`: the timer must not wait for diagnoses (they wait for a worker, which may be down).
    this.dueTimer = setTimeout(() => this.runDue(), wait);
    this.dueTimer.unref();
  }

  private serial(key: string, fn: () => Promise<void>): void {
    this.inflight++;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(fn)
      .catch((e: unknown) => this.deps.log.warn(`watch: ${key}: ${(e as Error).message}`))
      .finally(() => {
        this.inflight--;
        if (this.chains.get(key) === next) this.chains.delete(key);
        this.wake();
      });
    this.chains.set(key, next);
  }

  // ---------------------------------------------------------------- diagnoses

  /** A trigger: claim it (once, across restarts and replicas) and ask for a diagnosis. */
  private async ask(t: Trigger, records: RecordMeta[]): Promise<void> {
    const key = relKey(t.namespace, t.release);
    const channel =
      this.alerts.get(key)?.channel ?? routeFor(this.deps.routes, { cluster: this.cluster, ...t });
    if (!channel) {
      if (!this.unrouted.has(key))
        this.deps.log.warn(
          `watch: ${key}: ${t.reason}, but no route gives it a channel (set HELM_DOCTOR_ALERT_CHANNEL)`,
        );
      this.unrouted.add(key);
      return;
    }
    if (!(await this.state.claim(t, this.heartbeat.id))) return;
    this.stats.triggers++;
    const latest = records.reduce((a, b) => (b.revision > a.revision ? b : a));
    try {
      const enq = await this.producer.enqueueDiagnose(
        {
          release: t.release,
          namespace: t.namespace,
          channel,
          requestedAt: this.now().toISOString(),
          ...namedCluster(this.cluster),
          unasked: { trigger: t.kind, reason: t.reason.slice(0, 300) },
        },
        `watch:${key}@${t.revision}`,
      );
      const p: PendingDiagnosis = {
        trigger: t,
        channel,
        resourceVersion: latest.resourceVersion,
        enqueuedAt: this.now().getTime(),
      };
      await this.state.addPending(enq.jobId, p);
      await this.state.asked(t, enq.jobId);
      this.pending.set(enq.jobId, p);
      this.stats.diagnoses++;
      this.deps.log.info(`watch: ${key}: ${t.reason}; diagnosing (job ${enq.jobId})`);
    } catch (e) {
      await this.state.unclaim(t).catch(() => {});
      this.deps.log.warn(`watch: ${key}: could not ask for a diagnosis: ${(e as Error).message}`);
      this.due.set(key, this.now().getTime() + 30_000);
      this.schedule();
    }
  }

  /** Look at every job asked for (their completion events may have been missed: a restart, a reconnect). */
  private async sweep(): Promise<void> {
    if (!this.leading) return;
    for (const id of [...this.pending.keys()]) void this.finish(id);
  }

  /** A job asked for has finished (or may have): act on its outcome. */
  private finish(jobId: string): Promise<void> {
    const p = this.pending.get(jobId);
    if (!p || !this.leading) return Promise.resolve();
    const key = relKey(p.trigger.namespace, p.trigger.release);
    return new Promise((resolve) =>
      this.serial(key, async () => {
        try {
          await this.outcomeOf(jobId);
        } finally {
          resolve();
        }
      }),
    );
  }

  private async outcomeOf(jobId: string): Promise<void> {
    const p = this.pending.get(jobId);
    if (!p) return;
    if (p.heldUntil !== undefined && p.heldUntil > this.now().getTime()) return;
    const forget = async () => {
      this.pending.delete(jobId);
      await this.state.dropPending(jobId);
    };
    // The state first, then the job: read the other way round, a job finishing in between looks completed without
    // its return value (the findings), which would read as healthy and resolve an open report.
    const st = await this.producer.diagnose.getJobState(jobId);
    if (st === "unknown") return forget();
    if (st !== "completed" && st !== "failed") return;
    const job = await Job.fromId(this.producer.diagnose, jobId);
    if (!job) return forget();
    const stored = await this.store.getResult(QUEUES.diagnose, jobId);
    const rv = (job.returnvalue ?? {}) as {
      problems?: string[];
      revision?: number | null;
      status?: string | null;
      notFound?: boolean;
    };
    const key = relKey(p.trigger.namespace, p.trigger.release);
    const prev = this.alerts.get(key);
    const now = this.now();
    let result: JobResult;
    let outcome: Outcome;
    let retryAt: number | undefined;
    // (A release gone by the time it was read is not a failure: see below.)
    if (st === "failed" || (stored?.kind === "error" && !rv.notFound)) {
      // The diagnosis could not run: say so in the channel (once), and ask again later rather than drop it.
      const problem =
        stored?.kind === "error" ? stored.main.text : `the diagnosis job failed: ${job.failedReason ?? "?"}`;
      // Asked again once per failed job: a report held by the channel's limit comes back here when it is due.
      retryAt = p.heldUntil === undefined ? await this.retryLater(p, problem) : p.retryAt;
      if (prev?.state === "open" && !prev.problems.includes(NOT_DIAGNOSED)) return forget(); // the report stands
      const main = notDiagnosedMessage(
        stored?.kind === "error" ? (stored.main as SlackMessage) : undefined,
        problem,
        p.trigger,
        new Date(retryAt ?? now.getTime()),
      );
      result = { kind: "error", main, thread: [] };
      outcome = {
        revision: p.trigger.revision,
        status: p.trigger.status,
        problems: [NOT_DIAGNOSED],
        headline: main.text,
      };
    } else if (stored?.kind !== "report") {
      if (rv.notFound && prev?.state === "open") await this.gone(prev);
      this.retries.delete(key);
      return forget();
    } else {
      this.retries.delete(key);
      result = stored;
      outcome = {
        revision: rv.revision ?? null,
        status: rv.status ?? null,
        problems: rv.problems ?? [],
        headline: stored.main.text,
      };
    }
    const action = decideAlert(prev, outcome);
    if (!this.leading) return;
    if (action.kind === "none") {
      // Nothing new to say; the report now stands for this record version too.
      if (prev?.state === "open" && p.resourceVersion !== prev.resourceVersion) {
        const a = { ...prev, ...(p.resourceVersion ? { resourceVersion: p.resourceVersion } : {}) };
        await this.state.saveAlert(a);
        this.alerts.set(key, a);
      }
      return forget();
    }
    // One watcher acts on an outcome, even when a lease changed hands while it was being read. The mark follows
    // the work: a watcher that dies in between leaves "acting", which the next leader takes over; a report held by
    // the channel's limit stays claimed by this watcher, which claims it again (its own) when it is due.
    if (!(await this.state.claimOutcome(jobId, this.heartbeat.id))) return forget();
    const acted = async () => {
      await this.state.outcomeActed(jobId);
      return forget();
    };
    if (action.kind === "resolve") {
      await this.resolve(prev!, outcome, p.trigger.reason);
      return acted();
    }
    if (action.kind === "update") {
      const updated = await this.update(prev!, result, outcome, p, now);
      if (updated) return acted();
    }
    // A new message: within the channel's limit, else held until the window ends.
    const limit = this.deps.routes.rateLimit;
    if (!(await this.state.takeRate(p.channel, limit, now.getTime()))) {
      const until = rateWindowEnd(limit, now.getTime());
      if (p.heldUntil === undefined) this.stats.held++;
      this.pending.set(jobId, { ...p, heldUntil: until, ...(retryAt !== undefined ? { retryAt } : {}) });
      this.deps.log.warn(
        `watch: ${key}: ${p.channel} had ${limit.messages} new messages in ${limit.minutes} min; posting at ${new Date(until).toISOString()}`,
      );
      this.schedule();
      return;
    }
    try {
      await this.post(result, outcome, p, now);
    } catch (e) {
      await this.state.returnRate(p.channel, limit, now.getTime());
      throw e;
    }
    return acted();
  }

  /** Free the trigger and ask again after a backoff (1 min doubling to 30 min by default); returns when. */
  private async retryLater(p: PendingDiagnosis, problem: string): Promise<number> {
    const t = p.trigger;
    const key = relKey(t.namespace, t.release);
    const attempt = (this.retries.get(key) ?? 0) + 1;
    this.retries.set(key, attempt);
    const b = this.deps.tuning?.diagnosisRetry ?? { baseMs: 60_000, maxMs: 30 * 60_000 };
    const at = this.now().getTime() + Math.round(backoffMs(attempt, b.baseMs, b.maxMs));
    await this.state.unclaim(t);
    this.retrying.set(key, { trigger: t, at });
    this.schedule();
    this.deps.log.warn(
      `watch: ${key}: ${t.reason}, but the diagnosis could not run: ${problem.slice(0, 300)}; asking again at ${new Date(at).toISOString()}`,
    );
    return at;
  }

  private async post(result: JobResult, outcome: Outcome, p: PendingDiagnosis, now: Date): Promise<void> {
    const t = p.trigger;
    const main = unaskedReport(result.main as SlackMessage, t, this.cluster);
    const posted = await slackRetry(
      () => this.deps.slack.chat.postMessage({ channel: p.channel, text: main.text, blocks: main.blocks }),
      this.retry,
    );
    if (!posted.ts) throw new Error("chat.postMessage answered without a message ts");
    const alert: AlertState = {
      cluster: this.cluster,
      namespace: t.namespace,
      release: t.release,
      channel: p.channel,
      ts: posted.ts,
      revision: outcome.revision,
      ...(p.resourceVersion ? { resourceVersion: p.resourceVersion } : {}),
      problems: outcome.problems,
      state: "open",
      headline: outcome.headline,
      postedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      ...(result.diagnosisId ? { diagnosisId: result.diagnosisId } : {}),
    };
    // Remembered before the thread: a crash now posts no second message.
    await this.state.saveAlert(alert);
    this.alerts.set(relKey(t.namespace, t.release), alert);
    this.stats.posts++;
    await this.thread(p.channel, posted.ts, result.thread as SlackMessage[]);
  }

  /** The open report's message, replaced by `main` (transient Slack failures retried). */
  private replace(prev: AlertState, main: SlackMessage): Promise<unknown> {
    return slackRetry(
      () =>
        this.deps.slack.chat.update({
          channel: prev.channel,
          ts: prev.ts,
          text: main.text,
          blocks: main.blocks,
        }),
      this.retry,
    );
  }

  /** Update the open report; false when its message is gone (a new one is posted instead). */
  private async update(
    prev: AlertState,
    result: JobResult,
    outcome: Outcome,
    p: PendingDiagnosis,
    now: Date,
  ): Promise<boolean> {
    try {
      await this.replace(prev, updatedReport(result.main as SlackMessage, p.trigger, this.cluster, now));
    } catch (e) {
      if (slackFailure(e).code === "message_not_found") return false;
      throw e;
    }
    const alert: AlertState = {
      ...prev,
      revision: outcome.revision,
      ...(p.resourceVersion ? { resourceVersion: p.resourceVersion } : {}),
      problems: outcome.problems,
      headline: outcome.headline,
      updatedAt: now.toISOString(),
      ...(result.diagnosisId ? { diagnosisId: result.diagnosisId } : {}),
    };
    await this.state.saveAlert(alert);
    this.alerts.set(relKey(prev.namespace, prev.release), alert);
    this.stats.updates++;
    const details = (result.thread as SlackMessage[]).slice(0, 1);
    await this.thread(prev.channel, prev.ts, [changeReply(prev, outcome, p.trigger), ...details]);
    return true;
  }

  private async resolve(prev: AlertState, outcome: Outcome, why: string): Promise<void> {
    const now = this.now();
    await this.replace(prev, resolvedReport(prev, outcome, this.cluster, now)).catch((e: unknown) =>
      this.deps.log.warn(`watch: resolving ${prev.channel}/${prev.ts}: ${slackFailure(e).code}`),
    );
    await this.state.dropAlert(prev.namespace, prev.release);
    this.alerts.delete(relKey(prev.namespace, prev.release));
    this.stats.resolved++;
    await this.thread(prev.channel, prev.ts, [resolvedReply(prev, outcome, why)]);
  }

  /** Every record of a release with an open report is gone: `helm uninstall` removed it. */
  private async gone(prev: AlertState): Promise<void> {
    await this.resolve(
      prev,
      { revision: null, status: null, problems: [], headline: "" },
      "the release was uninstalled",
    );
  }

  private async thread(channel: string, ts: string, messages: SlackMessage[]): Promise<void> {
    for (const m of messages) {
      try {
        await slackRetry(
          () => this.deps.slack.chat.postMessage({ channel, thread_ts: ts, text: m.text, blocks: m.blocks }),
          this.retry,
        );
      } catch (e) {
        this.deps.log.warn(`watch: thread reply in ${channel}/${ts}: ${slackFailure(e).code}`);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Called whenever an evaluation or an outcome ends: `settled` looks again. */
  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /**
   * Nothing in flight: every evaluation done, every job asked for acted on (held ones aside). Woken by each
   * evaluation and outcome as it ends; a job's end reaches the watcher by its completion event or the sweep.
   */
  async settled(timeoutMs = 25_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const awaited = [...this.pending].filter(([, p]) => p.heldUntil === undefined).map(([id]) => id);
      if (this.inflight === 0 && awaited.length === 0) return;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `the watcher did not settle within ${timeoutMs} ms: ${this.inflight} evaluations running, diagnoses awaited: ${awaited.join(", ") || "none"}; ${JSON.stringify(this.stats)}`,
        );
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => {
        this.waiters.add(r);
        timer = setTimeout(r, Math.min(left, 1000));
      });
      clearTimeout(timer);
    }
  }

  /**
   * /readyz: Redis answers (a standby is ready too: it takes over when the lease frees) and no watch is refused by
   * RBAC (an agent that cannot see a namespace's records would never report on it).
   */
  async ready(): Promise<void> {
    await withTimeout(this.redis.ping(), 1000, "no answer within 1 s");
    this.assertAllowed();
  }

  /** What the watches cost: connections opened and lists made. */
  watchStats(): WatcherStats {
    const s = { ...this.stats, watches: 0, lists: 0, events: 0, expired: 0, errors: 0 };
    for (const { watch } of this.watches) {
      s.watches += watch.stats.watches;
      s.lists += watch.stats.lists;
      s.events += watch.stats.events;
      s.expired += watch.stats.expired;
      s.errors += watch.stats.errors;
    }
    return s;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.leadership?.catch(() => {});
    const wasLeading = this.leading;
    await this.stepDown();
    await Promise.allSettled([...this.chains.values()]);
    // Hand the cluster to a standby at once.
    if (wasLeading) await this.lease.release();
    if (this.ownHeartbeat) await this.heartbeat.stop();
    await this.producer.close();
    await Promise.allSettled([closeConnection(this.redis), closeConnection(this.eventsConn)]);
  }
}
