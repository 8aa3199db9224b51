// `helm-doctor serve`: the Slack front end (Bolt over HTTP at /slack/events with signature verification, or
// Socket Mode when SLACK_APP_TOKEN is set), /healthz and /readyz on the same port, and an embedded worker
// (diagnoses, plans and remediations) — in a worker thread when started from the command line, so a burst of
// diagnoses never delays an ack. Without the embedded worker (`serve --no-worker`) it is the front end of many
// clusters: each cluster's agent (`worker`, `watch`) runs in that cluster and consumes its own queues; commands
// are queued per cluster (./clusters.ts). Stops cleanly on SIGTERM: Bolt, the worker, the queues and Redis
// connections.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { App, type CustomRoute, HTTPReceiver, type Logger, LogLevel } from "@slack/bolt";
import type { SourceSpec } from "../cluster/source-spec.js";
import type { Config } from "../config.js";
import { metricsText } from "../observability/metrics.js";
import { type MakeWorker, startWorkerThread, type WorkerThreadHandle } from "../queue/embedded.js";
import type { Producer } from "../queue/producer.js";
import { closeConnection, type Log, producerConnection, withTimeout } from "../queue/redis.js";
import { Store } from "../queue/store.js";
import { LostJobWatch } from "../queue/watch.js";
// The in-thread worker is loaded only when used: it brings the Kubernetes client, which the front end never needs.
import type { WorkerDeps, WorkerHandle, WorkerTuning } from "../queue/worker.js";
import { loadRoutes, type Routes } from "../watch/routes.js";
import { AckFirst, countUnanswered } from "./ack-first.js";
import { redactAcks, slackClientOptions } from "./client.js";
import { ClusterContext } from "./clusters.js";
import { refuseFutureRequests, replayAndQueueCheck, requestProperties } from "./guard.js";
import { registerHandlers } from "./handlers.js";
import { Authorizer, loadPolicy, type Policy, policyGroups, SlackDirectory } from "./policy.js";

export interface ServeDeps extends Omit<WorkerDeps, "slack" | "log" | "handleSignals" | "tuning"> {
  /** Bolt logger (also used for helm-doctor's own lines). Default: Bolt's console logger. */
  logger?: Logger;
  /** Already loaded policy; default: loaded from config.policyFile (an invalid file throws PolicyError). */
  policy?: Policy;
  /** Already loaded routing file (channels' default clusters); default: loaded from config.routesFile. */
  routes?: Routes;
  /** How long a read of the agents' heartbeats is reused (default 1000 ms). */
  agentsCacheMs?: number;
  /** Run a worker (diagnoses, plans, remediations) in this process (default true). */
  embeddedWorker?: boolean;
  /**
   * Run that worker in a worker thread reading snapshots from `source` (what the CLI does), so the Slack front
   * end's event loop never waits behind a diagnosis; without it, the worker runs in this thread with
   * `sourceFactory`, `writerFactory` and `now`.
   */
  /** `makeWorker`: how to start the thread when not from the build (tests running the TypeScript sources). */
  workerThread?: { source: SourceSpec; env: NodeJS.ProcessEnv; makeWorker?: MakeWorker };
  tuning?: WorkerTuning;
  /** Stop on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
  /** WebClient retry policy (default SLACK_RETRY_CONFIG). */
  retryConfig?: Record<string, unknown>;
  /** Producer options for tests and benchmarks. */
  producer?: { timeoutMs?: number; attempts?: number; backoffMs?: number };
  /** How often to look for jobs whose Redis data vanished (default 15 s). */
  lostJobCheckMs?: number;
}

export interface ServeHandle {
  app: App;
  /** The HTTP port (/slack/events in HTTP mode, /healthz and /readyz in both). */
  port: number;
  producer: Producer;
  store: Store;
  /** The embedded worker when it runs in this thread. */
  worker?: WorkerHandle;
  /** The embedded worker when it runs in a worker thread. */
  workerThread?: WorkerThreadHandle;
  close(): Promise<void>;
}

/** The one Redis call before an ack gives up after this long (Slack wants the ack within 3 s). */
const REQUEST_CHECK_TIMEOUT_MS = 1000;

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(`${body}\n`);
}

