// What the watcher remembers in Redis, so a restart or a second replica neither posts again nor forgets a report:
//   <prefix>:hd:watch:<cluster>:epoch            when the watcher first ran for this cluster (ms; SET NX)
//   <prefix>:hd:watch:<cluster>:leader           the lease: which watcher of the cluster acts (PX; renewed)
//   <prefix>:hd:watch:<cluster>:done:<ns>/<rel>:<trigger key>   a trigger claimed (SET NX, 14 days): "asking:<holder>"
//                                                while its diagnosis is being queued, "asked:<jobId>" once it is pending
//   <prefix>:hd:watch:<cluster>:acted:<jobId>    a finished diagnosis claimed (SET NX, 14 days): "acting:<holder>"
//                                                while its message is being posted or changed, "acted" once remembered
//   <prefix>:hd:watch:<cluster>:alerts           HASH <ns>/<rel> → the open report (AlertState)
//   <prefix>:hd:watch:<cluster>:pending          HASH <jobId> → a diagnosis asked for, not yet acted on
//   <prefix>:hd:watch:rate:<channel>:<window>    new messages posted in a channel in a window (INCR, EX)
import type { Redis } from "ioredis";
import * as z from "zod";
import type { AlertState } from "./alerts.js";
import type { Trigger } from "./triggers.js";

const DONE_TTL_SECONDS = 14 * 24 * 3600;

const alertSchema = z.object({
  cluster: z.string(),
  namespace: z.string(),
  release: z.string(),
  channel: z.string(),
  ts: z.string(),
  revision: z.number().nullable(),
  resourceVersion: z.string().optional(),
  problems: z.array(z.string()),
  state: z.enum(["open", "resolved"]),
  headline: z.string(),
  postedAt: z.string(),
  updatedAt: z.string(),
  diagnosisId: z.string().optional(),
});

const triggerSchema = z.object({
  kind: z.enum(["failed", "stuck", "unready", "recheck"]),
  namespace: z.string(),
  release: z.string(),
  revision: z.number(),
  status: z.string(),
  key: z.string(),
  at: z.number(),
  reason: z.string(),
  labels: z.record(z.string(), z.string()),
});

const pendingSchema = z.object({
  trigger: triggerSchema,
  channel: z.string(),
  /** The record version the trigger saw (stored with the report). */
  resourceVersion: z.string().optional(),
  enqueuedAt: z.number(),
});
export type PendingDiagnosis = z.infer<typeof pendingSchema>;

function parse<T>(schema: z.ZodType<T>, raw: string): T | undefined {
  try {
    const p = schema.safeParse(JSON.parse(raw));
    return p.success ? p.data : undefined;
  } catch {
    return undefined;
  }
}

export class WatchState {
  private readonly base: string;

  constructor(
    readonly redis: Redis,
    private readonly prefix: string,
    readonly cluster: string,
  ) {
    this.base = `${prefix}:hd:watch:${cluster}`;
  }

  get leaderKey(): string {
    return `${this.base}:leader`;
  }

  /** When the watcher first ran for this cluster (set on the first call). */
  async epoch(now: number): Promise<number> {
    await this.redis.set(`${this.base}:epoch`, String(now), "NX");
    return Number(await this.redis.get(`${this.base}:epoch`)) || now;
  }

  private doneKey(t: Trigger): string {
    return `${this.base}:done:${t.namespace}/${t.release}:${t.key}`;
  }

  /**
   * True the first time a trigger is claimed: exactly one watcher acts on it, once. A claim another watcher left
   * while still queueing its diagnosis ("asking:", it died before the job was pending) is taken over, so a crash
   * between the claim and the pending entry loses nothing; a queued one ("asked:") is not asked again.
   */
  async claim(t: Trigger, holder: string): Promise<boolean> {
    const key = this.doneKey(t);
    const mine = `asking:${holder}`;
    if ((await this.redis.set(key, mine, "EX", DONE_TTL_SECONDS, "NX")) === "OK") return true;
    const cur = await this.redis.get(key);
    if (cur === null || !cur.startsWith("asking:") || cur === mine) return false;
    return (await this.redis.eval(TAKE_OVER, 1, key, cur, mine)) === 1;
  }

  /** The claimed trigger's diagnosis is queued and pending: no other watcher asks again. */
  async asked(t: Trigger, jobId: string): Promise<void> {
    await this.redis.set(this.doneKey(t), `asked:${jobId}`, "KEEPTTL", "XX");
  }

