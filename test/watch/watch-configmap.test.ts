// Releases kept by Helm's ConfigMap driver: HELM_DRIVER=auto (or configmap) watches them, a release turning failed
// there is reported; with HELM_DRIVER unset (Helm's default, the secret driver) only Secrets are watched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchedResources } from "../../src/watch/agent.js";
import type { Watcher } from "../../src/watch/watcher.js";
import { cleanPrefix, uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { type Obj, Scenario } from "../support/scenario.js";
import { type ClusterRig, testClock, topLevelPost, watchRig } from "../support/watch-rig.js";

const CHANNEL = "C0CMDRIVER";

it("HELM_DRIVER chooses the records watched: unset or secret → Secrets, configmap → ConfigMaps, auto → both", () => {
  expect(watchedResources(undefined)).toEqual(["secrets"]);
  expect(watchedResources("secret")).toEqual(["secrets"]);
  expect(watchedResources("configmap")).toEqual(["configmaps"]);
  expect(watchedResources("auto")).toEqual(["secrets", "configmaps"]);
  expect(() => watchedResources("sql")).toThrow(/unsupported driver "sql"/);
});

const rs = redisAndSlack();

describe("helm-doctor watch with HELM_DRIVER=auto", () => {
  const clock = testClock("2026-11-20T11:00:00Z");
  const prefix = uniquePrefix("watchcm");
  const s = new Scenario({ release: "legacy", namespace: "shop", chart: "basic", driver: "configmap" });
  const cm = (v: string): Obj => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "legacy-config" },
    data: { v },
  });
  let rig: ClusterRig;
  let watcher: Watcher;

  beforeAll(async () => {
    rig = await watchRig(rs, { prefix, clock, namespaces: "shop", alertChannel: CHANNEL });
    s.revision({ templates: [{ path: "templates/cm.yaml", object: cm("1") }], status: "deployed", at: 0 });
    rig.api.seed([
      ...s.records(),
      s.owned({ ...cm("1"), metadata: { name: "legacy-config", namespace: "shop" } }),
    ]);
    await rig.startWorker();
    watcher = await rig.startWatcher({ resources: watchedResources("auto") });
    await watcher.settled();
  });
  afterAll(async () => {
    await rig?.close();
    await cleanPrefix(rs.redis.url, prefix);
  });

  it("lists and watches both kinds of records, and reports a ConfigMap-driver release turning failed", async () => {
    expect(watcher.watchStats()).toMatchObject({ lists: 2 });
    expect(
      rig.api.requestsMatching({ verb: "list", resource: "configmaps", namespace: "shop" }),
    ).toHaveLength(1);
    clock.set("2026-11-20T11:01:00Z");
    s.revision({
      templates: [{ path: "templates/cm.yaml", object: cm("2") }],
      status: "failed",
      at: 61,
      description: 'Upgrade "legacy" failed: timed out waiting for the condition',
    });
    rig.api.seed(s.records()[1]!);
    const post = await rs.fake.waitFor(topLevelPost({ channel: CHANNEL }), 15_000);
    await watcher.settled();
    expect(String(post.args.text)).toContain("shop/legacy");
    expect(JSON.stringify(post.args.blocks)).toContain(
      "posted by helm-doctor watch: revision 2 turned failed",
    );
  });
});