function healthRoutes(store: () => Store | undefined, isClosing: () => boolean): CustomRoute[] {
  return [
    {
      path: "/healthz",
      method: ["GET", "HEAD"],
      handler: (_req: IncomingMessage, res: ServerResponse) => text(res, 200, "ok"),
    },
    {
      path: "/readyz",
      method: ["GET", "HEAD"],
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        const st = store();
        if (isClosing() || !st) return text(res, 503, isClosing() ? "shutting down" : "starting");
        withTimeout(st.ping(), 1000, "no answer within 1 s").then(
          () => text(res, 200, "ready"),
          (e: unknown) => text(res, 503, `redis unreachable: ${(e as Error).message}`),
        );
      },
    },
    {
      path: "/metrics",
      method: ["GET"],
      handler: (_req: IncomingMessage, res: ServerResponse) =>
        void metricsText().then((m) => {
          res.writeHead(200, { "content-type": m.contentType, "cache-control": "no-store" });
          res.end(m.body);
        }),
    },
  ];
}

function logOf(logger: Logger): Log {
  return {
    debug: (...m) => logger.debug(...m),
    info: (...m) => logger.info(...m),
    warn: (...m) => logger.warn(...m),
    error: (...m) => logger.error(...m),
  };
}

/** Start the Slack front end and (by default) a worker in this process. */
export async function startServe(config: Config, deps: ServeDeps): Promise<ServeHandle> {
  const policy = deps.policy ?? (await loadPolicy(config.policyFile));
  // The routing file's `channels` give a channel's default cluster (an invalid file refuses to start).
  const routes = deps.routes ?? (await loadRoutes(config.routesFile, config.alertChannel));
  const socketMode = config.slack.appToken !== undefined;
  if (!socketMode && !config.slack.signingSecret) {
    throw new StartupError("SLACK_SIGNING_SECRET is required for the HTTP endpoint (or set SLACK_APP_TOKEN)");
  }

  let closing = false;
  let store: Store | undefined;
  // Every Web API call and response_url post of the app goes out through the redacting fetch.
  const clientOptions = slackClientOptions(config, deps.retryConfig);
  const customRoutes = healthRoutes(
    () => store,
    () => closing,
  );
  // HTTP mode: our own receiver, so the request guard can see the signature headers and refuse future timestamps.
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret!,
        customRoutes,
        processBeforeResponse: false,
        customPropertiesExtractor: requestProperties,
        ...(deps.logger ? { logger: deps.logger } : { logLevel: LogLevel.INFO }),
      });
  const app = new App({
    token: config.slack.botToken,
    ...(receiver
      ? { receiver }
      : { socketMode: true, appToken: config.slack.appToken, port: config.port, customRoutes }),
    deferInitialization: true,
    ...(deps.logger ? { logger: deps.logger } : { logLevel: LogLevel.INFO }),
    clientOptions,
  });
  const log = logOf(app.logger);
  const afterAck = new AckFirst();
  if (receiver) {
    refuseFutureRequests(receiver, log);
    countUnanswered(receiver, afterAck);
    redactAcks(receiver);
  }
  // A worker thread loads its own modules and connects on its own: started now, it gets ready while Bolt does.
  const threadStarting =
    deps.embeddedWorker !== false && deps.workerThread
      ? startWorkerThread(config, deps.workerThread.source, {
          log,
          env: deps.workerThread.env,
          ...(deps.workerThread.makeWorker ? { makeWorker: deps.workerThread.makeWorker } : {}),
          ...(deps.tuning ? { tuning: deps.tuning } : {}),
        })
      : undefined;
  threadStarting?.catch(() => {}); // awaited below
  const abandonThread = () => threadStarting?.then((t) => t.close()).catch(() => {});
  const redis = producerConnection(config.redisUrl, log);
  store = new Store(redis, config.queuePrefix, config.diagnosisTtlSeconds);
  try {
    await app.init();
  } catch (e) {
    await abandonThread();
    await closeConnection(redis);
    const code = (e as { data?: { error?: string } }).data?.error ?? (e as Error).message;
    throw new StartupError(`Slack did not accept SLACK_BOT_TOKEN (auth.test: ${code})`);
  }

  const clusters = new ClusterContext(redis, {
    prefix: config.queuePrefix,
    defaultCluster: config.cluster,
    channelClusters: routes.channelClusters,
    producer: { dedupWindowMs: config.dedupWindowMs, log, ...deps.producer },
    ...(deps.agentsCacheMs !== undefined ? { cacheMs: deps.agentsCacheMs } : {}),
    log,
  });
  // The front end's own cluster (HELM_DOCTOR_CLUSTER): its embedded worker consumes these queues.
  const producer = clusters.producer(config.cluster);
  app.use(replayAndQueueCheck(store, log, REQUEST_CHECK_TIMEOUT_MS));
  const watch = new LostJobWatch(producer.diagnose, store, app.client, log, {
    ...(deps.lostJobCheckMs ? { intervalMs: deps.lostJobCheckMs } : {}),
    ...(deps.tuning?.deliveryRetry ? { retry: deps.tuning.deliveryRetry } : {}),
  });
  watch.start();
  const directory = new SlackDirectory(app.client);
  directory.warm(policyGroups(policy)); // so that deciding never waits for Slack while a request waits for its ack
  const authorizer = new Authorizer(policy, directory);
  registerHandlers(app, {
    config,
    producer,
    clusters,
    store,
    authorizer,
    log,
    watch,
    afterAck,
    ...(deps.tuning?.deliveryRetry ? { deliveryRetry: deps.tuning.deliveryRetry } : {}),
  });
  app.error(async (e) => {
    log.error(`slack listener error: ${(e as Error).message}`);
  });

  let port = config.port;
  let server: Server | undefined;
  try {
    if (socketMode) {
      await app.start();
    } else {
      server = (await app.start(config.port)) as Server;
      port = (server.address() as AddressInfo).port;
    }
  } catch (e) {
    void watch.stop();
    await app.stop().catch(() => {});
    await abandonThread();
    await clusters.close();
    await closeConnection(redis);
    throw new StartupError(
      `cannot start the Slack ${socketMode ? "Socket Mode connection" : `HTTP receiver on port ${config.port}`}: ${(e as Error).message}`,
    );
  }
  log.info(
    `helm-doctor serve: ${socketMode ? "Socket Mode" : `HTTP on :${port}/slack/events`}, policy: ${policy.source}${deps.embeddedWorker === false ? ", front end only (no worker: each cluster's agent runs its jobs)" : ""}`,
  );

  let worker: WorkerHandle | undefined;
  let workerThread: WorkerThreadHandle | undefined;
  if (deps.embeddedWorker !== false) {
    try {
      if (threadStarting) workerThread = await threadStarting;
      else
        worker = await (await import("../queue/worker.js")).startWorker(config, {
          sourceFactory: deps.sourceFactory,
          ...(deps.writerFactory ? { writerFactory: deps.writerFactory } : {}),
          slack: app.client,
          log,
          handleSignals: false,
          ...(deps.now ? { now: deps.now } : {}),
          ...(deps.tuning ? { tuning: deps.tuning } : {}),
        });
    } catch (e) {
      void watch.stop();
      server?.closeAllConnections();
      await app.stop().catch(() => {});
      await clusters.close();
      await closeConnection(redis);
      throw e;
    }
  }

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      await withTimeout(watch.stop(), 2000, "lost-job watch").catch(() => {});
      server?.closeAllConnections();
      await app.stop().catch((e: unknown) => log.warn(`stopping Bolt: ${(e as Error).message}`));
      // Closes wait on Redis; with Redis unreachable they never end: bound them, then drop the connection.
      const bounded = (what: string, p: Promise<unknown>, ms: number) =>
        withTimeout(p, ms, `${what} did not close within ${ms} ms`).catch((e: unknown) =>
          log.warn((e as Error).message),
        );
      const embedded = worker ?? workerThread;
      if (embedded)
        await bounded(
          "the worker",
          embedded.close(),
          (deps.tuning?.shutdownGraceMs ?? config.shutdownGraceMs) + 5000,
        );
      await bounded("the job queues", clusters.close(), 2000);
      await closeConnection(redis);
      if (deps.handleSignals !== false) {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
    })();
    return closed;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    log.info(`${sig}: stopping helm-doctor serve`);
    void close().then(() => log.info("stopped"));
  };
  if (deps.handleSignals !== false) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return {
    app,
    port,
    producer,
    store: store!,
    ...(worker ? { worker } : {}),
    ...(workerThread ? { workerThread } : {}),
    close,
  };
}
