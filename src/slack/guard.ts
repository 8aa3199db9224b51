// Checks in front of the listeners that Bolt does not make:
// - a signed request timestamped more than 5 minutes from now in either direction is refused with 401 (Bolt's own
//   check refuses only old ones);
// - each request signature is accepted once within those 5 minutes: Redis remembers it (SET NX, one bounded call
//   after Bolt verified the signature), and a replay is answered without acting on it;
// - that same call tells the listeners, before they ack, whether Redis (the job queue) is reachable, so a command
//   gets one answer instead of "diagnosing…" followed by "cannot queue".
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyMiddlewareArgs, HTTPReceiver, Middleware } from "@slack/bolt";
import { type Log, withTimeout } from "../queue/redis.js";
import type { Store } from "../queue/store.js";

/** Slack's replay window: requests older or newer than this are refused, signatures are remembered this long. */
export const REQUEST_WINDOW_SECONDS = 5 * 60;

/** What the receiver hands to the middleware (Bolt puts it on `context`). */
export interface RequestProperties {
  slackSignature?: string;
  slackTimestamp?: string;
  [key: string]: unknown;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function requestProperties(req: IncomingMessage): RequestProperties {
  const sig = header(req, "x-slack-signature");
  const ts = header(req, "x-slack-request-timestamp");
  return { ...(sig ? { slackSignature: sig } : {}), ...(ts ? { slackTimestamp: ts } : {}) };
}

/** Refuse requests timestamped in the future before Bolt's receiver sees them (it checks only the past). */
export function refuseFutureRequests(receiver: HTTPReceiver, log: Log, now: () => number = Date.now): void {
  const inner = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    const ts = Number(header(req, "x-slack-request-timestamp"));
    if (req.method === "POST" && Number.isFinite(ts) && ts - now() / 1000 > REQUEST_WINDOW_SECONDS) {
      log.warn(`refused a request timestamped ${Math.round(ts - now() / 1000)} s in the future`);
      req.resume();
      res.writeHead(401);
      res.end();
      return;
    }
    return inner(req, res);
  };
}

/** Set on `context` by the middleware: false when Redis did not answer, so nothing can be queued. */
export const QUEUE_REACHABLE = "helmDoctorQueueReachable";

/**
 * Bolt global middleware: one bounded Redis call per request. HTTP requests: remember the signature (a replay is
 * acked without running any listener). Socket Mode commands (no signature; the socket authenticates): a PING.
 */
export function replayAndQueueCheck(
  store: Store,
  log: Log,
  timeoutMs: number,
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { context, next } = args;
    const sig = (context as RequestProperties).slackSignature;
    const ack = (args as { ack?: () => Promise<void> }).ack;
    if (sig === undefined && !("command" in args)) return next();
    try {
      const first = await withTimeout(
        sig === undefined
          ? store.ping(timeoutMs).then(() => true)
          : store.firstSighting(sig, REQUEST_WINDOW_SECONDS, timeoutMs),
        timeoutMs,
        `Redis did not answer within ${timeoutMs} ms`,
      );
      context[QUEUE_REACHABLE] = true;
      if (!first) {
        log.warn("ignored a replayed request (its signature was seen within the last 5 minutes)");
        await ack?.();
        return;
      }
    } catch (e) {
      log.warn(`request check: ${(e as Error).message}`);
      context[QUEUE_REACHABLE] = false;
    }
    await next();
  };
}
