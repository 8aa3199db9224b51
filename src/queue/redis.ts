// Redis connections. BullMQ's ESM build cannot load ioredis by itself, so every queue and worker gets an
// ioredis instance from here:
// - producer connections fail fast while Redis is down (enableOfflineQueue: false, one retry per request), so a
//   slash command gets a clear answer instead of a Queue.add that waits for the reconnection;
// - worker connections wait (maxRetriesPerRequest: null, as BullMQ requires for blocking commands).
// Both reconnect forever with a short backoff, so the process recovers when Redis returns.
import { Redis } from "ioredis";
import { secrets } from "../report/redact.js";
import { withTimeout } from "../retry.js";

export interface Log {
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
}

/** An error's message (anything thrown: its text). */
export function errorText(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

/** The console, when no logger was given: its lines are redacted like pino's (src/observability/log.ts). */
const consoleLine = (m: unknown[]) =>
  secrets.text(m.map((x) => (x instanceof Error ? (x.stack ?? x.message) : String(x))).join(" "));
export const consoleLog: Log = {
  debug: () => {},
  info: (...m) => console.log(new Date().toISOString(), "[INFO]", consoleLine(m)),
  warn: (...m) => console.warn(new Date().toISOString(), "[WARN]", consoleLine(m)),
  error: (...m) => console.error(new Date().toISOString(), "[ERROR]", consoleLine(m)),
};

const retryStrategy = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);
/**
 * How long a dropped connection's socket may take to close before it is destroyed. ioredis waits for a `close`
 * that a socket whose connect was refused never emits again, so its default (2 s) held every shutdown while
 * Redis was down for that long.
 */
const DISCONNECT_TIMEOUT_MS = 100;

/** Log connection errors once per outage, not on every reconnect attempt. */
function watch(r: Redis, name: string, log: Log): Redis {
  let down = false;
  r.on("error", (e: Error) => {
    if (!down) log.warn(`redis (${name}): ${e.message}; reconnecting`);
    down = true;
  });
  r.on("ready", () => {
    if (down) log.info(`redis (${name}): connected again`);
    down = false;
  });
  return r;
}

export function producerConnection(url: string, log: Log, name = "producer"): Redis {
  return watch(
    new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
      retryStrategy,
      connectionName: `helm-doctor-${name}`,
    }),
    name,
    log,
  );
}

export function workerConnection(url: string, log: Log, name = "worker"): Redis {
  return watch(
    new Redis(url, {
      maxRetriesPerRequest: null,
      connectTimeout: 5000,
      disconnectTimeout: DISCONNECT_TIMEOUT_MS,
      retryStrategy,
      connectionName: `helm-doctor-${name}`,
    }),
    name,
    log,
  );
}

// Redis calls take the one timeout helper (a Redis command cannot be cancelled: it is no longer waited for).
export { withTimeout };

/** Close a connection: QUIT when connected, else drop it. */
export async function closeConnection(r: Redis): Promise<void> {
  if (r.status === "ready") {
    try {
      await withTimeout(r.quit(), 1000, "quit timed out");
      return;
    } catch {
      // fall through
    }
  }
  r.disconnect();
}
