// Acks before follow-ups. What a listener does after its ack (enqueue the job, post the channel message, follow the
// job) has no deadline, but the ack has Slack's 3 s, and in one event loop every follow-up under way delays every
// request still waiting for its ack. So follow-ups wait while requests are unanswered, and run a few at a time:
// a burst of commands is acked at the pace of Bolt alone, then its follow-ups run. A follow-up never waits more
// than `maxWaitMs` (a steady stream of requests must not starve them), but while requests still wait for their
// ack the overdue follow-ups run one at a time: on a machine short of CPU a burst's acks can take longer than
// `maxWaitMs`, and all of its follow-ups at once (and the diagnoses they queue) would then slow the remaining acks
// further.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HTTPReceiver } from "@slack/bolt";

export interface AckFirstOptions {
  /** Follow-ups running at once (default 16). */
  concurrency?: number;
  /** The longest a follow-up waits for unanswered requests (default 1000 ms); then they run one at a time. */
  maxWaitMs?: number;
}

export class AckFirst {
  private unanswered = 0;
  private running = 0;
  private readonly waiting: { since: number; start: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly maxWaitMs: number;

  constructor(
    o: AckFirstOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.concurrency = o.concurrency ?? 16;
    this.maxWaitMs = o.maxWaitMs ?? 1000;
  }

  /** A request arrived; `answered` is to be called once when its response is sent (or its connection closed). */
  requestArrived(): () => void {
    this.unanswered++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.unanswered--;
      this.pump();
    };
  }

  /** Run `task` once no request waits for its answer (or after maxWaitMs), with at most `concurrency` at once. */
  async followUp<T>(task: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.waiting.push({ since: this.now(), start });
      this.pump();
    });
    try {
      return await task();
    } finally {
      this.running--;
      this.pump();
    }
  }

  /** Follow-ups waiting for their turn (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  private pump(): void {
    for (;;) {
      const first = this.waiting[0];
      if (!first) break;
      // Requests waiting for their ack: follow-ups only once overdue, and then one at a time.
      const limit = this.unanswered > 0 ? 1 : this.concurrency;
      if (this.running >= limit) break;
      if (this.unanswered > 0 && this.now() - first.since < this.maxWaitMs) break;
      this.waiting.shift();
      this.running++;
      first.start();
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.waiting[0];
    if (first && this.running === 0 && this.unanswered > 0) {
      // Held back by unanswered requests: look again when the oldest has waited long enough.
      this.timer = setTimeout(() => this.pump(), Math.max(0, first.since + this.maxWaitMs - this.now()));
      this.timer.unref();
    }
  }
}

/** Count the receiver's POST requests (Slack's) as unanswered until their response is sent. */
export function countUnanswered(receiver: HTTPReceiver, gate: AckFirst): void {
  const inner = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "POST") {
      const answered = gate.requestArrived();
      res.once("finish", answered);
      res.once("close", answered);
    }
    return inner(req, res);
  };
}
