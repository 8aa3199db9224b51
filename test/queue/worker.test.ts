// The diagnose worker on a real Redis: retries with backoff, permanent failures, and a worker that dies
// mid-job (stalled-job recovery) — every requester's message still ends in a report or a clear error.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BundleSource } from "../../src/cluster/bundle.js";
import { LiveSource } from "../../src/cluster/live.js";
import { type SnapshotSource, SourceError } from "../../src/cluster/source.js";
import { loadConfig } from "../../src/config.js";
import { followJob, MessageUpdater, type SlackClient, slackFailure } from "../../src/queue/delivery.js";
import { Producer } from "../../src/queue/producer.js";
import { producerConnection } from "../../src/queue/redis.js";
import { QUEUES } from "../../src/queue/schemas.js";
import {
  type SourceFactory,
  startWorker,
  type WorkerHandle,
  type WorkerTuning,
} from "../../src/queue/worker.js";
import { startFakeApiServer } from "../support/fake-apiserver/index.js";
import { quietLog } from "../support/log.js";
import { uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { type Requester, startRequester } from "../support/requester.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { eventually, FOUNDING_BUNDLE } from "../support/slack-app.js";

const rs = redisAndSlack();
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig extends Requester {
  worker(factory: SourceFactory, tuning?: WorkerTuning): Promise<WorkerHandle>;
  /**
   * The lock of a job whose worker died runs out now: the key Redis would expire after the lock duration is
   * deleted, so the stalled-job check finds the job without the test waiting out the lock.
   */
  lockExpires(jobId: string): Promise<void>;
}

/** `rejectRateLimitedCalls`: the client gives a 429 back at once, with its Retry-After (no budget of its own). */
async function rig(o: { rejectRateLimitedCalls?: boolean } = {}): Promise<Rig> {
  const prefix = uniquePrefix("worker");
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: rs.fake.token,
      SLACK_API_URL: rs.fake.apiUrl,
      REDIS_URL: rs.redis.url,
      HELM_DOCTOR_QUEUE_PREFIX: prefix,
    },
    "worker",
  );
  const requester = startRequester({
    redisUrl: rs.redis.url,
    fake: rs.fake,
    prefix,
    log: quietLog,
    producer: { dedupWindowMs: 30_000, backoffMs: 100 },
    ...(o.rejectRateLimitedCalls ? { client: { rejectRateLimitedCalls: true } } : {}),
  });
  const workers: WorkerHandle[] = [];
  cleanups.push(async () => {
    for (const w of workers) await w.close();
    await requester.close();
  });
  return {
    ...requester,
    worker: async (factory, tuning) => {
      const w = await startWorker(config, {
        sourceFactory: factory,
        slack: requester.client,
        log: quietLog,
        handleSignals: false,
        tuning: {
          stalledInterval: 500,
          lockDuration: 1000,
          deliveryRetry: { attempts: 4, baseMs: 50, maxMs: 200 },
          ...tuning,
        },
      });
      workers.push(w);
      return w;
    },
    lockExpires: async (jobId) => {
      const lock = `${prefix}:${QUEUES.diagnose}:${jobId}:lock`;
      expect(await requester.conn.del(lock), "the dead worker's lock").toBe(1);
    },
  };
}

const bundle = (): SnapshotSource => new BundleSource(FOUNDING_BUNDLE);

async function finalText(channel: string, ts: string, match: RegExp, timeoutMs = 10_000): Promise<string> {
  return eventually(
    () => {
      const t = JSON.stringify(rs.fake.message(channel, ts)?.blocks ?? []);
      return match.test(t) ? t : undefined;
    },
    timeoutMs,
    `message ${channel}/${ts} matching ${match}`,
  );
}

