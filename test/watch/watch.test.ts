// `helm-doctor watch` end to end: release records change in the fake API server (client-node list+watch over
// HTTP), the watcher asks the worker for a diagnosis through the queue on a real Redis, and the report appears
// in the routed channel of the fake Slack without anyone asking — once; a later change to the same revision
// updates it, a healthy revision resolves it, a restart posts nothing, and two watchers post once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRoutes } from "../../src/watch/routes.js";
import type { Watcher } from "../../src/watch/watcher.js";
import {
  type FakeSlack,
  type RecordedCall,
  startFakeSlack,
  validateBlocks,
} from "../support/fake-slack/index.js";
import { cleanPrefix, startTestRedis, type TestRedis, uniquePrefix } from "../support/redis.js";
import { type Obj, Scenario } from "../support/scenario.js";
import { apiDeployment, pendingUpgrade } from "../support/scenarios/release-state.js";
import { replicaSet } from "../support/scenarios/workloads.js";
import { eventually } from "../support/slack-app.js";
import {
  type ClusterRig,
  clusterRig,
  releaseHistory as release,
  testClock,
  topLevelPost,
} from "../support/watch-rig.js";

let redis: TestRedis;
let fake: FakeSlack;

beforeAll(async () => {
  redis = await startTestRedis();
  fake = await startFakeSlack();
});
afterAll(async () => {
  await fake?.close();
  await redis?.stop();
});

const CHANNEL = "C0ALERTS";
const topLevelPosts = (channel = CHANNEL) => fake.calls.filter(topLevelPost({ channel }));
const text = (c: RecordedCall) => JSON.stringify(c.args.blocks);