  /**
   * True for the one watcher that acts on a finished diagnosis (posts, updates or resolves). Marked
   * "acting:<holder>" until it is done; a mark another watcher left while acting (it died before its message
   * was remembered: the outcome is still pending) is taken over, so a crash between the claim and the post loses
   * nothing. A finished one ("acted", or "1" from earlier versions) is never acted on again.
   */
  async claimOutcome(jobId: string, holder: string): Promise<boolean> {
    const key = `${this.base}:acted:${jobId}`;
    const mine = `acting:${holder}`;
    if ((await this.redis.set(key, mine, "EX", DONE_TTL_SECONDS, "NX")) === "OK") return true;
    const cur = await this.redis.get(key);
    // Its own unfinished claim (a post that failed, an update held by the channel's limit): a watcher acts on one
    // release's outcomes one at a time, so this is a retry, not a second actor.
    if (cur === mine) return true;
    if (cur === null || !cur.startsWith("acting:")) return false;
    return (await this.redis.eval(TAKE_OVER, 1, key, cur, mine)) === 1;
  }

  /** The claimed outcome was acted on and remembered: no watcher acts on it again. */
  async outcomeActed(jobId: string): Promise<void> {
    await this.redis.set(`${this.base}:acted:${jobId}`, "acted", "KEEPTTL", "XX");
  }

  /** Give a claim back (the diagnosis could not be queued): the next evaluation tries again. */
  async unclaim(t: Trigger): Promise<void> {
    await this.redis.del(this.doneKey(t));
  }

  async alerts(): Promise<Map<string, AlertState>> {
    const raw = await this.redis.hgetall(`${this.base}:alerts`);
    const out = new Map<string, AlertState>();
    for (const [k, v] of Object.entries(raw)) {
      const a = parse(alertSchema, v);
      if (a) out.set(k, a);
    }
    return out;
  }

  async alert(namespace: string, release: string): Promise<AlertState | undefined> {
    const raw = await this.redis.hget(`${this.base}:alerts`, `${namespace}/${release}`);
    return raw === null ? undefined : parse(alertSchema, raw);
  }

  async saveAlert(a: AlertState): Promise<void> {
    await this.redis.hset(`${this.base}:alerts`, `${a.namespace}/${a.release}`, JSON.stringify(a));
  }

  async dropAlert(namespace: string, release: string): Promise<void> {
    await this.redis.hdel(`${this.base}:alerts`, `${namespace}/${release}`);
  }

  async addPending(jobId: string, p: PendingDiagnosis): Promise<void> {
    await this.redis.hset(`${this.base}:pending`, jobId, JSON.stringify(p));
  }

  async pending(): Promise<Map<string, PendingDiagnosis>> {
    const raw = await this.redis.hgetall(`${this.base}:pending`);
    const out = new Map<string, PendingDiagnosis>();
    for (const [k, v] of Object.entries(raw)) {
      const p = parse(pendingSchema, v);
      if (p) out.set(k, p);
    }
    return out;
  }

  async dropPending(jobId: string): Promise<void> {
    await this.redis.hdel(`${this.base}:pending`, jobId);
  }

  /**
   * Count a new message in `channel` within the current window: true when it is within the limit. Windows are
   * fixed (the clock divided by the window length), so every watcher counts in the same one.
   */
  async takeRate(
    channel: string,
    limit: { messages: number; minutes: number },
    now: number,
  ): Promise<boolean> {
    const key = this.rateKey(channel, limit, now);
    const [[, n]] = (await this.redis
      .multi()
      .incr(key)
      .pexpire(key, limit.minutes * 60_000 * 2)
      .exec()) as [[Error | null, number]];
    return n <= limit.messages;
  }

  /** Give back a token taken for a message that was not posted (Slack refused it): only posts count. */
  async returnRate(
    channel: string,
    limit: { messages: number; minutes: number },
    now: number,
  ): Promise<void> {
    await this.redis.decr(this.rateKey(channel, limit, now));
  }

  /** The channel's counter for the fixed window `now` falls in. */
  private rateKey(channel: string, limit: { minutes: number }, now: number): string {
    return `${this.prefix}:hd:watch:rate:${channel}:${Math.floor(now / (limit.minutes * 60_000))}`;
  }
}

/** The end of the current rate window, ms. */
export function rateWindowEnd(limit: { minutes: number }, now: number): number {
  const windowMs = limit.minutes * 60_000;
  return (Math.floor(now / windowMs) + 1) * windowMs;
}

const TAKE_OVER = `if redis.call("get", KEYS[1]) == ARGV[1] then redis.call("set", KEYS[1], ARGV[2], "KEEPTTL") return 1 else return 0 end`;
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** A Redis lease: one holder at a time; it expires `ttlMs` after the holder's last renewal. */
export class Lease {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  /** Take the lease, or renew it when held: true while this holder has it. */
  async acquire(): Promise<boolean> {
    const renewed = (await this.redis.eval(RENEW, 1, this.key, this.holder, String(this.ttlMs))) as number;
    if (renewed === 1) return true;
    const ok = await this.redis.set(this.key, this.holder, "PX", this.ttlMs, "NX");
    return ok === "OK";
  }

  /** Give the lease up (another replica takes over at once). */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holder).catch(() => 0);
  }

  async holderNow(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
