// helm-doctor's own Redis keys, next to BullMQ's under the same prefix:
//   <prefix>:hd:diagnosis:<id>                 stored diagnosis a report's buttons refer to (TTL)
//   <prefix>:hd:last:[<cluster>/]<ns>/<release>  the release's latest report (TTL as diagnoses): "/helm-doctor last"
//                                              (the cluster is left out for the default cluster)
//   <prefix>:hd:seen:<signature>               a Slack request signature seen in the last 5 minutes (replays)
//   <prefix>:hd:plan:<id>                      a plan posted in a report's thread, its buttons refer to it (TTL)
//   <prefix>:hd:plan:<id>:claim                "confirmed/cancelled by whom": set once (SET NX), so a plan runs once
//   <prefix>:hd:shortcut:<id>                  a message shortcut whose form asks for its release (TTL)
//   <prefix>:hd:<queue>:<jobId>:subs           channel messages following a job (every requester)
//   <prefix>:hd:<queue>:<jobId>:result         the job's final message (late joiners get it too)
//   <prefix>:hd:<queue>:<jobId>:sent:<ch>:<ts> "this message got the final result" (exactly-once delivery)
// What a stored report, result or plan shows (its messages, labels and summaries) is redacted on the way in
// (src/report/redact.ts), so a late joiner or "/helm-doctor last" gets the same redacted text Slack got.
// A requester subscribes, then reads the result; the worker stores the result, then reads the subscribers: each
// side sees the other, and the `sent` claim decides who updates a message.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Redis } from "ioredis";
import type * as z from "zod";
import { secrets } from "../report/redact.js";
import {
  type JobResult,
  jobResultSchema,
  type PendingShortcut,
  type PlanClaim,
  pendingShortcutSchema,
  planClaimSchema,
  releaseRef,
  type StoredDiagnosis,
  type StoredPlan,
  type Subscriber,
  storedDiagnosisSchema,
  storedPlanSchema,
  subscriberSchema,
} from "./schemas.js";

/** Keys of a job live this long (the job itself is removed earlier). */
const JOB_KEYS_TTL_SECONDS = 6 * 3600;
/** A plan's Confirm button works this long (the executor re-checks the revision anyway). */
export const PLAN_TTL_SECONDS = 15 * 60;
/** A message shortcut's form may be submitted this long after it opened. */
export const PENDING_SHORTCUT_TTL_SECONDS = 30 * 60;
/** A claim outlives its plan, so a late click on a used plan still hears who used it. */
const CLAIM_TTL_SECONDS = 24 * 3600;

/**
 * Redacted copies by the message they show, and how many secrets the book held then. One report is stored three
 * times (the diagnosis, the release's last report, the job's result), and redacting its text was the largest
 * part of a worker's CPU per report after the analysis. A secret learned since (the book grew) redacts afresh.
 */
const redacted = new WeakMap<object, { known: number; copy: unknown }>();

function redactedCopy<T extends object>(v: T): T {
  const hit = redacted.get(v);
  if (hit && hit.known === secrets.size) return hit.copy as T;
  const copy = secrets.deep(v);
  redacted.set(v, { known: secrets.size, copy });
  return copy;
}

/** A job result with its messages redacted (its kind and ids kept). */
function shownResult(r: JobResult): JobResult {
  return {
    ...r,
    main: redactedCopy(r.main),
    thread: redactedCopy(r.thread),
    ...(r.retrieve !== undefined ? { retrieve: secrets.text(r.retrieve) } : {}),
  };
}

export function newDiagnosisId(): string {
  return randomBytes(12).toString("base64url");
}

export class Store {
  private readonly base: string;

  constructor(
    readonly redis: Redis,
    prefix: string,
    private readonly diagnosisTtlSeconds = 24 * 3600,
    readonly planTtlSeconds = PLAN_TTL_SECONDS,
  ) {
    this.base = `${prefix}:hd`;
  }

  private jobKey(queue: string, jobId: string, part: string): string {
    return `${this.base}:${queue}:${jobId}:${part}`;
  }

  /** The value at `key` as `schema` has it; undefined when absent or not of that shape (an older version's). */
  private async read<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const raw = await this.redis.get(key);
    if (raw === null) return undefined;
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * While the connection is being made (a front end that just started), wait for it up to `waitMs`: a fail-fast
   * connection would otherwise refuse the command as if Redis were down.
   */
  private async connected(waitMs: number): Promise<void> {
    const st = this.redis.status;
    if (st !== "wait" && st !== "connecting" && st !== "connect") return;
    await once(this.redis, "ready", { signal: AbortSignal.timeout(waitMs) }).catch(() => undefined);
  }

  async ping(waitMs = 1000): Promise<void> {
    await this.connected(waitMs);
    await this.redis.ping();
  }

  /** True the first time `signature` is seen within `ttlSeconds` (Slack request replay protection). */
  async firstSighting(signature: string, ttlSeconds: number, waitMs = 1000): Promise<boolean> {
    await this.connected(waitMs);
    const ok = await this.redis.set(`${this.base}:seen:${signature}`, "1", "EX", ttlSeconds, "NX");
    return ok === "OK";
  }

