// Keeping the channel messages of a job up to date: progress with at most one chat.update per message per
// `intervalMs` (latest state wins, intermediate states are dropped), then the final result exactly once per
// message (Store.claimDelivery), with the details as thread replies.
import type { webApi } from "@slack/bolt";
import type { SlackMessage } from "../report/blockkit.js";
import type { Log } from "./redis.js";
import type { JobResult, Subscriber } from "./schemas.js";
import type { Store } from "./store.js";

export type SlackClient = Pick<webApi.WebClient, "chat">;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function slackError(e: unknown): string {
  const data = (e as { data?: { error?: string } }).data;
  return data?.error ?? (e as Error).message ?? String(e);
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

  /** The last update: drops pending progress, waits out the interval, sends `m`. */
  async final(m: SlackMessage): Promise<void> {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = m;
    await this.flush();
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
  sub: Subscriber,
  thread: SlackMessage[],
  log: Log,
): Promise<void> {
  for (const t of thread) {
    try {
      await client.chat.postMessage({
        channel: sub.channel,
        thread_ts: sub.ts,
        text: t.text,
        blocks: t.blocks,
      });
    } catch (e) {
      log.warn(`thread reply in ${sub.channel}/${sub.ts} failed: ${slackError(e)}`);
      return;
    }
  }
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
): Promise<boolean> {
  if (!(await store.claimDelivery(queue, jobId, sub))) return false;
  const main = result.main as SlackMessage;
  if (updater) await updater.final(main);
  else {
    try {
      await client.chat.update({ channel: sub.channel, ts: sub.ts, text: main.text, blocks: main.blocks });
    } catch (e) {
      log.warn(`chat.update ${sub.channel}/${sub.ts} failed: ${slackError(e)}`);
    }
  }
  await postThread(client, sub, result.thread as SlackMessage[], log);
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
): Promise<void> {
  await store.subscribe(queue, jobId, sub);
  const result = await store.getResult(queue, jobId);
  if (result) await deliverResult(client, store, queue, jobId, sub, result, log);
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
  ) {}

  private updater(sub: Subscriber): MessageUpdater {
    const k = `${sub.channel}/${sub.ts}`;
    let u = this.updaters.get(k);
    if (!u) {
      u = new MessageUpdater(this.client, sub.channel, sub.ts, this.log, this.intervalMs);
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
