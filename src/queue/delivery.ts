// Keeping the channel messages of a job up to date: progress with at most one chat.update per message per
// `intervalMs` (latest state wins, intermediate states are dropped), then the final result exactly once per
// message (Store.claimDelivery) as soon as it is ready, with the details as thread replies. The final result is not given up lightly:
// transient Slack errors are retried (Retry-After honoured), a message that is gone gets a new one, and when
// nothing works the requester is told (ephemeral, else a direct message) how to get the stored report.
import type { webApi } from "@slack/bolt";
import type { SlackMessage } from "../report/blockkit.js";
import { retry, sleep } from "../retry.js";
import type { Log } from "./redis.js";
import type { JobResult, Subscriber } from "./schemas.js";
import type { Store } from "./store.js";

export type SlackClient = Pick<webApi.WebClient, "chat">;

/** Our own retries around a Slack call, on top of the WebClient's (which stop at its retry budget). */
export interface DeliveryRetry {
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** The wait between attempts (default: a timer); tests pass one that records the waits it was asked for. */
  sleep?: (ms: number) => Promise<void>;
}

export const DELIVERY_RETRY: DeliveryRetry = { attempts: 5, baseMs: 1000, maxMs: 15_000 };

/** WebClient retries: Retry-After is honoured by the client itself; other failures back off 1 s, 2 s, 4 s, 8 s. */
export const SLACK_RETRY_CONFIG = {
  retries: 4,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 10_000,
  randomize: true,
};
/** A Retry-After longer than this is cut short: the message would be stale by then anyway. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Slack errors that say "try again" (https://api.slack.com/methods: internal_error, ratelimited, …). */
const TRANSIENT = new Set([
  "internal_error",
  "fatal_error",
  "ratelimited",
  "rate_limited",
  "service_unavailable",
  "request_timeout",
]);

export interface SlackFailure {
  code: string;
  transient: boolean;
  retryAfterMs?: number;
}

/** What a failed Web API call means: its error code, whether to try again, and when. */
export function slackFailure(e: unknown): SlackFailure {
  const err = e as {
    code?: string;
    data?: { error?: string; response_metadata?: { retryAfter?: number } };
    retryAfter?: number;
    statusCode?: number;
    message?: string;
  };
  if (err?.data?.error) {
    const ra = err.data.response_metadata?.retryAfter;
    return {
      code: err.data.error,
      transient: TRANSIENT.has(err.data.error),
      ...(ra ? { retryAfterMs: ra * 1000 } : {}),
    };
  }
  if (err?.code === "slack_webapi_rate_limited_error")
    return { code: "ratelimited", transient: true, retryAfterMs: (err.retryAfter ?? 1) * 1000 };
  if (err?.code === "slack_webapi_request_error") return { code: "request_error", transient: true };
  if (err?.code === "slack_webapi_http_error") {
    const st = err.statusCode ?? 0;
    return { code: `http_${st}`, transient: st >= 500 || st === 408 };
  }
  // A 429 past the WebClient's retries surfaces as a plain Error naming the Retry-After.
  const m = /rate limit was exceeded.*retry-after: (\d+)/i.exec(err?.message ?? "");
  if (m) return { code: "ratelimited", transient: true, retryAfterMs: Number(m[1]) * 1000 };
  return { code: err?.message ?? String(e), transient: false };
}

/** Run a Slack call, retrying transient failures with backoff and jitter (or Retry-After). */
export function slackRetry<T>(fn: () => Promise<T>, policy: DeliveryRetry = DELIVERY_RETRY): Promise<T> {
  return retry(
    fn,
    {
      attempts: policy.attempts,
      baseDelayMs: policy.baseMs,
      maxDelayMs: policy.maxMs,
      maxRetryAfterMs: MAX_RETRY_AFTER_MS,
    },
    {
      classify: (e) => {
        const f = slackFailure(e);
        return { retry: f.transient, afterMs: f.retryAfterMs };
      },
      sleep: policy.sleep,
    },
  );
}

type Outcome<T> = { ok: true; value: T } | { ok: false; failure: SlackFailure };

async function attempt<T>(fn: () => Promise<T>, retry: DeliveryRetry): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await slackRetry(fn, retry) };
  } catch (e) {
    return { ok: false, failure: slackFailure(e) };
  }
}

/** A failed Slack call in a few words: Slack's error code, else what failed. */
export function slackError(e: unknown): string {
  return slackFailure(e).code;
}

