// Start helm-doctor's Slack front end + embedded worker against a FakeSlack and a test Redis, with a
// BundleSource as the snapshot source (the lead wires LiveSource later).
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "@slack/bolt";
import { BundleSource } from "../../src/cluster/bundle.js";
import { LiveSource } from "../../src/cluster/live.js";
import type { SnapshotSource } from "../../src/cluster/source.js";
import type { SourceSpec } from "../../src/cluster/source-spec.js";
import { loadConfig } from "../../src/config.js";
import type { MakeWorker } from "../../src/queue/embedded.js";
import type { SourceFactory, WorkerTuning } from "../../src/queue/worker.js";
import type { Policy } from "../../src/slack/policy.js";
import { type ServeHandle, startServe } from "../../src/slack/serve.js";
import { type FakeApiServer, startFakeApiServer } from "./fake-apiserver/index.js";
import { FAST_RETRY, type FakeSlack, MemoryLogger } from "./fake-slack/index.js";
import { cleanPrefix, uniquePrefix } from "./redis.js";
import { sendSlashCommand } from "./slack-request.js";

export const FOUNDING_BUNDLE = fileURLToPath(new URL("../fixtures/founding-case.json", import.meta.url));
const BUILT_THREAD = fileURLToPath(new URL("../../dist/worker-thread.js", import.meta.url));
const SOURCES = fileURLToPath(new URL("../../src/", import.meta.url));

/** Whether dist/ was built after the last change to src/ (`npm run check` builds it before the tests run). */
function builtIsCurrent(): boolean {
  if (!existsSync(BUILT_THREAD)) return false;
  const built = statSync(BUILT_THREAD).mtimeMs;
  return readdirSync(SOURCES, { recursive: true, encoding: "utf8" }).every(
    (f) => statSync(join(SOURCES, f)).mtimeMs <= built,
  );
}

/**
 * serve's worker thread: the built dist/worker-thread.js, as the built CLI starts it, when it is current; else
 * from the TypeScript sources through tsx (which compiles them inside the thread: seconds on a loaded machine).
 */
const sourceThread: MakeWorker = (data) =>
  builtIsCurrent()
    ? new Worker(BUILT_THREAD, { workerData: data })
    : new Worker(
        `import("tsx/esm/api").then((tsx) => tsx.register()).then(() => import(${JSON.stringify(
          new URL("../../src/queue/worker-thread.ts", import.meta.url).href,
        )}));`,
        { eval: true, workerData: data },
      );

export const SIGNING_SECRET = "test-signing-secret-0123456789abcdef";

/** A source factory over a bundle file that counts loads (one load = one diagnosis run). */
export function countingBundleFactory(
  file = FOUNDING_BUNDLE,
): SourceFactory & { loads: number; lists: number } {
  const counter = { loads: 0, lists: 0 };
  const factory = (async () => {
    const inner = new BundleSource(file);
    const source: SnapshotSource = {
      describe: () => inner.describe(),
      releases: (ns) => {
        counter.lists++;
        return inner.releases(ns);
      },
      load: (release, ns, now) => {
        counter.loads++;
        return inner.load(release, ns, now);
      },
    };
    return source;
  }) as unknown as SourceFactory & { loads: number; lists: number };
  Object.defineProperty(factory, "loads", { get: () => counter.loads });
  Object.defineProperty(factory, "lists", { get: () => counter.lists });
  return factory;
}

/**
 * A source factory reading the fake API server through client-node, as a live worker reads a cluster (a
 * kubeconfig for it, short retries).
 */
export function fakeClusterFactory(api: FakeApiServer, kubeconfig?: string): SourceFactory {
  const file = kubeconfig ?? api.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-cluster-")));
  return () =>
    LiveSource.fromKubeconfig({ kubeconfig: file, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 20 } });
}

export interface TestServe {
  handle: ServeHandle;
  logger: MemoryLogger;
  prefix: string;
  /** http://127.0.0.1:PORT/slack/events */
  url: string;
  baseUrl: string;
  stop(): Promise<void>;
}

