// Build and send requests the way Slack sends them to an app's Request URL, signed with the signing secret:
// X-Slack-Request-Timestamp: <unix seconds>, X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:<ts>:<raw body>")).
// Bolt compares Content-Type with "application/x-www-form-urlencoded" exactly: no charset suffix here.

import { createHmac, randomBytes, randomInt } from "node:crypto";
import { request as httpRequest } from "node:http";
import { stringify } from "node:querystring";

export const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";

/** Defaults for the workspace, user and channel in built payloads. */
export const SLACK_DEFAULTS = {
  teamId: "T0FAKE0001",
  teamDomain: "helm-doctor-test",
  apiAppId: "A0APP00001",
  userId: "U0ANA00001",
  userName: "ana",
  channelId: "C0HELMOPS1",
  channelName: "helm-ops",
  /** Where `respond()` goes when a test gives no response_url: a closed port, so it fails fast, never leaves the host. */
  responseUrl: "http://127.0.0.1:1/response/unset",
} as const;

export interface SignOptions {
  signingSecret: string;
  /** Unix seconds to sign with (default now). */
  timestamp?: number;
  /**
   * Sign with a timestamp this many seconds in the past (true = 600 s). Bolt rejects anything older than 5 min;
   * it does not reject timestamps in the future.
   */
  stale?: boolean | number;
  /** Send a well-formed signature computed with the wrong secret. */
  badSignature?: boolean;
  /** Send no X-Slack-Signature / X-Slack-Request-Timestamp headers at all. */
  unsigned?: boolean;
}

export interface SendOptions extends SignOptions {
  /** Bolt's endpoint, e.g. "http://127.0.0.1:PORT/slack/events". */
  url: string;
  /** Extra headers, e.g. { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" }. */
  headers?: Record<string, string>;
  /** Abort the request after this long (default 10 000 ms). */
  timeoutMs?: number;
}

export interface SlackHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Response body as text ("" for Bolt's bare ack). */
  body: string;
  /** Milliseconds from sending the request to the end of the response. */
  elapsedMs: number;
  /** The raw body that was signed and sent. */
  sentBody: string;
  /** JSON.parse(body), or undefined when empty / not JSON. */
  json(): unknown;
}

/** Slack's signature header value for a body: "v0=" + hex HMAC-SHA256 of "v0:{ts}:{body}". */
export function slackSignature(signingSecret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
}

/** The two signing headers for a raw body. */
export function signingHeaders(rawBody: string, opts: SignOptions): Record<string, string> {
  if (opts.unsigned) return {};
  const now = Math.floor(Date.now() / 1000);
  const staleBy = opts.stale === true ? 600 : typeof opts.stale === "number" ? opts.stale : 0;
  const ts = (opts.timestamp ?? now) - staleBy;
  const secret = opts.badSignature ? `${opts.signingSecret}-wrong` : opts.signingSecret;
  return {
    "x-slack-request-timestamp": String(ts),
    "x-slack-signature": slackSignature(secret, ts, rawBody),
  };
}

/**
 * A trigger_id shaped like Slack's ("<digits>.<digits>.<hex>"); its first part is the issue time in epoch ms,
 * which the fake Slack uses to answer `expired_trigger_id` after 3 s.
 */
export function makeTriggerId(issuedAtMs = Date.now()): string {
  return `${issuedAtMs}.${randomInt(100_000_000, 999_999_999)}.${randomBytes(10).toString("hex")}`;
}

/** POST a raw body, signed, and collect status, headers, body and elapsed time. */
export function sendSigned(
  opts: SendOptions,
  rawBody: string,
  contentType = FORM_CONTENT_TYPE,
): Promise<SlackHttpResponse> {
  const url = new URL(opts.url);
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": Buffer.byteLength(rawBody),
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    connection: "close",
    ...signingHeaders(rawBody, opts),
    ...opts.headers,
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers,
        agent: false,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            elapsedMs: performance.now() - started,
            sentBody: rawBody,
            json: () => {
              try {
                return body === "" ? undefined : JSON.parse(body);
              } catch {
                return undefined;
              }
            },
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`Slack request to ${opts.url} timed out`)));
    req.on("error", reject);
    req.end(rawBody);
  });
}

// ---------------------------------------------------------------- slash commands

