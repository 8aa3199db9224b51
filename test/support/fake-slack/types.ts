/** One Web API request as the fake Slack saw and answered it (rate-limited and failed attempts included). */
export interface RecordedCall {
  /** Web API method, e.g. "chat.postMessage"; "files.upload-url" for the upload URL of files.uploadV2. */
  method: string;
  /** Parsed arguments; JSON-valued fields (blocks, attachments, view, files, metadata) decoded; token removed. */
  args: Record<string, unknown>;
  /** Token used (Authorization header, or `token` field of a form body), if any. */
  token: string | undefined;
  /** Request Content-Type header ("" when absent). */
  contentType: string;
  /** Date.now() when the request arrived. */
  time: number;
  /** HTTP status the fake answered with. */
  status: number;
  /** JSON body the fake answered with. */
  response: Record<string, unknown>;
  /** `response.ok === true`. */
  ok: boolean;
  /** Sequence number over all calls to this fake, from 1. */
  seq: number;
}

/** One POST to a response_url (what Bolt's `respond()` sends). */
export interface RecordedResponse {
  /** The `<id>` of `/response/<id>`. */
  id: string;
  /** Parsed JSON body (respond() sends JSON), or the form fields / payload for form bodies. */
  body: Record<string, unknown>;
  time: number;
  status: number;
  seq: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | undefined;
  attachments: unknown[] | undefined;
  thread_ts: string | undefined;
  metadata: unknown;
  user: string;
  bot_id: string;
  /** How often chat.update changed it. */
  updates: number;
  /** Every version, oldest first (the post, then each update). */
  history: Array<{ text: string; blocks: unknown[] | undefined; time: number }>;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text: string;
  blocks: unknown[] | undefined;
  thread_ts: string | undefined;
}

export interface StoredFile {
  id: string;
  filename: string;
  /** Length announced to files.getUploadURLExternal. */
  length: number;
  content: Buffer | undefined;
  title: string | undefined;
  channel_id: string | undefined;
  thread_ts: string | undefined;
  initial_comment: string | undefined;
  completed: boolean;
}

export interface ChannelInfo {
  id: string;
  name: string;
  is_private?: boolean;
  is_im?: boolean;
  is_member?: boolean;
  is_archived?: boolean;
  /** Extra fields merged into conversations.info's `channel`. */
  extra?: Record<string, unknown>;
}

export interface UserInfo {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  is_admin?: boolean;
  is_bot?: boolean;
  deleted?: boolean;
  tz?: string;
  /** Extra fields merged into users.info's `user`. */
  extra?: Record<string, unknown>;
}

export interface FailOptions {
  /** How many calls fail (default 1; Number.POSITIVE_INFINITY for "until cleared"). */
  times?: number;
  /** HTTP status (default 200, as Slack answers `ok:false` errors). Non-200 makes WebClient retry. */
  status?: number;
  /** Extra fields merged into the `{ok:false, error}` body. */
  extra?: Record<string, unknown>;
  /** Only calls whose arguments match fail (and count towards `times`); default every call. */
  match?: (args: Record<string, unknown>) => boolean;
}

/** Custom method handler: return the JSON body (include `ok`). */
export type MethodHandler = (
  args: Record<string, unknown>,
  call: Pick<RecordedCall, "method" | "token" | "time">,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface FakeSlackOptions {
  /** Accepted bot token (default "xoxb-fake-slack-token"). */
  token?: string;
  /** More accepted tokens (user tokens, a second workspace…). */
  extraTokens?: string[];
  teamId?: string;
  teamName?: string;
  teamDomain?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  /** Seconds part of the first message ts (default 1700000000). */
  tsBase?: number;
  /** Only registered channels/users exist (default false: any well-formed C…/G…/U…/W… id is auto-created). */
  strict?: boolean;
  /** trigger_id lifetime for views.open/push (default 3000 ms; Slack's is 3 s). Only for ids made by slack-request.ts. */
  triggerTtlMs?: number;
  /** Uses per response_url (default 5, Slack's limit). */
  responseUrlMaxUses?: number;
}