export interface TestServeOptions {
  fake: FakeSlack;
  /** Bolt's (and helm-doctor's) logger; default a MemoryLogger (TestServe.logger). */
  logger?: Logger;
  redisUrl: string;
  sourceFactory?: SourceFactory;
  policy?: Policy;
  env?: Record<string, string>;
  tuning?: WorkerTuning;
  embeddedWorker?: boolean;
  /** Run the embedded worker in a worker thread reading this source (as the CLI does) instead of sourceFactory. */
  workerThread?: SourceSpec;
  producer?: { timeoutMs?: number; attempts?: number; backoffMs?: number };
  lostJobCheckMs?: number;
}

/**
 * A fake API server seeded with `items`, and serve with its embedded worker diagnosing that cluster through
 * LiveSource (client-node over HTTP); `close` stops both.
 */
export async function startServeOnCluster(
  o: Omit<TestServeOptions, "sourceFactory"> & { items: unknown[] },
): Promise<{ api: FakeApiServer; serve: TestServe; close(): Promise<void> }> {
  const { items, ...serveOptions } = o;
  const api = await startFakeApiServer();
  api.seed(items as Parameters<FakeApiServer["seed"]>[0]);
  const serve = await startTestServe({ ...serveOptions, sourceFactory: fakeClusterFactory(api) }).catch(
    async (e: unknown) => {
      await api.close();
      throw e;
    },
  );
  return {
    api,
    serve,
    close: async () => {
      await serve.stop();
      await api.close();
    },
  };
}

export async function startTestServe(o: TestServeOptions): Promise<TestServe> {
  const prefix = uniquePrefix("serve");
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: o.fake.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: o.fake.apiUrl,
      PORT: "0",
      REDIS_URL: o.redisUrl,
      HELM_DOCTOR_QUEUE_PREFIX: prefix,
      ...o.env,
    },
    "serve",
  );
  const logger = new MemoryLogger();
  const handle = await startServe(config, {
    sourceFactory: o.sourceFactory ?? countingBundleFactory(),
    logger: o.logger ?? logger,
    handleSignals: false,
    retryConfig: FAST_RETRY,
    ...(o.policy ? { policy: o.policy } : {}),
    ...(o.embeddedWorker === false ? { embeddedWorker: false } : {}),
    ...(o.workerThread
      ? { workerThread: { source: o.workerThread, env: process.env, makeWorker: sourceThread } }
      : {}),
    tuning: { stalledInterval: 2000, lockDuration: 4000, ...o.tuning },
    producer: { backoffMs: 200, ...o.producer },
    ...(o.lostJobCheckMs ? { lostJobCheckMs: o.lostJobCheckMs } : {}),
  });
  const baseUrl = `http://127.0.0.1:${handle.port}`;
  return {
    handle,
    logger,
    prefix,
    url: `${baseUrl}/slack/events`,
    baseUrl,
    stop: async () => {
      await handle.close();
      await cleanPrefix(o.redisUrl, prefix);
    },
  };
}

/**
 * Send a signed `/helm-doctor <text>` from `channel` to `url` (acknowledged with 200) and wait for the channel
 * message it posts; resolves with that message's ts.
 */
export async function postCommand(
  fake: FakeSlack,
  url: string,
  text: string,
  channel: string,
  timeoutMs = 10_000,
  responseUrl?: string,
): Promise<string> {
  const res = await sendSlashCommand({
    url,
    signingSecret: SIGNING_SECRET,
    text,
    channelId: channel,
    ...(responseUrl ? { responseUrl } : {}),
  });
  if (res.status !== 200) throw new Error(`/helm-doctor ${text}: HTTP ${res.status}`);
  const posted = await fake.waitFor(
    (c) => c.method === "chat.postMessage" && c.ok && c.args.channel === channel,
    timeoutMs,
  );
  return String(posted.response.ts);
}

/** Poll until `check` returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every string inside a value (for scanning Slack calls). */
export function allText(v: unknown): string {
  return JSON.stringify(v);
}
