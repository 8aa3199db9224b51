// The one timeout helper (it cancels the request it gives up on) and the one retry helper (backoff with jitter,
// or the server's Retry-After, within attempts and a deadline).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { backoffMs, retry, retryAfterMs, TimeoutError, withTimeout } from "../src/retry.js";

describe("withTimeout", () => {
  it("aborts the operation's signal when time is up", async () => {
    let seen: AbortSignal | undefined;
    await expect(
      withTimeout(
        (signal) => {
          seen = signal;
          return new Promise(() => {});
        },
        20,
        "no answer",
      ),
    ).rejects.toThrow(new TimeoutError("no answer"));
    expect(seen?.aborted).toBe(true);
  });

  it("so a request given the signal is cancelled: the server sees the connection closed", async () => {
    // Aborted through the parent signal once the server holds the request (a timer could fire before the
    // request is even sent on a loaded machine); the timeout aborts the same signal.
    const parent = new AbortController();
    const server = createServer((req) => {
      req.socket.once("close", () => server.close());
      parent.abort(new Error("stop"));
    });
    const closed = new Promise<void>((r) => server.once("close", () => r()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
    await expect(
      withTimeout((signal) => fetch(url, { signal }), 60_000, "late", parent.signal),
    ).rejects.toThrow();
    await closed;
  });

  it("passes the result through, makes the error it is told to, and follows a parent signal", async () => {
    expect(await withTimeout(Promise.resolve(7), 1000, "late")).toBe(7);
    await expect(withTimeout(new Promise(() => {}), 10, () => new RangeError("mine"))).rejects.toThrow(
      RangeError,
    );
    const parent = new AbortController();
    const p = withTimeout(
      (signal) => new Promise((_, rej) => signal.addEventListener("abort", rej)),
      60_000,
      "x",
      parent.signal,
    );
    parent.abort(new Error("stopping"));
    await expect(p).rejects.toThrow("stopping");
  });
});

describe("retry", () => {
  const transient = new Error("503");
  const permanent = new Error("404");
  const classify = (e: unknown) =>
    e === transient ? { retry: true } : e === permanent ? { retry: false } : { retry: true, afterMs: 3000 };

  it("backs off exponentially with jitter, and stops at the attempts", async () => {
    const waits: number[] = [];
    let calls = 0;
    const p = retry(
      async () => {
        calls++;
        throw transient;
      },
      { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 },
      {
        classify,
        sleep: async (ms) => void waits.push(ms),
        random: () => 1,
        onExhausted: (e, n) => new Error(`${(e as Error).message} after ${n}`),
      },
    );
    await expect(p).rejects.toThrow("503 after 4");
    expect(calls).toBe(4);
    expect(waits).toEqual([100, 200, 250]);
    expect(backoffMs(3, 100, 10_000, () => 0)).toBe(200);
  });

  it("honours Retry-After (capped when told), and gives up at once on a permanent failure", async () => {
    const waits: number[] = [];
    let n = 0;
    const v = await retry(
      async () => {
        if (n++ === 0) throw new Error("429");
        return "ok";
      },
      { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 2000 },
      { classify, sleep: async (ms) => void waits.push(ms) },
    );
    expect(v).toBe("ok");
    expect(waits).toEqual([2000]);
    await expect(
      retry(
        async () => {
          throw permanent;
        },
        { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
        { classify, sleep: async () => {} },
      ),
    ).rejects.toBe(permanent);
  });

  it("never waits past the deadline", async () => {
    await expect(
      retry(
        async () => {
          throw new Error("429");
        },
        { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
        { classify, deadline: 1000 + 2999, now: () => 1000, onDeadline: () => new Error("deadline") },
      ),
    ).rejects.toThrow("deadline");
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(1)).toBe(1000);
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(
      10_000,
    );
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs("-1")).toBeUndefined();
  });
});