describe("diagnose worker", () => {
  it("retries a transient failure with backoff and ends in the report", async () => {
    const r = await rig();
    let calls = 0;
    await r.worker(async () => {
      calls++;
      if (calls === 1) throw new Error("connect ECONNREFUSED 10.0.0.1:443");
      return bundle();
    });
    const { channel, ts } = await r.request("C0WRK00001");
    await finalText(channel, ts, /Roll back to revision 1/);
    expect(calls).toBe(2);
  });

  it("gives up after the last attempt with a clear error, and a permanent error is not retried", async () => {
    const r = await rig();
    let calls = 0;
    await r.worker(async (ns) => {
      calls++;
      if (ns === "default") throw new Error("the Kubernetes API timed out");
      throw new SourceError('kubeconfig context "prod" not found');
    });
    const { channel, ts } = await r.request("C0WRK00002");
    const text = await finalText(channel, ts, /Could not diagnose/);
    expect(text).toContain("the Kubernetes API timed out");
    expect(text).toContain("Gave up after 3 attempts");
    expect(calls).toBe(3);

    calls = 0;
    const { jobId } = await r.producer.enqueueList({
      namespace: "prod",
      requestedBy: "U0ANA00001",
      channel: "C0WRK00003",
      requestedAt: new Date().toISOString(),
    });
    const ts2 = rs.fake.seedMessage("C0WRK00003");
    await followJob(
      r.client,
      r.store,
      QUEUES.diagnose,
      jobId,
      { channel: "C0WRK00003", ts: ts2, user: "U0ANA00001" },
      quietLog,
    );
    const t2 = await finalText("C0WRK00003", ts2, /Could not list releases in prod/);
    expect(t2).toContain('kubeconfig context \\"prod\\" not found');
    expect(calls).toBe(1);
  });

  it("recovers the job of a worker that dies mid-job (stalled-job check)", async () => {
    const r = await rig();
    let started = false;
    // Worker A takes the job and hangs (as if its process froze or died).
    const a = await r.worker(async () => {
      started = true;
      return new Promise<SnapshotSource>(() => {});
    });
    const { channel, ts, jobId } = await r.request("C0WRK00004");
    await eventually(() => (started ? true : undefined), 5000, "worker A to take the job");
    await a.worker.close(true); // killed: no more lock renewals
    await r.lockExpires(jobId);
    // Worker B finds the stalled job and runs it again.
    await r.worker(async () => bundle(), { stalledInterval: 100 });
    await finalText(channel, ts, /Roll back to revision 1/, 15_000);
    expect(await r.store.getResult(QUEUES.diagnose, jobId)).toMatchObject({ kind: "report" });
  });

  it("a job whose workers keep dying ends in an error the user can act on, never an endless progress line", async () => {
    const r = await rig();
    let started = 0;
    const hang = async () => {
      started++;
      return new Promise<SnapshotSource>(() => {});
    };
    const { channel, ts, jobId } = await r.request("C0WRK00008");
    // Three workers take the job in turn and die with it (maxStalledCount 2: the third stall is one too many).
    const tuning = { maxStalledCount: 2, stalledInterval: 100, updateIntervalMs: 50 };
    for (let i = 1; i <= 3; i++) {
      const w = await r.worker(hang, tuning);
      await eventually(() => (started >= i ? true : undefined), 10_000, `worker ${i} to take the job`);
      // A restarted job says so.
      if (i > 1)
        await finalText(channel, ts, new RegExp(`restarted after its worker stopped \\(${i - 1} of 2\\)`));
      await w.worker.close(true);
      await r.lockExpires(jobId);
    }
    await r.worker(async () => bundle(), tuning);
    const text = await finalText(channel, ts, /Could not diagnose/, 15_000);
    expect(text).toContain("stopped 3 times");
    expect(text).toMatch(/out of memory|logs/);
  });

  it("refuses a job naming another cluster without reading its own (a misrouted job never diagnoses the wrong cluster)", async () => {
    const r = await rig();
    let calls = 0;
    await r.worker(async () => {
      calls++;
      return bundle();
    });
    // On this (default) cluster's queue, a payload addressed to staging, as a producer of another version might.
    const job = await r.producer.diagnose.add("diagnose", {
      release: "yahoo",
      namespace: "default",
      requestedBy: "U0ANA00001",
      channel: "C0WRK00009",
      requestedAt: new Date().toISOString(),
      cluster: "staging",
    });
    const channel = "C0WRK00009";
    const ts = rs.fake.seedMessage(channel, { text: "queued…" });
    await followJob(
      r.client,
      r.store,
      QUEUES.diagnose,
      job.id!,
      { channel, ts, user: "U0ANA00001" },
      quietLog,
    );
    const text = await finalText(channel, ts, /Could not diagnose/);
    expect(text).toContain("this job is for cluster staging, but this worker serves cluster default");
    expect(calls).toBe(0);
  });

  it("shows progress on a slow diagnosis, at most one progress update per interval, the report at once", async () => {
    const r = await rig();
    const channel = "C0WRK00006";
    const progressShown = () =>
      rs.fake.waitFor(
        (c) =>
          c.method === "chat.update" &&
          c.args.channel === channel &&
          JSON.stringify(c.args).includes("reading release records"),
        10_000,
      );
    await r.worker(
      async () => {
        const inner = bundle();
        return {
          describe: () => inner.describe(),
          releases: (ns) => inner.releases(ns),
          // The diagnosis goes on once its progress is on the message.
          load: async (rel, ns, now) => {
            await progressShown();
            return inner.load(rel, ns, now);
          },
        };
      },
      { updateIntervalMs: 300 },
    );
    const { ts } = await r.request(channel);
    await finalText(channel, ts, /Roll back to revision 1/);
    // Progress updates of one message are throttled (the first entry is the post itself; the exact intervals are
    // the updater's unit test's business, these are arrival times at the fake Slack); the report is the last one.
    const updates = rs.fake.message(channel, ts)!.history.slice(1);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(updates.at(-1)!.blocks)).toContain("Roll back to revision 1");
    const progress = updates.slice(0, -1).map((h) => h.time);
    expect(JSON.stringify(updates[0]!.blocks)).toContain("reading release records");
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]! - progress[i - 1]!).toBeGreaterThanOrEqual(150);
  });

  it("reports what could not be read (gaps) instead of failing", async () => {
    const r = await rig();
    await r.worker(async () => {
      const inner = bundle();
      return {
        describe: () => "live cluster (test)",
        releases: (ns) => inner.releases(ns),
        load: async (rel, ns, now) => {
          const s = await inner.load(rel, ns, now);
          s.events = [];
          s.gaps.push({
            what: "events",
            reason: "forbidden",
            detail: "add list events on namespace default",
          });
          return s;
        },
      };
    });
    const { channel, ts } = await r.request("C0WRK00005");
    const text = await finalText(channel, ts, /Could not read/);
    // The channel message says the findings may be incomplete; the thread says what could not be read and why.
    expect(text).toContain("Could not read 1 thing, so the findings may be incomplete");
    const thread = await eventually(() => {
      const t = JSON.stringify(
        rs.fake
          .okCallsTo("chat.postMessage")
          .filter((c) => c.args.thread_ts === ts)
          .map((c) => c.args.blocks),
      );
      return t.includes("Could not read") ? t : undefined;
    });
    expect(thread).toContain("events: forbidden (add list events on namespace default)");
  });
});

