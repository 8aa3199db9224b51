// Follow-ups (enqueue, channel message) wait while requests wait for their ack, run a few at a time, and never
// wait longer than the bound (then, while requests still wait, one at a time).
import { afterEach, describe, expect, it, vi } from "vitest";
import { AckFirst } from "../../src/slack/ack-first.js";

const tick = () => new Promise<void>((r) => setImmediate(r));

describe("AckFirst", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts a follow-up at once when no request waits for its answer", async () => {
    const gate = new AckFirst();
    expect(await gate.followUp(async () => "done")).toBe("done");
  });

  it("holds follow-ups until every request that arrived has been answered", async () => {
    const gate = new AckFirst();
    const a = gate.requestArrived();
    const b = gate.requestArrived();
    const started: string[] = [];
    const first = gate.followUp(async () => {
      started.push("first");
    });
    await tick();
    expect(started).toEqual([]);
    a();
    a(); // answering twice (finish, then close) counts once
    await tick();
    expect(started).toEqual([]);
    b();
    await first;
    expect(started).toEqual(["first"]);
    expect(gate.queued).toBe(0);
  });

  it("runs at most `concurrency` follow-ups at once, in arrival order", async () => {
    const gate = new AckFirst({ concurrency: 2 });
    const release: (() => void)[] = [];
    const started: number[] = [];
    const all = [0, 1, 2, 3].map((i) =>
      gate.followUp(
        () =>
          new Promise<void>((r) => {
            started.push(i);
            release.push(r);
          }),
      ),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    release.shift()!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (;;) {
      const r = release.shift();
      if (!r) break;
      r();
      await tick();
    }
    await Promise.all(all);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it("a follow-up waits at most maxWaitMs for requests that stay unanswered", async () => {
    vi.useFakeTimers();
    const gate = new AckFirst({ maxWaitMs: 1000 });
    gate.requestArrived(); // never answered
    let ran = false;
    const p = gate.followUp(async () => {
      ran = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(ran).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(ran).toBe(true);
  });

  it("while requests still wait for their ack, overdue follow-ups run one at a time; all run once they are answered", async () => {
    vi.useFakeTimers();
    const gate = new AckFirst({ maxWaitMs: 1000, concurrency: 16 });
    const answer = gate.requestArrived();
    const release: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const all = Array.from({ length: 5 }, () =>
      gate.followUp(
        () =>
          new Promise<void>((r) => {
            running++;
            most = Math.max(most, running);
            release.push(() => {
              running--;
              r();
            });
          }),
      ),
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(running).toBe(1);
    release.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    // The next overdue one starts when the previous ends, not all four.
    expect(running).toBe(1);
    expect(gate.queued).toBe(3);
    answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(running).toBe(4);
    expect(gate.queued).toBe(0);
    for (const r of release.splice(0)) r();
    await Promise.all(all);
    expect(most).toBe(4);
  });
});