  async saveDiagnosis(d: StoredDiagnosis): Promise<void> {
    const shown: StoredDiagnosis = {
      ...d,
      remediations: d.remediations.map((r) => ({
        ...r,
        summary: secrets.text(r.summary),
        label: secrets.text(r.label),
      })),
      ...(d.report ? { report: redactedCopy(d.report) } : {}),
    };
    await this.redis.set(
      `${this.base}:diagnosis:${d.id}`,
      JSON.stringify(shown),
      "EX",
      this.diagnosisTtlSeconds,
    );
  }

  async getDiagnosis(id: string): Promise<StoredDiagnosis | undefined> {
    return this.read(`${this.base}:diagnosis:${id}`, storedDiagnosisSchema);
  }

  private lastKey(namespace: string, release: string, cluster?: string): string {
    return `${this.base}:last:${releaseRef({ cluster, namespace, release })}`;
  }

  /** The latest report of a release, kept as long as its buttons work (`/helm-doctor last`). */
  async saveLast(namespace: string, release: string, result: JobResult, cluster?: string): Promise<void> {
    await this.redis.set(
      this.lastKey(namespace, release, cluster),
      JSON.stringify(shownResult(result)),
      "EX",
      this.diagnosisTtlSeconds,
    );
  }

  async getLast(namespace: string, release: string, cluster?: string): Promise<JobResult | undefined> {
    return this.read(this.lastKey(namespace, release, cluster), jobResultSchema);
  }

  /** Store a plan (its TTL counts from its `expiresAt`; at least a second). */
  async savePlan(p: StoredPlan): Promise<void> {
    const ttl = Math.max(1, Math.ceil((Date.parse(p.expiresAt) - Date.now()) / 1000));
    const shown: StoredPlan = { ...p, label: secrets.text(p.label), head: secrets.deep(p.head) };
    await this.redis.set(`${this.base}:plan:${p.id}`, JSON.stringify(shown), "EX", ttl);
  }

  /** The plan, or undefined when it expired (or never existed). */
  async getPlan(id: string): Promise<StoredPlan | undefined> {
    return this.read(`${this.base}:plan:${id}`, storedPlanSchema);
  }

  /** Confirm or cancel a plan: true for exactly one caller; the others read the claim that won. */
  async claimPlan(id: string, claim: PlanClaim): Promise<boolean> {
    const ok = await this.redis.set(
      `${this.base}:plan:${id}:claim`,
      JSON.stringify(claim),
      "EX",
      CLAIM_TTL_SECONDS,
      "NX",
    );
    return ok === "OK";
  }

  async getPlanClaim(id: string): Promise<PlanClaim | undefined> {
    return this.read(`${this.base}:plan:${id}:claim`, planClaimSchema);
  }

  /** Undo a claim that could not be acted on (the job could not be queued): the plan is open again. */
  async releasePlanClaim(id: string): Promise<void> {
    await this.redis.del(`${this.base}:plan:${id}:claim`);
  }

  /** Keep a message shortcut's output until its form (release, namespace) is submitted. */
  async savePendingShortcut(p: PendingShortcut): Promise<void> {
    await this.redis.set(
      `${this.base}:shortcut:${p.id}`,
      JSON.stringify(p),
      "EX",
      PENDING_SHORTCUT_TTL_SECONDS,
    );
  }

  /** The shortcut a form belongs to, or undefined when it expired (or never existed). */
  async getPendingShortcut(id: string): Promise<PendingShortcut | undefined> {
    return this.read(`${this.base}:shortcut:${id}`, pendingShortcutSchema);
  }

  /** Add a message that follows the job; returns how many follow it now. */
  async subscribe(queue: string, jobId: string, sub: Subscriber): Promise<number> {
    const key = this.jobKey(queue, jobId, "subs");
    const [[, n]] = (await this.redis
      .multi()
      .rpush(key, JSON.stringify(sub))
      .expire(key, JOB_KEYS_TTL_SECONDS)
      .exec()) as [[Error | null, number]];
    return n;
  }

  async subscribers(queue: string, jobId: string): Promise<Subscriber[]> {
    const raw = await this.redis.lrange(this.jobKey(queue, jobId, "subs"), 0, -1);
    const out: Subscriber[] = [];
    for (const r of raw) {
      const p = subscriberSchema.safeParse(JSON.parse(r));
      if (p.success) out.push(p.data);
    }
    return out;
  }

  /** Store the job's result unless one is stored already; returns the stored one either way. */
  async setResult(queue: string, jobId: string, result: JobResult): Promise<JobResult> {
    const key = this.jobKey(queue, jobId, "result");
    const shown = shownResult(result);
    const ok = await this.redis.set(key, JSON.stringify(shown), "EX", JOB_KEYS_TTL_SECONDS, "NX");
    if (ok === "OK") return shown;
    return (await this.getResult(queue, jobId)) ?? shown;
  }

  async getResult(queue: string, jobId: string): Promise<JobResult | undefined> {
    return this.read(this.jobKey(queue, jobId, "result"), jobResultSchema);
  }

  /** True for exactly one caller per (job, message): that caller delivers the final result. */
  async claimDelivery(queue: string, jobId: string, sub: Subscriber): Promise<boolean> {
    const ok = await this.redis.set(
      this.jobKey(queue, jobId, `sent:${sub.channel}:${sub.ts}`),
      "1",
      "EX",
      JOB_KEYS_TTL_SECONDS,
      "NX",
    );
    return ok === "OK";
  }
}