describe("forbidden release records", () => {
  it("Slack says what the CLI says: the missing RBAC rule, not that the release does not exist", async () => {
    const api = await startFakeApiServer();
    cleanups.push(() => api.close());
    api.seed(foundingCase().bundle().items);
    api.forbid({ resource: "secrets", verb: "list" });
    const kubeconfig = api.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-wrk-")));
    const r = await rig();
    await r.worker(() => LiveSource.fromKubeconfig({ kubeconfig, env: {} }));
    const { channel, ts } = await r.request("C0WRK00007");
    const text = await finalText(channel, ts, /Could not diagnose/);
    expect(text).toContain("cannot read the Helm release records in namespace");
    expect(text).toContain('resources=[\\"secrets\\"] verbs=[list] in namespace default');
    expect(text).not.toMatch(/There is no Helm release|no Helm releases/);
  });
});

describe("a release whose records were all deleted", () => {
  it("Slack diagnoses it from the objects that carry its ownership, as the CLI does, instead of 'no such release'", async () => {
    const api = await startFakeApiServer();
    cleanups.push(() => api.close());
    api.seed(
      foundingCase()
        .bundle()
        .items.filter(
          (o: { kind: string; type?: string }) => !(o.kind === "Secret" && o.type === "helm.sh/release.v1"),
        ),
    );
    const kubeconfig = api.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-wrk-")));
    const r = await rig();
    await r.worker(() => LiveSource.fromKubeconfig({ kubeconfig, env: {} }));
    const { channel, ts } = await r.request("C0WRK00009");
    const text = await finalText(channel, ts, /record/);
    expect(text).not.toMatch(/There is no Helm release|no Helm releases/);
    expect(text).toMatch(
      /records? (?:of yahoo )?(?:are|is|were|was) (?:gone|deleted|missing)|release records/i,
    );
  });
});

