// The release-record watch through client-node over HTTP: one metadata-only list, then one watch from its
// resourceVersion; a dropped watch resumes from the last version seen (the changes made meanwhile are replayed,
// nothing is listed again); a compacted version (410 Expired) relists; only owner=helm records count.
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveSource } from "../../src/cluster/live.js";
import { RecordWatch } from "../../src/cluster/records-watch.js";
import type { RecordMeta } from "../../src/watch/triggers.js";
import { eventually, type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { releaseHistory, replaceObject } from "../support/watch-rig.js";

let api: FakeApiServer;
beforeAll(async () => {
  api = await startFakeApiServer();
});
afterAll(() => api?.close());

describe("RecordWatch", () => {
  const shop = releaseHistory("shop", "team-a");
  const syncs: RecordMeta[][] = [];
  const events: { type: string; r: RecordMeta }[] = [];
  let w: RecordWatch;

  const watchRequests = () =>
    api.requestsMatching({ verb: "watch", resource: "secrets", namespace: "team-a" });
  const watching = (n: number) => eventually(() => (watchRequests().length >= n ? true : undefined));

  beforeAll(async () => {
    api.seed([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } },
      shop.revision("superseded", 0),
      shop.revision("deployed", 5),
      // Not a release record: another Secret of the namespace.
      { apiVersion: "v1", kind: "Secret", metadata: { name: "db-password", namespace: "team-a" }, data: {} },
    ]);
    const source = await LiveSource.fromKubeconfig({
      kubeconfig: api.writeKubeconfig(tmpdir(), "team-a"),
      env: {},
    });
    w = new RecordWatch(
      source.kubeConfig,
      "team-a",
      "secrets",
      {
        synced: (r) => syncs.push(r),
        changed: (type, r) => events.push({ type, r }),
      },
      Date.now,
      { baseMs: 20, maxMs: 100 },
    );
    await w.start();
  });
  afterAll(() => w?.close());

  it("lists the records' metadata once and watches from the list's resourceVersion", async () => {
    expect(syncs).toHaveLength(1);
    expect(syncs[0]!.map((r) => `${r.release}.v${r.revision}:${r.status}`).sort()).toEqual([
      "shop.v1:superseded",
      "shop.v2:deployed",
    ]);
    expect(syncs[0]![0]!.labelledAt).toBeGreaterThan(0);
    await watching(1);
    const [list] = api.requestsMatching({ verb: "list", resource: "secrets", namespace: "team-a" });
    expect(list!.metadataOnly).toBe(true);
    expect(list!.query.labelSelector).toBe("owner=helm");
    const watch = watchRequests()[0]!;
    expect(watch.metadataOnly).toBe(true);
    expect(watch.query.resourceVersion).toBe(w.resourceVersion);
  });

  it("passes on changes with the time it saw them", async () => {
    const before = Date.now();
    api.seed(shop.revision("pending-upgrade", 10));
    const e = await eventually(() => events.find((v) => v.r.revision === 3));
    expect(e.type).toBe("ADDED");
    expect(e.r.status).toBe("pending-upgrade");
    expect(e.r.observedAt).toBeGreaterThanOrEqual(before);
  });

  it("resumes a dropped watch from the last resourceVersion: changes made meanwhile arrive, nothing is relisted", async () => {
    const last = w.resourceVersion;
    expect(api.endWatches()).toBe(1);
    // Helm finishes the upgrade while the watch is down.
    replaceObject(api, shop.set(3, "failed", 'Upgrade "shop" failed: timed out'));
    await eventually(() =>
      events.some((v) => v.r.revision === 3 && v.r.status === "failed") ? true : undefined,
    );
    await watching(2);
    expect(watchRequests()[1]!.query.resourceVersion).toBe(last);
    expect(w.stats.lists).toBe(1);
    expect(syncs).toHaveLength(1);
  });

  it("relists when its resourceVersion is too old (410 Expired)", async () => {
    // The watch is down (the API server answers 503) while a record is deleted and etcd compacts its history.
    const errors = w.stats.errors;
    const undo = api.failNext(1000, 503, { verb: "watch" });
    api.endWatches();
    api.delete({ kind: "Secret", namespace: "team-a", name: "sh.helm.release.v1.shop.v1" });
    api.compact();
    await eventually(() => (w.stats.errors > errors ? true : undefined));
    undo();
    await eventually(() => (syncs.length >= 2 ? true : undefined));
    expect(w.stats.expired).toBe(1);
    expect(w.stats.lists).toBe(2);
    expect(syncs[1]!.map((r) => `${r.release}.v${r.revision}:${r.status}`).sort()).toEqual([
      "shop.v2:deployed",
      "shop.v3:failed",
    ]);
  });

  it("passes on deletions", async () => {
    await eventually(() =>
      watchRequests().some((r) => r.status === 200 && r.query.resourceVersion === w.resourceVersion)
        ? true
        : undefined,
    );
    api.delete({ kind: "Secret", namespace: "team-a", name: "sh.helm.release.v1.shop.v2" });
    await eventually(() =>
      events.some((v) => v.type === "DELETED" && v.r.revision === 2) ? true : undefined,
    );
  });
});
