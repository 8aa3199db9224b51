// Logs and metrics of `helm-doctor serve` and `helm-doctor worker`: the pino logger handed to Bolt and the
// workers, the HTTP and job observers, queue depth, and for the worker (which has no Slack endpoint) a small
// server with /healthz, /readyz and /metrics on PORT. Closed on SIGTERM/SIGINT with the rest of the process.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Writable } from "node:stream";
import type { Logger as BoltLogger } from "@slack/bolt";
import { Queue } from "bullmq";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { closeConnection, type Log, producerConnection } from "../queue/redis.js";
import { QUEUES } from "../queue/schemas.js";
import { createLogger, toBoltLogger, toLog } from "./log.js";
import {
  metricsText,
  observeDiagnoseWorker,
  observeHttp,
  observeQueueDepth,
  observeRemediateWorker,
  observeWatchForbidden,
  type WatchForbidden,
  type WorkerLike,
} from "./metrics.js";
import { NotReadyError } from "./ready.js";

export interface Observability {
  logger: Logger;
  log: Log;
  boltLogger: BoltLogger;
  /** Count the jobs of these workers (diagnoses, remediations, waiting time). */
  watchWorkers(h: { worker: unknown; remediateWorker: unknown }): void;
  /** Report the release-record reads this watcher is refused (helm_doctor_watch_forbidden). */
  watchWatcher(w: { forbidden(): WatchForbidden[] }): void;
  /** /healthz, /readyz (ready() resolves) and /metrics on `port`; the port actually used. */
  serveOps(port: number, ready: () => Promise<unknown>): Promise<number | undefined>;
  close(): Promise<void>;
}

export function observability(
  mode: "serve" | "worker" | "watch",
  config: Config,
  env: NodeJS.ProcessEnv,
  o: { destination?: Writable; isTTY?: boolean; handleSignals?: boolean } = {},
): Observability {
  const logger = createLogger({ env, name: mode, ...o });
  const log = toLog(logger);
  observeHttp();
  const connection = producerConnection(config.redisUrl, log, "metrics");
  const queues = Object.values(QUEUES).map(
    (name) => new Queue(name, { connection, prefix: config.queuePrefix }),
  );
  for (const q of queues) q.on("error", () => {}); // reported by the connection's own error log
  observeQueueDepth(queues);
  let server: Server | undefined;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      server?.closeAllConnections();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      await Promise.allSettled(queues.map((q) => q.close()));
      await closeConnection(connection);
    })();
    return closed;
  };
  if (o.handleSignals !== false) {
    process.once("SIGTERM", () => void close());
    process.once("SIGINT", () => void close());
  }
  return {
    logger,
    log,
    boltLogger: toBoltLogger(logger),
    watchWorkers(h) {
      observeDiagnoseWorker(h.worker as WorkerLike);
      observeRemediateWorker(h.remediateWorker as WorkerLike);
    },
    watchWatcher(w) {
      observeWatchForbidden(() => w.forbidden());
    },
    async serveOps(port, ready) {
      const s = createServer((req, res) => {
        const path = (req.url ?? "").split("?")[0];
        const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
          res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
          res.end(body);
        };
        if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
        if (path === "/healthz") return send(200, "ok\n");
        if (path === "/readyz")
          return void ready().then(
            () => send(200, "ready\n"),
            // A NotReadyError says itself what is wrong (a watch refused by RBAC); anything else is Redis.
            (e: unknown) =>
              send(
                503,
                e instanceof NotReadyError
                  ? `${(e as Error).message}\n`
                  : `redis unreachable: ${(e as Error).message}\n`,
              ),
          );
        if (path === "/metrics")
          return void metricsText().then(
            (m) => send(200, m.body, m.contentType),
            (e: unknown) => send(500, `${(e as Error).message}\n`),
          );
        send(404, "not found\n");
      });
      try {
        await new Promise<void>((resolve, reject) => {
          s.once("error", reject);
          s.listen(port, () => resolve());
        });
      } catch (e) {
        log.warn(
          `/healthz, /readyz and /metrics are not served: port ${port}: ${(e as Error).message}; set PORT`,
        );
        return undefined;
      }
      server = s;
      return (s.address() as AddressInfo).port;
    },
    close,
  };
}