describe("final delivery", () => {
  const isReport = (a: Record<string, unknown>) =>
    JSON.stringify(a.blocks ?? "").includes("Roll back to revision 1");
  const failures = [
    {
      name: "internal_error",
      inject: () => rs.fake.fail("chat.update", "internal_error", { times: 2, match: isReport }),
    },
    {
      name: "ratelimited in the body",
      inject: () => rs.fake.fail("chat.update", "ratelimited", { times: 2, match: isReport }),
    },
  ];
  for (const f of failures) {
    it(`retries a final chat.update that fails with ${f.name}, and the report arrives`, async () => {
      const r = await rig();
      await r.worker(async () => bundle());
      f.inject();
      const { channel, ts } = await r.request(`C0DLV${String(failures.indexOf(f)).padStart(5, "0")}`);
      await finalText(channel, ts, /Roll back to revision 1/, 15_000);
      expect(rs.fake.callsTo("chat.update").filter((c) => c.args.ts === ts && !c.ok).length).toBeGreaterThan(
        0,
      );
      rs.fake.clearInjections();
    });
  }

  it("retries a final chat.update that fails with 429 past the client's retry budget after Retry-After, and the report arrives", async () => {
    // The client gives each 429 back with its Retry-After; delivery waits that long (its waits are recorded, not
    // slept) and tries again.
    const r = await rig({ rejectRateLimitedCalls: true });
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    await r.worker(async () => bundle(), { deliveryRetry: { attempts: 4, baseMs: 50, maxMs: 200, sleep } });
    rs.fake.rateLimit("chat.update", 3, 7, isReport);
    const { channel, ts } = await r.request("C0DLV00003");
    await finalText(channel, ts, /Roll back to revision 1/, 15_000);
    expect(rs.fake.callsTo("chat.update").filter((c) => c.args.ts === ts && !c.ok)).toHaveLength(3);
    expect(waits).toEqual([7000, 7000, 7000]);
    rs.fake.clearInjections();
  });

  it("a 429 the client gave up on after its own waits: delivery takes the Retry-After from the client's error", () => {
    // The error @slack/web-api's WebClient throws when its retries after a 429 are used up (WebClient.js).
    const gaveUp = new Error(
      "A rate limit was exceeded (url: https://slack.com/api/chat.update, retry-after: 3)",
    );
    expect(slackFailure(gaveUp)).toMatchObject({ code: "ratelimited", transient: true, retryAfterMs: 3000 });
    // Near miss: another error that mentions a rate limit is not retried as one.
    expect(slackFailure(new Error("rate limit policy invalid")).transient).toBe(false);
  });

  it("posts a new message when the one to update is gone (message_not_found), with the thread under it", async () => {
    const r = await rig();
    await r.worker(async () => bundle());
    const channel = "C0DLV00010";
    const { jobId } = await r.producer.enqueueDiagnose({
      release: "yahoo",
      namespace: "default",
      requestedBy: "U0ANA00001",
      channel,
      requestedAt: new Date().toISOString(),
    });
    // A message that was deleted (the fake knows no such ts).
    await followJob(
      r.client,
      r.store,
      QUEUES.diagnose,
      jobId,
      { channel, ts: "1700009999.000100", user: "U0ANA00001" },
      quietLog,
    );
    const post = await rs.fake.waitFor(
      (c) =>
        c.method === "chat.postMessage" &&
        c.ok &&
        c.args.channel === channel &&
        !c.args.thread_ts &&
        isReport(c.args),
      10_000,
    );
    const newTs = String(post.response.ts);
    await rs.fake.waitFor((c) => c.method === "chat.postMessage" && c.ok && c.args.thread_ts === newTs, 5000);
  });

  it("tells the requester when the report cannot be delivered, and keeps it for /helm-doctor last", async () => {
    const r = await rig();
    await r.worker(async () => bundle());
    rs.fake.fail("chat.update", "internal_error", { times: Number.POSITIVE_INFINITY, match: isReport });
    const { channel } = await r.request("C0DLV00011");
    const told = await rs.fake.waitFor(
      (c) => c.method === "chat.postEphemeral" && c.ok && c.args.channel === channel,
      15_000,
    );
    expect(told.args.user).toBe("U0ANA00001");
    expect(JSON.stringify(told.args)).toContain("/helm-doctor last default/yahoo");
    expect(JSON.stringify(told.args)).toContain("internal_error");
    expect(await r.store.getLast("default", "yahoo")).toMatchObject({ kind: "report" });
    rs.fake.clearInjections();
  });

  it("falls back to a direct message when the ephemeral cannot be posted either", async () => {
    const r = await rig();
    await r.worker(async () => bundle());
    rs.fake.fail("chat.update", "internal_error", { times: Number.POSITIVE_INFINITY, match: isReport });
    rs.fake.fail("chat.postEphemeral", "user_not_in_channel", { times: Number.POSITIVE_INFINITY });
    await r.request("C0DLV00012");
    const dm = await rs.fake.waitFor(
      (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === "U0ANA00001",
      15_000,
    );
    expect(JSON.stringify(dm.args)).toContain("/helm-doctor last default/yahoo");
    rs.fake.clearInjections();
  });
});

describe("message updates", () => {
  it("coalesce progress and keep at least the interval between progress updates; the final one waits for none", async () => {
    vi.useFakeTimers();
    try {
      const sent: { text: string; at: number }[] = [];
      const client = {
        chat: {
          update: async (a: { text?: string }) => {
            sent.push({ text: String(a.text), at: Date.now() });
            return { ok: true };
          },
        },
      } as unknown as SlackClient;
      const u = new MessageUpdater(client, "C1", "1.1", quietLog, 200, 0);
      for (let i = 0; i < 20; i++) {
        u.progress({ text: `step ${i}`, blocks: [] });
        await vi.advanceTimersByTimeAsync(20);
      }
      const finalAt = Date.now();
      const final = u.final({ text: "done", blocks: [] });
      await vi.advanceTimersByTimeAsync(0);
      await final;
      // 400 ms of progress every 20 ms: the first at once, then the latest one every 200 ms, then the final one at
      // once, though the last update was less than 200 ms before.
      expect(sent.map((s) => s.text)).toEqual(["step 0", "step 9", "step 19", "done"]);
      for (let i = 1; i < 3; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(200);
      expect(sent[3]!.at).toBe(finalAt);
      expect(sent[3]!.at - sent[2]!.at).toBeLessThan(200);
      u.progress({ text: "late", blocks: [] });
      await vi.advanceTimersByTimeAsync(1000);
      expect(sent.at(-1)!.text).toBe("done");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("producer", () => {
  it("gives up after its timeout with QueueUnavailableError when Redis cannot be reached", async () => {
    // Without the timeout the call would wait for a reconnect forever (and fail this test by its own timeout).
    const conn = producerConnection("redis://127.0.0.1:1", quietLog);
    const p = new Producer(conn, { prefix: uniquePrefix("down"), dedupWindowMs: 1000, timeoutMs: 200 });
    await expect(
      p.enqueueDiagnose({
        release: "yahoo",
        namespace: "default",
        requestedBy: "U0ANA00001",
        channel: "C0X0000001",
        requestedAt: new Date().toISOString(),
      }),
    ).rejects.toThrow(/job queue \(Redis\) is unreachable/);
    await p.close();
    conn.disconnect();
  });

  it("validates remediate payloads", async () => {
    const r = await rig();
    const base = {
      diagnosisId: "abcdefgh12345678",
      action: "rollback" as const,
      expectedRevision: 2,
      release: "yahoo",
      namespace: "default",
      resources: [],
      user: { id: "U0ANA00001" },
      channel: "C0X0000001",
      messageTs: "1700000000.000100",
      requestedAt: new Date().toISOString(),
    };
    await expect(r.producer.enqueueRemediate(base, 0)).rejects.toThrow(/rollback needs the target revision/);
    await expect(
      r.producer.enqueueRemediate({ ...base, revision: 1, release: "Bad_Name" }, 0),
    ).rejects.toThrow(/not a valid Helm release name/);
    const first = await r.producer.enqueueRemediate({ ...base, revision: 1 }, 0);
    expect(first).toEqual({ jobId: expect.stringMatching(/^p-/), duplicate: false });
    // The same button again while its plan is queued joins it; another button plans on its own.
    expect(await r.producer.enqueueRemediate({ ...base, revision: 1 }, 0)).toEqual({
      jobId: first.jobId,
      duplicate: true,
      queuedBy: "U0ANA00001",
    });
    expect((await r.producer.enqueueRemediate({ ...base, revision: 1 }, 1)).duplicate).toBe(false);
    // An execution needs its confirmed plan.
    await expect(r.producer.enqueueExecute({ ...base, revision: 1 })).rejects.toThrow(/confirmed plan/);
  });
});
