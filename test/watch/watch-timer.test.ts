// The due timer on its own (no tick() from the test): two upgrades that become stuck three seconds apart are both
// reported. The timer fires for the first; it must be armed again for the second, which no other event wakes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PENDING_STUCK_AFTER_MS } from "../../src/diagnosis/analyzers/release-pending-stuck.js";
import type { Watcher } from "../../src/watch/watcher.js";
import { cleanPrefix, uniquePrefix } from "../support/redis.js";
import { redisAndSlack } from "../support/redis-slack.js";
import {
  type Clock,
  type ClusterRig,
  releaseHistory as release,
  topLevelPost,
  watchRig,
} from "../support/watch-rig.js";

const CHANNEL = "C0TIMER01";
const rs = redisAndSlack();

/** A clock that runs with real time from wherever it was set. */
function runningClock(start: string): Clock {
  let offset = Date.parse(start) - Date.now();
  return {
    now: () => new Date(Date.now() + offset),
    set: (v) => {
      offset = (typeof v === "number" ? v : Date.parse(v)) - Date.now();
    },
    advance: (ms) => {
      offset += ms;
    },
  };
}

describe("helm-doctor watch's due timer", () => {
  const clock = runningClock("2026-11-20T10:59:00Z");
  const prefix = uniquePrefix("watchtimer");
  const a = release("slow-a", "shop");
  const b = release("slow-b", "shop");
  // The diagnosis must call them stuck too: the watcher's threshold is the analyzer's.
  const stuckMs = PENDING_STUCK_AFTER_MS;
  let rig: ClusterRig;
  let watcher: Watcher | undefined;

  beforeAll(async () => {
    rig = await watchRig(rs, { prefix, clock, namespaces: "shop", alertChannel: CHANNEL });
    await rig.startWorker();
    // The cluster's first watcher ran before either upgrade began (its epoch), then stopped.
    const first = await rig.startWatcher({ tuning: { stuckMs } });
    await first.settled();
    await first.close();
  });
  afterAll(async () => {
    await watcher?.close();
    await rig?.close();
    await cleanPrefix(rs.redis.url, prefix);
  });

  it("reports an upgrade stuck three seconds after another one, with no event in between", async () => {
    // slow-a's upgrade began at 11:00:00, slow-b's at 11:00:03 (times in minutes after 10:00); both clients were killed (pending for good). The
    // cluster's clock agrees (the records' creationTimestamp).
    clock.set("2026-11-20T11:00:00Z");
    rig.api.seed([
      a.revision("deployed", 0),
      a.live("1"),
      a.revision("pending-upgrade", 60),
      b.revision("deployed", 0),
      b.live("1"),
      b.revision("pending-upgrade", 60 + 3 / 60),
    ]);
    // slow-a is stuck in about 1 s from now, slow-b about 3 s later.
    clock.set(Date.parse("2026-11-20T11:00:00Z") + stuckMs - 1_000);
    watcher = await rig.startWatcher({ tuning: { stuckMs } });
    const posted = (rel: string) => rs.fake.calls.filter(topLevelPost({ channel: CHANNEL, naming: rel }));
    for (const rel of ["shop/slow-a", "shop/slow-b"])
      await rs.fake.waitFor(topLevelPost({ channel: CHANNEL, naming: rel }), 20_000);
    expect(posted("shop/slow-a")).toHaveLength(1);
    expect(posted("shop/slow-b")).toHaveLength(1);
    expect(JSON.stringify(posted("shop/slow-b")[0]!.args.blocks)).toContain("pending-upgrade");
  });
});