/** One channel message, updated at most once per interval. */
export class MessageUpdater {
  private lastSent = Number.NEGATIVE_INFINITY;
  private pending: SlackMessage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly client: SlackClient,
    readonly channel: string,
    readonly ts: string,
    private readonly log: Log,
    private readonly intervalMs = 1000,
    /** Hold the first progress update this long: a fast job then shows only its result. */
    private readonly firstDelayMs = 400,
    private readonly createdAt = Date.now(),
    private readonly retry: DeliveryRetry = DELIVERY_RETRY,
  ) {}

  /** Progress: coalesced and throttled. */
  progress(m: SlackMessage): void {
    if (this.finished) return;
    this.pending = m;
    if (this.timer) return;
    const due = Math.max(this.lastSent + this.intervalMs, this.createdAt + this.firstDelayMs);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      Math.max(0, due - Date.now()),
    );
    this.timer.unref?.();
  }

  private flush(): Promise<void> {
    const m = this.pending;
    this.pending = undefined;
    if (!m) return this.chain;
    this.chain = this.chain.then(() => this.send(m));
    return this.chain;
  }

  private async send(m: SlackMessage): Promise<void> {
    const wait = this.lastSent + this.intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    this.lastSent = Date.now();
    try {
      await this.client.chat.update({ channel: this.channel, ts: this.ts, text: m.text, blocks: m.blocks });
    } catch (e) {
      this.log.warn(`chat.update ${this.channel}/${this.ts} failed: ${slackError(e)}`);
    }
  }

  /**
   * The last update: drops pending progress, waits for an update in flight (not for the interval: holding a
   * finished report back would only delay it, and keep the job's place among the worker's concurrent jobs), sends
   * `m` with retries. Returns the failure when it could not be sent.
   */
  final(m: SlackMessage): Promise<SlackFailure | undefined> {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    const sent = this.chain.then(async () => {
      this.lastSent = Date.now();
      const r = await attempt(
        () => this.client.chat.update({ channel: this.channel, ts: this.ts, text: m.text, blocks: m.blocks }),
        this.retry,
      );
      return r.ok ? undefined : r.failure;
    });
    this.chain = sent.then(() => undefined);
    return sent;
  }

  /** Forget pending progress (shutdown). */
  cancel(): void {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}

/** Post the result's thread replies under a message, in order. */
async function postThread(
  client: SlackClient,
  channel: string,
  threadTs: string,
  thread: SlackMessage[],
  log: Log,
  retry: DeliveryRetry,
): Promise<void> {
  for (const t of thread) {
    const r = await attempt(
      () => client.chat.postMessage({ channel, thread_ts: threadTs, text: t.text, blocks: t.blocks }),
      retry,
    );
    if (!r.ok) {
      log.warn(`thread reply in ${channel}/${threadTs} failed: ${r.failure.code}`);
      return;
    }
  }
}