describe("helm-doctor watch: a release turning failed", () => {
  const clock = testClock("2026-11-20T11:00:00Z");
  const prefix = uniquePrefix("watch");
  let rig: ClusterRig;
  let watcher: Watcher;
  const yahoo = release("yahoo", "shop");
  const quiet = release("quiet", "shop");
  let ts = "";

  beforeAll(async () => {
    fake.reset();
    rig = await clusterRig({
      cluster: "default",
      redisUrl: redis.url,
      prefix,
      fake,
      clock,
      namespaces: "shop",
    });
    rig.api.seed([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
      yahoo.revision("deployed", 0),
      yahoo.live("1"),
      quiet.revision("deployed", 0),
      quiet.live("1"),
    ]);
    await rig.startWorker();
    watcher = await rig.startWatcher();
  });
  afterAll(async () => {
    await rig?.close();
    await cleanPrefix(redis.url, prefix);
  });

  it("lists the namespace's records with one list and one watch, and posts nothing for healthy releases", async () => {
    await watcher.settled();
    expect(watcher.isLeader).toBe(true);
    const s = watcher.watchStats();
    expect(s).toMatchObject({ lists: 1, watches: 1, triggers: 0 });
    // Metadata only: the list and the watch never carry a record's payload.
    await eventually(
      () => (rig.api.requestsMatching({ verb: "watch", resource: "secrets" }).length > 0 ? true : undefined),
      5000,
      "the watch request",
    );
    const reads = rig.api.requestsMatching({ resource: "secrets", namespace: "shop" });
    expect(reads.map((r) => r.verb)).toEqual(["list", "watch"]);
    for (const r of reads) expect(r.metadataOnly).toBe(true);
    expect(topLevelPosts()).toHaveLength(0);
  });

  it("posts the report in the channel, unasked, once, when the latest revision turns failed", async () => {
    clock.set("2026-11-20T11:01:00Z");
    rig.api.seed(yahoo.revision("pending-upgrade", 61));
    await watcher.settled();
    // An upgrade under way is not a problem yet.
    expect(topLevelPosts()).toHaveLength(0);

    clock.set("2026-11-20T11:03:00Z");
    rig.replace(yahoo.set(2, "failed", 'Upgrade "yahoo" failed: timed out waiting for the condition'));
    const post = await fake.waitFor(topLevelPost({ channel: CHANNEL }), 10_000);
    ts = String(post.response.ts);
    await watcher.settled();
    expect(String(post.args.text)).toContain("shop/yahoo");
    expect(text(post)).toContain("posted by helm-doctor watch: revision 2 turned failed");
    expect(text(post)).toContain("timed out waiting for the condition");
    expect(validateBlocks(post.args.blocks as unknown[], "message")).toEqual([]);
    // Buttons as on a requested report: an opaque diagnosis id, never a command.
    const buttons = (post.args.blocks as Obj[])
      .filter((b) => b.type === "actions")
      .flatMap((b) => b.elements as Obj[]);
    expect(buttons.length).toBeGreaterThan(0);
    for (const b of buttons) expect(String(b.value)).toMatch(/^[A-Za-z0-9_-]{8,}\.\d+$/);
    // The details in the thread.
    expect(fake.okCallsTo("chat.postMessage").filter((c) => c.args.thread_ts === ts).length).toBeGreaterThan(
      0,
    );
    expect(topLevelPosts()).toHaveLength(1);
    expect(watcher.stats.posts).toBe(1);
  });

  it("says nothing more when the same revision changes without changing the findings", async () => {
    // The first report's own delivery may still be updating its message: count from when it is quiet.
    let updates = -1;
    for (
      let n = fake.okCallsTo("chat.update").length;
      n !== updates;
      n = fake.okCallsTo("chat.update").length
    ) {
      updates = n;
      await new Promise((r) => setTimeout(r, 300));
    }
    clock.set("2026-11-20T11:04:00Z");
    const rec = yahoo.set(2, "failed");
    rec.metadata.labels = { ...rec.metadata.labels, team: "payments" };
    rig.replace(rec);
    await eventually(() => (watcher.stats.triggers >= 2 ? true : undefined), 5000, "the change's trigger");
    await watcher.settled();
    expect(fake.okCallsTo("chat.update").length).toBe(updates);
    expect(topLevelPosts()).toHaveLength(1);
  });

  it("updates the same message, with a thread reply, when a second change to the revision changes the findings", async () => {
    clock.set("2026-11-20T11:05:00Z");
    rig.replace(
      yahoo.set(
        2,
        "failed",
        'Upgrade "yahoo" failed: failed to create resource: admission webhook "validate.kyverno.svc-fail" denied the request: resource ConfigMap/shop/yahoo-config was blocked',
      ),
    );
    const upd = await fake.waitFor((c) => c.method === "chat.update" && c.ok && c.args.ts === ts, 10_000);
    await watcher.settled();
    expect(text(upd)).toContain("kyverno");
    expect(text(upd)).toContain("updated by helm-doctor watch");
    const reply = fake
      .okCallsTo("chat.postMessage")
      .find((c) => c.args.thread_ts === ts && String(c.args.text).startsWith("Changed:"));
    expect(reply).toBeDefined();
    expect(JSON.stringify(reply!.args.blocks)).toContain("admission-rejected");
    expect(topLevelPosts()).toHaveLength(1);
  });

  it("marks the report resolved when a later revision is healthy", async () => {
    clock.set("2026-11-20T11:10:00Z");
    rig.replace(yahoo.set(1, "superseded"));
    rig.api.seed(yahoo.revision("deployed", 70));
    rig.replace(yahoo.live("3"));
    const done = await fake.waitFor(
      (c) =>
        c.method === "chat.update" && c.ok && c.args.ts === ts && String(c.args.text).includes("resolved"),
      10_000,
    );
    await watcher.settled();
    expect(text(done)).toContain("revision 3");
    expect(JSON.stringify(done.args.blocks)).not.toContain('"actions"');
    expect(
      fake
        .okCallsTo("chat.postMessage")
        .some((c) => c.args.thread_ts === ts && String(c.args.text).startsWith("Resolved")),
    ).toBe(true);
    expect(topLevelPosts()).toHaveLength(1);
  });

  it("posts nothing new after a restart", async () => {
    await watcher.close();
    const calls = fake.calls.length;
    watcher = await rig.startWatcher();
    await watcher.settled();
    expect(watcher.isLeader).toBe(true);
    expect(fake.calls.length).toBe(calls);
  });

  it("two watchers of one cluster post a new failure once", async () => {
    const second = await rig.startWatcher();
    expect([watcher.isLeader, second.isLeader].filter(Boolean)).toHaveLength(1);
    clock.set("2026-11-20T11:20:00Z");
    rig.api.seed(quiet.revision("failed", 80, 'Upgrade "quiet" failed: timed out waiting for the condition'));
    await fake.waitFor(topLevelPost({ naming: "shop/quiet" }), 10_000);
    await watcher.settled();
    await second.settled();
    // The standby takes over when the leader stops, and still posts nothing twice.
    const leader = watcher.isLeader ? watcher : second;
    const standby = leader === watcher ? second : watcher;
    await leader.close();
    await eventually(() => (standby.isLeader ? true : undefined), 5000, "the standby to take over");
    await standby.settled();
    expect(topLevelPosts().filter((c) => String(c.args.text).includes("shop/quiet"))).toHaveLength(1);
    watcher = standby;
  });
});

