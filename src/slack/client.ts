// The one way out to Slack. Every Web API call (chat.postMessage / update / postEphemeral, views.*, the
// directory reads) and every response_url post goes through one fetch: Bolt 5 hands `clientOptions.fetch` to its
// WebClients and to `respond()`, the worker and the watch agent make their WebClient here. That fetch redacts
// the request body with the process's secrets (src/report/redact.ts) before it is sent, so no call site has to
// remember to redact, and a message added later cannot forget to. In HTTP mode the acks (the answers to Slack's
// own requests, written by Bolt's receiver) are redacted too.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type HTTPReceiver, webApi } from "@slack/bolt";
import type { Config } from "../config.js";
import { secretsOf } from "../observability/log.js";
import { slackFetch } from "../observability/metrics.js";
import { SLACK_RETRY_CONFIG } from "../queue/delivery.js";
import { secrets } from "../report/redact.js";

type Fetch = typeof globalThis.fetch;

/** Request fields that address a call rather than carry words (ids, timestamps, paging): sent as they are. */
const ROUTING = new Set([
  "channel",
  "ts",
  "thread_ts",
  "user",
  "users",
  "trigger_id",
  "view_id",
  "external_id",
  "hash",
  "usergroup",
  "cursor",
  "limit",
  "token",
  "response_type",
  "replace_original",
  "delete_original",
]);

/** The configured secrets (Slack tokens, signing secret, Redis password): never in a message or a log line. */
export function configSecrets(config: Config): string[] {
  return secretsOf({
    SLACK_BOT_TOKEN: config.slack.botToken,
    SLACK_SIGNING_SECRET: config.slack.signingSecret,
    SLACK_APP_TOKEN: config.slack.appToken,
    REDIS_URL: config.redisUrl,
  });
}

function redactField(key: string, value: string): string {
  if (ROUTING.has(key)) return value;
  // Block Kit, views, attachments and metadata travel as JSON strings in a form body.
  if (value.startsWith("[") || value.startsWith("{")) {
    try {
      return JSON.stringify(secrets.deep(JSON.parse(value) as unknown));
    } catch {
      // not JSON after all: plain text
    }
  }
  return secrets.text(value);
}

/** A request body with its words redacted: a form (Web API) or JSON (Web API, response_url). */
export function redactBody(body: string, contentType: string): string {
  if (contentType.includes("application/json")) {
    try {
      const o = JSON.parse(body) as Record<string, unknown>;
      if (o && typeof o === "object" && !Array.isArray(o)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(o)) out[k] = ROUTING.has(k) ? v : secrets.deep(v);
        return JSON.stringify(out);
      }
      return JSON.stringify(secrets.deep(o));
    } catch {
      return secrets.text(body);
    }
  }
  if (!contentType.includes("x-www-form-urlencoded")) return secrets.text(body);
  const form = new URLSearchParams(body);
  const out = new URLSearchParams();
  for (const [k, v] of form) out.append(k, redactField(k, v));
  return out.toString();
}

function contentTypeOf(headers: RequestInit["headers"]): string {
  if (!headers) return "";
  return (new Headers(headers).get("content-type") ?? "").toLowerCase();
}

/** A fetch that redacts each request body (string bodies; Slack's Web API and response_urls send those). */
export function redactingFetch(inner: Fetch = globalThis.fetch): Fetch {
  return (input, init) => {
    if (typeof init?.body !== "string") return inner(input, init);
    return inner(input, { ...init, body: redactBody(init.body, contentTypeOf(init.headers)) });
  };
}

/**
 * HTTP mode: the answer to Slack's own request (the ack: a notice, a refusal, a form's errors) is sent by Bolt's
 * receiver, not through a WebClient; it passes the same redaction.
 */
export function redactAcks(receiver: HTTPReceiver): void {
  const inner = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "POST") {
      const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        const body =
          typeof chunk === "string" && chunk !== ""
            ? redactBody(chunk, String(res.getHeader("content-type") ?? "text/plain"))
            : chunk;
        return end(body, ...rest);
      }) as typeof res.end;
    }
    return inner(req, res);
  };
}

/** WebClient options of every helm-doctor Slack client (Bolt's included): the redacting, counting fetch. */
export function slackClientOptions(
  config: Config,
  retryConfig: Record<string, unknown> = SLACK_RETRY_CONFIG,
) {
  secrets.learn(configSecrets(config), { pinned: true });
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig,
    fetch: redactingFetch(slackFetch()),
  };
}

/** A WebClient for the bot token whose every call goes out through the redacting fetch. */
export function slackWebClient(config: Config): webApi.WebClient {
  return new webApi.WebClient(config.slack.botToken, slackClientOptions(config));
}