/** The first line, clipped to 300 characters (what a progress or notice line quotes of an error). */
export function firstLine(s: string): string {
  const line = (s.split("\n")[0] ?? "").trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** The result could not be shown in the channel: tell the requester privately, and how to get it. */
async function tellRequester(
  client: SlackClient,
  sub: Subscriber,
  result: JobResult,
  code: string,
  log: Log,
  retry: DeliveryRetry,
): Promise<void> {
  const text = [
    `:warning: I could not show the result of your request in <#${sub.channel}> (Slack answered \`${code}\`).`,
    result.retrieve ? `The report is kept: \`${result.retrieve}\` shows it.` : "",
    `> ${firstLine(result.main.text)}`,
  ]
    .filter((l) => l !== "")
    .join("\n");
  const eph = await attempt(
    () => client.chat.postEphemeral({ channel: sub.channel, user: sub.user, text }),
    retry,
  );
  if (eph.ok) return;
  const dm = await attempt(() => client.chat.postMessage({ channel: sub.user, text }), retry);
  if (!dm.ok)
    log.error(
      `could not deliver a result to ${sub.user} at all (update: ${code}, ephemeral: ${eph.failure.code}, direct message: ${dm.failure.code})`,
    );
}

/**
 * Deliver a job's final result to one message unless someone else already did. `updater` carries the throttle
 * state when the worker has been sending progress to that message.
 */
export async function deliverResult(
  client: SlackClient,
  store: Store,
  queue: string,
  jobId: string,
  sub: Subscriber,
  result: JobResult,
  log: Log,
  updater?: MessageUpdater,
  retry: DeliveryRetry = DELIVERY_RETRY,
): Promise<boolean> {
  if (!(await store.claimDelivery(queue, jobId, sub))) return false;
  const main = result.main as SlackMessage;
  let failure = updater
    ? await updater.final(main)
    : await attempt(
        () => client.chat.update({ channel: sub.channel, ts: sub.ts, text: main.text, blocks: main.blocks }),
        retry,
      ).then((r) => (r.ok ? undefined : r.failure));
  // A message that is itself a thread reply (a message shortcut's report) keeps its details in that thread.
  let threadTs = sub.thread ?? sub.ts;
  if (failure?.code === "message_not_found") {
    // The message was deleted (or never stored): the result gets a message of its own.
    log.info(`message ${sub.channel}/${sub.ts} is gone; posting the result of job ${jobId} as a new message`);
    const posted = await attempt(
      () =>
        client.chat.postMessage({
          channel: sub.channel,
          ...(sub.thread ? { thread_ts: sub.thread } : {}),
          text: main.text,
          blocks: main.blocks,
        }),
      retry,
    );
    if (posted.ok && posted.value.ts) {
      threadTs = sub.thread ?? posted.value.ts;
      failure = undefined;
    } else if (!posted.ok) failure = posted.failure;
  }
  if (failure) {
    log.warn(
      `delivering job ${jobId} to ${sub.channel}/${sub.ts} failed: ${failure.code}; telling ${sub.user}`,
    );
    await tellRequester(client, sub, result, failure.code, log, retry);
    return true;
  }
  await postThread(client, sub.channel, threadTs, result.thread as SlackMessage[], log, retry);
  return true;
}

/**
 * A requester's message starts following a job: subscribe, then give it the result at once when the job has
 * already ended (a late joiner of a deduplicated job). The worker does the reverse (store result, then read the
 * subscribers), so every message gets the result exactly once.
 */
export async function followJob(
  client: SlackClient,
  store: Store,
  queue: string,
  jobId: string,
  sub: Subscriber,
  log: Log,
  retry: DeliveryRetry = DELIVERY_RETRY,
): Promise<void> {
  await store.subscribe(queue, jobId, sub);
  const result = await store.getResult(queue, jobId);
  if (result) await deliverResult(client, store, queue, jobId, sub, result, log, undefined, retry);
}

/** All the messages following one job, as the worker sees them. */
export class JobMessages {
  private readonly updaters = new Map<string, MessageUpdater>();

  constructor(
    private readonly client: SlackClient,
    private readonly store: Store,
    private readonly queue: string,
    private readonly jobId: string,
    private readonly log: Log,
    private readonly intervalMs = 1000,
    private readonly retry: DeliveryRetry = DELIVERY_RETRY,
  ) {}

  private updater(sub: Subscriber): MessageUpdater {
    const k = `${sub.channel}/${sub.ts}`;
    let u = this.updaters.get(k);
    if (!u) {
      u = new MessageUpdater(
        this.client,
        sub.channel,
        sub.ts,
        this.log,
        this.intervalMs,
        undefined,
        undefined,
        this.retry,
      );
      this.updaters.set(k, u);
    }
    return u;
  }

  async subscribers(): Promise<Subscriber[]> {
    try {
      return await this.store.subscribers(this.queue, this.jobId);
    } catch (e) {
      this.log.warn(`reading the messages of job ${this.jobId} failed: ${(e as Error).message}`);
      return [];
    }
  }

  /** Show progress on every message (throttled); `render` gets the requesters' user ids. */
  async progress(render: (requesters: string[]) => SlackMessage): Promise<void> {
    const subs = await this.subscribers();
    const m = render(subs.map((s) => s.user));
    for (const s of subs) this.updater(s).progress(m);
  }

  /** Store the result (first one wins) and deliver it to every message not yet given it. */
  async finish(result: JobResult): Promise<JobResult> {
    const stored = await this.store.setResult(this.queue, this.jobId, result);
    const subs = await this.subscribers();
    await Promise.all(
      subs.map((s) =>
        deliverResult(
          this.client,
          this.store,
          this.queue,
          this.jobId,
          s,
          stored,
          this.log,
          this.updater(s),
          this.retry,
        ).catch((e: unknown) =>
          this.log.warn(`delivering job ${this.jobId} to ${s.channel}/${s.ts}: ${(e as Error).message}`),
        ),
      ),
    );
    return stored;
  }

  cancel(): void {
    for (const u of this.updaters.values()) u.cancel();
  }
}