describe("helm-doctor watch: revisions that age", () => {
  // 11:02; the watcher's first run (its epoch) is now.
  const clock = testClock("2026-11-20T11:02:00Z");
  const prefix = uniquePrefix("watchage");
  let rig: ClusterRig;
  let watcher: Watcher;
  const AGE = "C0AGE";

  /** A release in `store` deployed at 11:00 whose two pods are in `state`. */
  function deployed(name: string, state: string): Obj[] {
    const s = new Scenario({ release: name, namespace: "store", chart: name });
    // Its own name and labels (the template's are shop-api's).
    const deploy = JSON.parse(JSON.stringify(apiDeployment("1.0.0")).replaceAll("shop-api", name)) as Obj;
    s.revision({
      status: "deployed",
      at: 60,
      templates: [{ path: "templates/deployment.yaml", object: deploy }],
    });
    const d = s.add(s.owned(deploy), 60);
    d.status = { observedGeneration: 1, replicas: 2, updatedReplicas: 2 };
    replicaSet(s, d, "7c9d8f6b5", 1, [{ state }, { state }], 60);
    return s.bundle().items;
  }

  beforeAll(async () => {
    fake.reset();
    rig = await clusterRig({
      cluster: "default",
      redisUrl: redis.url,
      prefix,
      fake,
      clock,
      namespaces: "shop,store",
      alertChannel: AGE,
    });
    rig.api.seed([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "store" } },
      // shop-api: `helm upgrade` to revision 2 started at 11:00 and its client was killed.
      ...pendingUpgrade().bundle().items,
      ...deployed("front", "image-pull"),
      ...deployed("back", "running"),
    ]);
    await rig.startWorker();
    watcher = await rig.startWatcher({
      routes: { ...parseRoutes("rateLimit: { messages: 1, minutes: 10 }", "routes.yaml", AGE) },
    });
  });
  afterAll(async () => {
    await rig?.close();
    await cleanPrefix(redis.url, prefix);
  });

  it("asks nothing while an upgrade may still be running and the rollouts may still finish", async () => {
    await watcher.settled();
    expect(watcher.stats.triggers).toBe(0);
    expect(topLevelPosts(AGE)).toHaveLength(0);
  });

  // Three diagnoses run by the worker in this process: on a loaded machine that takes a while. `tick` returns once
  // every diagnosis it asked for was acted on (woken by each outcome), so nothing here polls or guesses a delay.
  const SLOW = 90_000;

  it("past the thresholds: reports the stuck upgrade and the deployed release whose pods never became ready, one per channel window; not the healthy one", {
    timeout: 2 * SLOW + 10_000,
  }, async () => {
    clock.set("2026-11-20T11:11:00Z");
    await watcher.tick(SLOW);
    // Three releases asked about: shop-api (stuck), front and back (10 minutes after their deploy).
    expect(watcher.stats.triggers).toBe(3);
    expect(watcher.stats.diagnoses).toBe(3);
    // Both problem diagnoses are acted on: one posted, one held by the channel's limit.
    expect(watcher.stats.posts).toBe(1);
    expect(watcher.stats.held).toBe(1);
    expect(topLevelPosts(AGE)).toHaveLength(1);

    // The next window of the channel's limit.
    clock.set("2026-11-20T11:20:00Z");
    await watcher.tick(SLOW);
    expect(watcher.stats.posts).toBe(2);
    const posts = topLevelPosts(AGE);
    expect(posts).toHaveLength(2);
    const all = posts.map((c) => String(c.args.text)).join("\n");
    expect(all).toContain("shop/shop-api");
    expect(all).toContain("store/front");
    expect(all).not.toContain("store/back");
    const stuck = posts.find((c) => String(c.args.text).includes("shop/shop-api"))!;
    expect(text(stuck)).toContain("revision 2 has been pending-upgrade for");
    const front = posts.find((c) => String(c.args.text).includes("store/front"))!;
    expect(text(front)).toContain("revision 1 was deployed 11 min ago");
  });
});
