// An agent for one cluster in tests: a fake API server holding release records, a worker diagnosing through
// LiveSource (client-node over HTTP), and `helm-doctor watch` processes started on demand, all on a test Redis
// and a fake Slack. The clock of the watcher and the worker is the rig's (`clock.set`), so age-based triggers
// need no waiting.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webApi } from "@slack/bolt";
import { LiveSource } from "../../src/cluster/live.js";
import type { RecordResource } from "../../src/cluster/records-watch.js";
import { loadConfig } from "../../src/config.js";
import type { Log } from "../../src/queue/redis.js";
import { startWorker, type WorkerHandle } from "../../src/queue/worker.js";
import { defaultRoutes, type Routes } from "../../src/watch/routes.js";
import { Watcher, type WatcherTuning } from "../../src/watch/watcher.js";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver/index.js";
import { FAST_RETRY, type FakeSlack, type RecordedCall } from "./fake-slack/index.js";
import { quietLog } from "./log.js";
import type { RedisAndSlack } from "./redis-slack.js";
import { type Obj, Scenario } from "./scenario.js";
import { fakeClusterFactory } from "./slack-app.js";

export { quietLog };

export interface Clock {
  now(): Date;
  set(iso: string | number): void;
  advance(ms: number): void;
}

export function testClock(start: string): Clock {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    set: (v) => {
      t = typeof v === "number" ? v : Date.parse(v);
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Replace a stored object by a new version of it (a MODIFIED watch event), as Helm's driver Update does. */
export function replaceObject(api: FakeApiServer, obj: Obj): void {
  const ref = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
  api.update(ref, (cur: Obj) => {
    for (const k of Object.keys(cur)) if (k !== "metadata") delete cur[k];
    Object.assign(cur, { ...obj, metadata: { ...cur.metadata, labels: obj.metadata.labels } });
  });
}

export interface ClusterRig {
  name: string;
  api: FakeApiServer;
  kubeconfig: string;
  clock: Clock;
  worker?: WorkerHandle;
  env: Record<string, string>;
  startWorker(): Promise<WorkerHandle>;
  startWatcher(o?: {
    routes?: Routes;
    tuning?: WatcherTuning;
    log?: Log;
    resources?: RecordResource[];
  }): Promise<Watcher>;
  /** Replace a stored object by a new version of it (a MODIFIED watch event), as Helm's driver Update does. */
  replace(o: Obj): void;
  close(): Promise<void>;
}

export async function clusterRig(o: {
  cluster: string;
  redisUrl: string;
  prefix: string;
  fake: FakeSlack;
  clock: Clock;
  namespaces: string;
  alertChannel?: string;
  env?: Record<string, string>;
}): Promise<ClusterRig> {
  const api = await startFakeApiServer();
  const dir = mkdtempSync(join(tmpdir(), "hd-watch-"));
  const kubeconfig = api.writeKubeconfig(dir, "default");
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: o.fake.token,
    SLACK_API_URL: o.fake.apiUrl,
    REDIS_URL: o.redisUrl,
    HELM_DOCTOR_QUEUE_PREFIX: o.prefix,
    HELM_DOCTOR_CLUSTER: o.cluster,
    HELM_DOCTOR_WATCH_NAMESPACES: o.namespaces,
    HELM_DOCTOR_ALERT_CHANNEL: o.alertChannel ?? "C0ALERTS",
    HELM_DOCTOR_HEARTBEAT_SECONDS: "2",
    ...o.env,
  };
  const slack = () =>
    new webApi.WebClient(o.fake.token, { slackApiUrl: o.fake.apiUrl, retryConfig: FAST_RETRY });
  const watchers: Watcher[] = [];
  const workers: WorkerHandle[] = [];
  const rig: ClusterRig = {
    name: o.cluster,
    api,
    kubeconfig,
    clock: o.clock,
    env,
    async startWorker() {
      const config = loadConfig(env, "worker");
      const w = await startWorker(config, {
        sourceFactory: fakeClusterFactory(api, kubeconfig),
        slack: slack(),
        log: quietLog,
        handleSignals: false,
        now: o.clock.now,
        tuning: { updateIntervalMs: 10 },
      });
      workers.push(w);
      rig.worker ??= w;
      return w;
    },
    async startWatcher(opts = {}) {
      const config = loadConfig(env, "watch");
      const source = await LiveSource.fromKubeconfig({ kubeconfig, env: {} });
      const w = new Watcher(config, {
        kubeConfig: source.kubeConfig,
        routes: opts.routes ?? defaultRoutes(config.alertChannel),
        slack: slack(),
        log: opts.log ?? quietLog,
        ...(opts.resources ? { resources: opts.resources } : {}),
        now: o.clock.now,
        tuning: {
          leaseMs: 600,
          sweepMs: 200,
          deliveryRetry: { attempts: 2, baseMs: 10, maxMs: 20 },
          ...opts.tuning,
        },
      });
      watchers.push(w);
      await w.start();
      return w;
    },
    replace: (obj) => replaceObject(api, obj),
    async close() {
      for (const w of watchers) await w.close();
      for (const w of workers) await w.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

const configMap = (name: string, v: string): Obj => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name },
  data: { v },
});

/** A release whose chart is one ConfigMap; each revision changes its data. */
export function releaseHistory(name: string, namespace: string) {
  const s = new Scenario({ release: name, namespace, chart: "basic" });
  const tpl = (v: string) => [{ path: "templates/cm.yaml", object: configMap(`${name}-config`, v) }];
  return {
    s,
    /** Add a revision and return its record (the object Helm's driver writes). */
    revision(status: string, at: number, description?: string): Obj {
      const r = s.revision({ templates: tpl(String(s.releases.length + 1)), status, at, description });
      return s.records()[r.version - 1]!;
    },
    /** Set a stored revision's status (and description) and return its record, as Helm's Update writes it. */
    set(revision: number, status: string, description?: string): Obj {
      const r = s.releases[revision - 1]!;
      r.info.status = status;
      if (description !== undefined) r.info.description = description;
      return s.records()[revision - 1]!;
    },
    live(v: string): Obj {
      return s.owned({ ...configMap(`${name}-config`, v), metadata: { name: `${name}-config`, namespace } });
    },
  };
}

/**
 * A one-cluster ("default") rig for a watch test file's redis-server and fake Slack: the fake Slack emptied and the
 * watched namespaces (comma-separated) created.
 */
export async function watchRig(
  rs: RedisAndSlack,
  o: { prefix: string; clock: Clock; namespaces: string; alertChannel: string },
): Promise<ClusterRig> {
  rs.fake.reset();
  const rig = await clusterRig({ cluster: "default", redisUrl: rs.redis.url, fake: rs.fake, ...o });
  rig.api.seed(
    o.namespaces.split(",").map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })),
  );
  return rig;
}

/** A message posted in a channel, not a thread reply: in `channel` and naming `naming` in its text, when given. */
export function topLevelPost(o: { channel?: string; naming?: string } = {}): (c: RecordedCall) => boolean {
  return (c) =>
    c.method === "chat.postMessage" &&
    c.ok &&
    !c.args.thread_ts &&
    (o.channel === undefined || c.args.channel === o.channel) &&
    (o.naming === undefined || String(c.args.text).includes(o.naming));
}