export interface SlashCommandFields {
  /** Default "/helm-doctor". */
  command?: string;
  text?: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  teamDomain?: string;
  /** Default {@link SLACK_DEFAULTS.responseUrl}; use `fake.responseUrl(id)` to record respond(). */
  responseUrl?: string;
  /** Default a fresh {@link makeTriggerId}. */
  triggerId?: string;
  apiAppId?: string;
  /** More form fields (enterprise_id, is_enterprise_install…). */
  extra?: Record<string, string>;
}

/** The form fields Slack posts for a slash command, in Slack's order. */
export function slashCommandFields(f: SlashCommandFields = {}): Record<string, string> {
  const d = SLACK_DEFAULTS;
  return {
    token: "deprecated-verification-token",
    team_id: f.teamId ?? d.teamId,
    team_domain: f.teamDomain ?? d.teamDomain,
    channel_id: f.channelId ?? d.channelId,
    channel_name: f.channelName ?? d.channelName,
    user_id: f.userId ?? d.userId,
    user_name: f.userName ?? d.userName,
    command: f.command ?? "/helm-doctor",
    text: f.text ?? "",
    api_app_id: f.apiAppId ?? d.apiAppId,
    is_enterprise_install: "false",
    response_url: f.responseUrl ?? d.responseUrl,
    trigger_id: f.triggerId ?? makeTriggerId(),
    ...f.extra,
  };
}

/** Send a signed slash command (application/x-www-form-urlencoded). */
export function sendSlashCommand(opts: SendOptions & SlashCommandFields): Promise<SlackHttpResponse> {
  return sendSigned(opts, stringify(slashCommandFields(opts)));
}

// ---------------------------------------------------------------- interactions

export interface BlockActionInput {
  action_id: string;
  block_id?: string;
  value?: string;
  /** Default "button". */
  type?: string;
  /** Button label (default: the action_id). */
  text?: string;
}

export interface BlockActionsFields {
  actions: BlockActionInput[];
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  teamDomain?: string;
  /** ts of the message holding the buttons (default "1700000000.000100", the fake Slack's first ts). */
  messageTs?: string;
  /** The message's blocks and text, as Slack echoes them back. */
  messageBlocks?: unknown[];
  messageText?: string;
  threadTs?: string;
  responseUrl?: string;
  triggerId?: string;
  apiAppId?: string;
  /** Merged into the payload last. */
  extra?: Record<string, unknown>;
}

