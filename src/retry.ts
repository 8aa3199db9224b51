// Timeouts and retries, one way everywhere (Kubernetes reads and writes, Slack deliveries, Redis calls):
// `withTimeout` gives an operation an AbortSignal.timeout and cancels the request behind it when time is up;
// `retry` tries again with exponential backoff and jitter, or after the server's Retry-After, within a deadline.

/** What `withTimeout` rejects with unless told otherwise. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * `op` with a time limit. A function gets the AbortSignal (AbortSignal.timeout, joined with `parent` when given)
 * and should hand it to the request it makes, so giving up cancels the request; a promise (a Redis command, a
 * close) cannot be cancelled and is only no longer waited for. Rejects with `onTimeout`: a message for a
 * TimeoutError, or a function making the error.
 */
export async function withTimeout<T>(
  op: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  ms: number,
  onTimeout: string | (() => Error),
  parent?: AbortSignal,
): Promise<T> {
  const timeout = AbortSignal.timeout(Math.max(0, ms));
  const signal = parent ? AbortSignal.any([parent, timeout]) : timeout;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        timeout.aborted
          ? typeof onTimeout === "string"
            ? new TimeoutError(onTimeout)
            : onTimeout()
          : (signal.reason ?? new Error("aborted")),
      );
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([typeof op === "function" ? op(signal) : op, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    aborted.catch(() => {});
  }
}

/** How a failure is to be taken: try again or not, and after how long when the server said so (Retry-After). */
export interface RetryVerdict {
  retry: boolean;
  afterMs?: number | undefined;
}

export interface RetryPolicy {
  /** Attempts in all (the first included). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server's Retry-After longer than this is cut to it (default: not cut). */
  maxRetryAfterMs?: number | undefined;
}

export interface RetryOptions {
  /** Classify a failure (default: never retry). */
  classify: (e: unknown, attempt: number) => RetryVerdict;
  /** No wait may end after this time (epoch ms): `onDeadline` is thrown instead. */
  deadline?: number | undefined;
  onDeadline?: ((e: unknown) => Error) | undefined;
  /** The error thrown when a retryable failure used the last attempt (default: the failure itself). */
  onExhausted?: ((e: unknown, attempts: number) => Error) | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  now?: (() => number) | undefined;
}

/** Exponential backoff with jitter: a random wait between half and all of base·2^(attempt−1), at most `max`. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const full = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return full / 2 + random() * (full / 2);
}

/** An HTTP Retry-After value (delay-seconds or an HTTP-date) in ms; undefined when absent or unreadable. */
export function retryAfterMs(
  value: string | number | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(String(value));
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A promise that resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/** Run `op` until it succeeds, a failure is not worth retrying, the attempts are used up or the deadline nears. */
export async function retry<T>(
  op: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  o: RetryOptions,
): Promise<T> {
  const wait = o.sleep ?? sleep;
  const now = o.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      const v = o.classify(e, attempt);
      if (!v.retry) throw e;
      if (attempt >= policy.attempts) throw o.onExhausted ? o.onExhausted(e, attempt) : e;
      let ms = v.afterMs ?? backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs, o.random);
      if (v.afterMs !== undefined && policy.maxRetryAfterMs !== undefined)
        ms = Math.min(ms, policy.maxRetryAfterMs);
      if (o.deadline !== undefined && now() + ms > o.deadline) throw o.onDeadline ? o.onDeadline(e) : e;
      await wait(ms);
    }
  }
}
