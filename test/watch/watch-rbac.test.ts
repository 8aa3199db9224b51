// `helm-doctor watch` under a Role that lacks `watch` on the release records (the Role of `helm-doctor rbac -n shop
// --remediation`, without --watch), through the rs.fake API server authorizing like RBAC: the watcher names the
// missing rule once, in the form the diagnosis uses, with the command that grants it; backs off instead of asking
// again every second; is not ready while it lasts; and reports again once the rule is granted. A namespace whose
// Role has the rule (`web`) is watched and reported on throughout, and is never named.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { main } from "../../src/cli.js";
import type { Log } from "../../src/queue/redis.js";
import { NotReadyError, type Watcher } from "../../src/watch/watcher.js";
import { grantsFromObjects } from "../support/fake-apiserver/index.js";
import { cleanPrefix, uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { eventually } from "../support/slack-app.js";
import {
  type ClusterRig,
  releaseHistory as release,
  testClock,
  topLevelPost,
  watchRig,
} from "../support/watch-rig.js";

const USER = "system:serviceaccount:helm-doctor:helm-doctor";
const SHOP_RULE = 'missing RBAC rule: apiGroups=[""] resources=["secrets"] verbs=[watch] in namespace shop';
const CHANNEL = "C0RBACWATCH";

/** The Roles `helm-doctor rbac` prints for these arguments, as objects. */
async function rbacObjects(args: string[]): Promise<Record<string, unknown>[]> {
  let out = "";
  const code = await main(["rbac", ...args], {
    out: (s) => {
      out += s;
    },
    err: () => {},
    env: {},
    stdoutIsTTY: false,
  });
  expect(code).toBe(0);
  return parseAllDocuments(out).map((d) => d.toJSON() as Record<string, unknown>);
}

function memoryLog(): Log & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (...m: unknown[]) =>
      lines.push({ level, msg: m.map(String).join(" ") });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const rs = redisAndSlack();

describe("helm-doctor watch without the watch Role in one namespace", () => {
  const clock = testClock("2026-11-20T11:00:00Z");
  const prefix = uniquePrefix("watchrbac");
  const cart = release("cart", "shop");
  const site = release("site", "web");
  const log = memoryLog();
  let rig: ClusterRig;
  let watcher: Watcher;
  let withoutWatch: Record<string, unknown>[];
  let withWatch: Record<string, unknown>[];

  const shopWatches = () =>
    rig.api.requestsMatching({ verb: "watch", resource: "secrets", namespace: "shop" });
  const posts = (what: string) => rs.fake.calls.filter(topLevelPost({ channel: CHANNEL, naming: what }));
  const ruleLines = () => log.lines.filter((l) => l.msg.includes("missing RBAC rule"));

  beforeAll(async () => {
    rig = await watchRig(rs, { prefix, clock, namespaces: "shop,web", alertChannel: CHANNEL });
    rig.api.seed([
      cart.revision("deployed", 0),
      cart.live("1"),
      site.revision("deployed", 0),
      site.live("1"),
    ]);
    // shop: the diagnosis's Roles only (get/list, no watch); web: with the watch Role.
    withoutWatch = await rbacObjects(["-n", "shop", "--remediation"]);
    withWatch = await rbacObjects(["-n", "web", "--watch"]);
    rig.api.authorize(grantsFromObjects([...withoutWatch, ...withWatch], USER));
    await rig.startWorker();
    watcher = await rig.startWatcher({ log, tuning: { backoff: { baseMs: 10, maxMs: 1000 } } });
  });
  afterAll(async () => {
    await rig?.close();
    await cleanPrefix(rs.redis.url, prefix);
  });

  it("names the missing rule once, with the command that grants it, and backs off instead of retrying at once", async () => {
    await eventually(() => (watcher.forbidden().length > 0 ? true : undefined), 5000, "the refused watch");
    const first = shopWatches().length;
    // Without a backoff for refusals (base 10 ms) this window would hold about ten more attempts.
    await new Promise((r) => setTimeout(r, 1500));
    expect(shopWatches().length - first).toBeLessThanOrEqual(3);
    expect(shopWatches().length).toBeGreaterThanOrEqual(2);
    expect(shopWatches().every((r) => r.fault === "forbidden")).toBe(true);
    // Said once, however often it is retried.
    const lines = ruleLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("error");
    expect(lines[0]!.msg).toContain(SHOP_RULE);
    expect(lines[0]!.msg).toContain("helm-doctor rbac -n shop --watch");
    expect(log.lines.filter((l) => l.msg.includes("Forbidden"))).toEqual([]);
    expect(watcher.forbidden()).toEqual([
      { group: "", resource: "secrets", verb: "watch", namespace: "shop", rule: SHOP_RULE },
    ]);
  });

  it("is not ready while the rule is missing, and says why", async () => {
    const e = await watcher.ready().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(NotReadyError);
    expect((e as Error).message).toContain(SHOP_RULE);
    expect((e as Error).message).toContain("helm-doctor rbac -n shop --watch | kubectl apply -f -");
    // The namespace whose Role has the rule is not named.
    expect((e as Error).message).not.toContain("web");
  });

  it("keeps reporting on the namespace whose Role has the rule, and only shop's records go unseen", async () => {
    clock.set("2026-11-20T11:05:00Z");
    rig.replace(site.set(1, "failed", 'Upgrade "site" failed: timed out waiting for the condition'));
    rig.replace(cart.set(1, "failed", 'Upgrade "cart" failed: timed out waiting for the condition'));
    await rs.fake.waitFor(topLevelPost({ naming: "web/site" }), 10_000);
    await watcher.settled();
    expect(posts("web/site")).toHaveLength(1);
    expect(posts("shop/cart")).toHaveLength(0);
    expect(ruleLines().filter((l) => l.msg.includes("web"))).toEqual([]);
  });

  it("once the rule is granted: watches again from where it was, reports the change it missed, and is ready", async () => {
    const watchRole = await rbacObjects(["-n", "shop", "--watch"]);
    rig.api.authorize(grantsFromObjects([...withoutWatch, ...watchRole, ...withWatch], USER));
    await eventually(() => (watcher.forbidden().length === 0 ? true : undefined), 5000, "the watch allowed");
    await rs.fake.waitFor(topLevelPost({ naming: "shop/cart" }), 10_000);
    await watcher.settled();
    expect(posts("shop/cart")).toHaveLength(1);
    await expect(watcher.ready()).resolves.toBeUndefined();
    expect(log.lines.some((l) => l.level === "info" && l.msg.includes("secrets in shop: allowed now"))).toBe(
      true,
    );
    expect(ruleLines()).toHaveLength(1);
  });
});

describe("helm-doctor watch without list on the release records in one namespace", () => {
  const clock = testClock("2026-11-20T11:00:00Z");
  const prefix = uniquePrefix("watchrbaclist");
  const cart = release("cart", "shop");
  const site = release("site", "web");
  const log = memoryLog();
  let rig: ClusterRig;
  let watcher: Watcher;

  beforeAll(async () => {
    rig = await watchRig(rs, { prefix, clock, namespaces: "shop,web", alertChannel: CHANNEL });
    rig.api.seed([cart.revision("deployed", 0), site.revision("deployed", 0), site.live("1")]);
    // No Role at all in shop.
    rig.api.authorize(grantsFromObjects(await rbacObjects(["-n", "web", "--watch"]), USER));
    await rig.startWorker();
  });
  afterAll(async () => {
    await rig?.close();
    await cleanPrefix(rs.redis.url, prefix);
  });

  it("starts anyway, names the missing list rule, and reports on the other namespace", async () => {
    // A list refused for good must not hold up the start (nor the lease renewals that follow it).
    watcher = await rig.startWatcher({ log, tuning: { backoff: { baseMs: 10, maxMs: 1000 } } });
    expect(watcher.isLeader).toBe(true);
    const rule = 'missing RBAC rule: apiGroups=[""] resources=["secrets"] verbs=[list] in namespace shop';
    expect(watcher.forbidden().map((f) => f.rule)).toEqual([rule]);
    await expect(watcher.ready()).rejects.toThrow(rule);
    clock.set("2026-11-20T11:05:00Z");
    rig.replace(site.set(1, "failed", 'Upgrade "site" failed: timed out waiting for the condition'));
    await rs.fake.waitFor(topLevelPost({ naming: "web/site" }), 10_000);
    expect(log.lines.filter((l) => l.msg.includes("missing RBAC rule"))).toHaveLength(1);
  });
});
