// A watcher killed between claiming a trigger and recording the diagnosis it queued (the Redis state such a death
// leaves: the claim "asking:<its id>", no pending entry): the next watcher of the cluster asks again and posts the
// report, once. A claim whose diagnosis was queued ("asked:<job>") is not asked again after a restart.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WatchState } from "../../src/watch/state.js";
import type { Trigger } from "../../src/watch/triggers.js";
import type { Watcher } from "../../src/watch/watcher.js";
import { cleanPrefix, uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import type { Obj } from "../support/scenario.js";
import {
  type ClusterRig,
  releaseHistory as release,
  testClock,
  topLevelPost,
  watchRig,
} from "../support/watch-rig.js";

const CHANNEL = "C0CRASH01";

const rs = redisAndSlack();

describe("helm-doctor watch after a watcher died mid-ask", () => {
  const clock = testClock("2026-11-20T11:00:00Z");
  const prefix = uniquePrefix("watchcrash");
  const k1 = release("k1", "shop");
  const k2 = release("k2", "shop");
  const k3 = release("k3", "shop");
  let rig: ClusterRig;
  let watcher: Watcher | undefined;
  let conn: Redis;

  const posts = (what: string) => rs.fake.calls.filter(topLevelPost({ channel: CHANNEL, naming: what }));

  /** The failed trigger of a stored record, as the watcher derives it (revision, status, resourceVersion). */
  function failedTrigger(rec: Obj): Trigger {
    const stored = rig.api.get({
      apiVersion: "v1",
      kind: "Secret",
      namespace: "shop",
      name: rec.metadata.name,
    });
    const rv = String((stored as Obj).metadata.resourceVersion);
    const rel = String(rec.metadata.labels?.name);
    return {
      kind: "failed",
      namespace: "shop",
      release: rel,
      revision: 2,
      status: "failed",
      key: `2:failed:${rv}`,
      at: 0,
      reason: "revision 2 turned failed",
      labels: {},
    };
  }

  beforeAll(async () => {
    conn = new Redis(rs.redis.url);
    rig = await watchRig(rs, { prefix, clock, namespaces: "shop", alertChannel: CHANNEL });
    rig.api.seed([
      k1.revision("deployed", 0),
      k1.live("1"),
      k2.revision("deployed", 0),
      k2.live("1"),
      k3.revision("deployed", 0),
      k3.live("1"),
    ]);
    await rig.startWorker();
    // The first watcher of the cluster (its epoch: 11:00), then gone.
    const first = await rig.startWatcher();
    await first.settled();
    await first.close();
  });
  afterAll(async () => {
    await watcher?.close();
    await rig?.close();
    conn?.disconnect();
    await cleanPrefix(rs.redis.url, prefix);
  });

  it("asks again for a trigger claimed by a watcher that died before its diagnosis was pending, and posts once", async () => {
    clock.set("2026-11-20T11:01:00Z");
    const failed1 = k1.revision("failed", 61, 'Upgrade "k1" failed: timed out waiting for the condition');
    const failed2 = k2.revision("failed", 61, 'Upgrade "k2" failed: timed out waiting for the condition');
    rig.api.seed([failed1, failed2]);
    const state = new WatchState(conn, prefix, "default");
    // k1: claimed by a watcher that was killed right after (nothing queued, nothing pending).
    expect(await state.claim(failedTrigger(failed1), "dead-watcher")).toBe(true);
    // k2 (near miss): claimed and queued by a watcher that then stopped: its diagnosis was asked for already.
    expect(await state.claim(failedTrigger(failed2), "stopped-watcher")).toBe(true);
    await state.asked(failedTrigger(failed2), "d-already-queued");

    watcher = await rig.startWatcher();
    await rs.fake.waitFor(topLevelPost({ naming: "shop/k1" }), 15_000);
    await watcher.settled();
    expect(posts("shop/k1")).toHaveLength(1);
    expect(JSON.stringify(posts("shop/k1")[0]!.args.blocks)).toContain(
      "posted by helm-doctor watch: revision 2 turned failed",
    );
    expect(posts("shop/k2")).toHaveLength(0);
    expect(watcher.stats.diagnoses).toBe(1);
  });

  it("posts the report of a watcher that claimed a finished diagnosis and died before its message was remembered", async () => {
    clock.set("2026-11-20T11:02:00Z");
    // The acting watcher's post never completes (a refused post stands in for its death mid-post).
    const isK3 = (a: Record<string, unknown>) => String(a.text).includes("shop/k3") && !a.thread_ts;
    rs.fake.fail("chat.postMessage", "channel_not_found", { match: isK3, times: 1000 });
    rig.api.seed([k3.revision("failed", 120, 'Upgrade "k3" failed: timed out waiting for the condition')]);
    await rs.fake.waitFor((c) => c.method === "chat.postMessage" && !c.ok && isK3(c.args), 15_000);
    await watcher?.close();
    expect(posts("shop/k3")).toHaveLength(0);
    rs.fake.clearInjections();
    // The next watcher finds the diagnosis still pending, its outcome marked as being acted on by a watcher that is
    // gone: it takes it over and posts, once.
    watcher = await rig.startWatcher();
    await rs.fake.waitFor((c) => c.method === "chat.postMessage" && c.ok && isK3(c.args), 15_000);
    await watcher.settled();
    expect(posts("shop/k3")).toHaveLength(1);
    expect(posts("shop/k1")).toHaveLength(1);
  });

  it("an outcome is taken over only from another watcher's unfinished act, never once acted on", async () => {
    const state = new WatchState(conn, prefix, "default");
    expect(await state.claimOutcome("d-test-only", "a")).toBe(true);
    expect(await state.claimOutcome("d-test-only", "a")).toBe(true); // its own retry
    expect(await state.claimOutcome("d-test-only", "b")).toBe(true); // a died: b takes over
    await state.outcomeActed("d-test-only");
    expect(await state.claimOutcome("d-test-only", "c")).toBe(false);
    expect(await state.claimOutcome("d-test-only", "b")).toBe(false);
  });

  it("a claim is taken over only from another watcher's unfinished ask", async () => {
    const state = new WatchState(conn, prefix, "default");
    const t = { ...failedTrigger(k1.set(2, "failed")), key: "2:failed:test-only" };
    expect(await state.claim(t, "a")).toBe(true);
    expect(await state.claim(t, "a")).toBe(false);
    expect(await state.claim(t, "b")).toBe(true);
    await state.asked(t, "d-1");
    expect(await state.claim(t, "c")).toBe(false);
  });
});