function actionTs(): string {
  const ms = Date.now();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + randomInt(0, 1000)).padStart(6, "0")}`;
}

/** The `payload` object of a block_actions interaction on a channel message. */
export function blockActionsPayload(f: BlockActionsFields): Record<string, unknown> {
  const d = SLACK_DEFAULTS;
  const teamId = f.teamId ?? d.teamId;
  const channelId = f.channelId ?? d.channelId;
  const messageTs = f.messageTs ?? "1700000000.000100";
  const userId = f.userId ?? d.userId;
  const userName = f.userName ?? d.userName;
  return {
    type: "block_actions",
    user: { id: userId, username: userName, name: userName, team_id: teamId },
    api_app_id: f.apiAppId ?? d.apiAppId,
    token: "deprecated-verification-token",
    container: { type: "message", message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: f.triggerId ?? makeTriggerId(),
    team: { id: teamId, domain: f.teamDomain ?? d.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: f.channelName ?? d.channelName },
    message: {
      type: "message",
      user: "U0BOT00001",
      bot_id: "B0BOT00001",
      app_id: f.apiAppId ?? d.apiAppId,
      text: f.messageText ?? "",
      blocks: f.messageBlocks ?? [],
      team: teamId,
      ts: messageTs,
      ...(f.threadTs !== undefined ? { thread_ts: f.threadTs } : {}),
    },
    state: { values: {} },
    response_url: f.responseUrl ?? d.responseUrl,
    actions: f.actions.map((a) => ({
      action_id: a.action_id,
      block_id: a.block_id ?? "actions",
      text: { type: "plain_text", text: a.text ?? a.action_id, emoji: true },
      ...(a.value !== undefined ? { value: a.value } : {}),
      type: a.type ?? "button",
      action_ts: actionTs(),
    })),
    ...f.extra,
  };
}

/** Send a signed block_actions interaction (form field `payload=<JSON>`). */
export function sendBlockAction(opts: SendOptions & BlockActionsFields): Promise<SlackHttpResponse> {
  return sendSigned(opts, stringify({ payload: JSON.stringify(blockActionsPayload(opts)) }));
}

export interface ViewSubmissionFields {
  callbackId: string;
  /** view.state.values: { [block_id]: { [action_id]: { type, value | selected_option … } } }. */
  values?: Record<string, Record<string, Record<string, unknown>>>;
  privateMetadata?: string;
  viewId?: string;
  /** The modal's blocks as it was opened. */
  blocks?: unknown[];
  title?: string;
  userId?: string;
  userName?: string;
  teamId?: string;
  teamDomain?: string;
  triggerId?: string;
  apiAppId?: string;
  /** `response_urls` (only when the modal has response_url_enabled inputs). */
  responseUrls?: Array<{ block_id: string; action_id: string; channel_id: string; response_url: string }>;
  extra?: Record<string, unknown>;
}

/** The `payload` object of a view_submission. */
export function viewSubmissionPayload(f: ViewSubmissionFields): Record<string, unknown> {
  const d = SLACK_DEFAULTS;
  const teamId = f.teamId ?? d.teamId;
  const userName = f.userName ?? d.userName;
  const viewId = f.viewId ?? "V0VIEW00001";
  const appId = f.apiAppId ?? d.apiAppId;
  return {
    type: "view_submission",
    team: { id: teamId, domain: f.teamDomain ?? d.teamDomain },
    user: { id: f.userId ?? d.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: appId,
    token: "deprecated-verification-token",
    trigger_id: f.triggerId ?? makeTriggerId(),
    view: {
      id: viewId,
      team_id: teamId,
      type: "modal",
      blocks: f.blocks ?? [],
      private_metadata: f.privateMetadata ?? "",
      callback_id: f.callbackId,
      state: { values: f.values ?? {} },
      hash: `${Math.floor(Date.now() / 1000)}.abcdEFGH`,
      title: { type: "plain_text", text: f.title ?? "helm-doctor", emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: { type: "plain_text", text: "Cancel", emoji: true },
      submit: { type: "plain_text", text: "Confirm", emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: appId,
      external_id: "",
      app_installed_team_id: teamId,
      bot_id: "B0BOT00001",
    },
    response_urls: f.responseUrls ?? [],
    is_enterprise_install: false,
    enterprise: null,
    ...f.extra,
  };
}

/** Send a signed view_submission (form field `payload=<JSON>`). */
export function sendViewSubmission(opts: SendOptions & ViewSubmissionFields): Promise<SlackHttpResponse> {
  return sendSigned(opts, stringify({ payload: JSON.stringify(viewSubmissionPayload(opts)) }));
}

export interface MessageShortcutFields {
  /** The shortcut's callback id (the manifest's `callback_id`). */
  callbackId: string;
  /** The message the shortcut was used on, as Slack sends it (text, attachments, blocks, bot_id …). */
  message: Record<string, unknown> & { ts: string };
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  teamDomain?: string;
  /** Default {@link SLACK_DEFAULTS.responseUrl}; use `fake.responseUrl(id)` to record respond(). */
  responseUrl?: string;
  triggerId?: string;
  extra?: Record<string, unknown>;
}

/** The `payload` object of a message shortcut (`message_action`) on a message in a channel. */
export function messageShortcutPayload(f: MessageShortcutFields): Record<string, unknown> {
  const d = SLACK_DEFAULTS;
  const teamId = f.teamId ?? d.teamId;
  const userName = f.userName ?? d.userName;
  return {
    type: "message_action",
    token: "deprecated-verification-token",
    action_ts: actionTs(),
    team: { id: teamId, domain: f.teamDomain ?? d.teamDomain },
    user: { id: f.userId ?? d.userId, username: userName, name: userName, team_id: teamId },
    channel: { id: f.channelId ?? d.channelId, name: f.channelName ?? d.channelName },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: f.callbackId,
    trigger_id: f.triggerId ?? makeTriggerId(),
    response_url: f.responseUrl ?? d.responseUrl,
    message_ts: f.message.ts,
    message: { type: "message", ...f.message },
    ...f.extra,
  };
}

/** Send a signed message shortcut (form field `payload=<JSON>`). */
export function sendMessageShortcut(opts: SendOptions & MessageShortcutFields): Promise<SlackHttpResponse> {
  return sendSigned(opts, stringify({ payload: JSON.stringify(messageShortcutPayload(opts)) }));
}

/** Send a signed Events API envelope (application/json), e.g. { type: "event_callback", event: {...} }. */
export function sendEvent(opts: SendOptions & { body: Record<string, unknown> }): Promise<SlackHttpResponse> {
  return sendSigned(opts, JSON.stringify(opts.body), "application/json");
}
