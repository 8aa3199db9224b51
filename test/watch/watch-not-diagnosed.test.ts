// A release turning failed while its diagnosis cannot run (a Role without `get` on the release records, through the
// rs.fake API server's RBAC refusal): the routed channel is told so, once, with the reason and when the watcher asks
// again; the same failure at the retry says nothing new; once a diagnosis runs, its report replaces that message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Watcher } from "../../src/watch/watcher.js";
import { validateBlocks } from "../support/fake-slack/index.js";
import { cleanPrefix, uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import {
  type ClusterRig,
  releaseHistory as release,
  testClock,
  topLevelPost,
  watchRig,
} from "../support/watch-rig.js";

const CHANNEL = "C0NOTDIAG";

const rs = redisAndSlack();

describe("helm-doctor watch when the diagnosis cannot run", () => {
  const clock = testClock("2026-11-20T11:00:00Z");
  const prefix = uniquePrefix("watchnotdiag");
  const cart = release("cart", "shop");
  let rig: ClusterRig;
  let watcher: Watcher;
  let lift = () => {};
  let ts = "";

  const topLevel = () =>
    rs.fake.okCallsTo("chat.postMessage").filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts);
  const updates = () => rs.fake.okCallsTo("chat.update").filter((c) => c.args.ts === ts);

  beforeAll(async () => {
    rig = await watchRig(rs, { prefix, clock, namespaces: "shop", alertChannel: CHANNEL });
    rig.api.seed([cart.revision("deployed", 0), cart.live("1")]);
    await rig.startWorker();
    watcher = await rig.startWatcher({ tuning: { diagnosisRetry: { baseMs: 60_000, maxMs: 8 * 60_000 } } });
    await watcher.settled();
  });
  afterAll(async () => {
    lift();
    await rig?.close();
    await cleanPrefix(rs.redis.url, prefix);
  });

  it("posts that the release turned failed and could not be diagnosed, why, and when it asks again", async () => {
    lift = rig.api.forbid({ verb: "get", resource: "secrets", namespace: "shop" });
    clock.set("2026-11-20T11:01:00Z");
    rig.api.seed(cart.revision("failed", 60, 'Upgrade "cart" failed: timed out waiting for the condition'));
    const post = await rs.fake.waitFor(topLevelPost({ channel: CHANNEL }), 15_000);
    ts = String(post.response.ts);
    await watcher.settled();
    const body = JSON.stringify(post.args.blocks);
    expect(String(post.args.text)).toContain("Could not diagnose");
    expect(String(post.args.text)).toContain("shop/cart");
    expect(body).toContain('missing RBAC rule: apiGroups=[\\"\\"] resources=[\\"secrets\\"] verbs=[get]');
    expect(body).toContain("posted by helm-doctor watch: revision 2 turned failed");
    // Backoff 1 min (jittered to 30–60 s) from 11:01.
    expect(body).toMatch(/asks again at 2026-11-20 11:0[12] UTC/);
    expect(validateBlocks(post.args.blocks as unknown[], "message")).toEqual([]);
    expect(topLevel()).toHaveLength(1);
    expect(watcher.stats.diagnoses).toBe(1);
  });

  it("asks again when the time comes, and says nothing new when it fails the same way", async () => {
    clock.set("2026-11-20T11:03:00Z");
    await watcher.tick();
    expect(watcher.stats.diagnoses).toBe(2);
    expect(topLevel()).toHaveLength(1);
    expect(updates()).toHaveLength(0);
  });

  it("once a diagnosis runs, its report replaces the message (no second message)", async () => {
    lift();
    // The second retry: 1–2 min after 11:03.
    clock.set("2026-11-20T11:06:00Z");
    await watcher.tick();
    expect(watcher.stats.diagnoses).toBe(3);
    const upd = updates();
    expect(upd).toHaveLength(1);
    const body = JSON.stringify(upd[0]!.args.blocks);
    expect(String(upd[0]!.args.text)).not.toContain("Could not diagnose");
    expect(body).toContain("timed out waiting for the condition");
    expect(body).toContain("updated by helm-doctor watch");
    expect(body).not.toContain("asks again");
    const reply = rs.fake
      .okCallsTo("chat.postMessage")
      .find((c) => c.args.thread_ts === ts && String(c.args.text).startsWith("Changed:"));
    expect(reply).toBeDefined();
    expect(JSON.stringify(reply!.args.blocks)).not.toContain("diagnosis-failed");
    expect(topLevel()).toHaveLength(1);
  });
});
