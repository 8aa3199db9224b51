import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";
import { validateBlocks, validateView } from "./block-kit.js";
import type {
  ChannelInfo,
  FailOptions,
  FakeSlackOptions,
  MethodHandler,
  RecordedCall,
  RecordedResponse,
  StoredEphemeral,
  StoredFile,
  StoredMessage,
  UserInfo,
} from "./types.js";

type Obj = Record<string, unknown>;
type Body = Obj;

/** Fields that @slack/web-api JSON-encodes inside a form body (and Slack decodes). */
const JSON_FIELDS = new Set([
  "blocks",
  "attachments",
  "view",
  "files",
  "metadata",
  "user_auth_blocks",
  "unfurls",
]);
const MESSAGE_TEXT_LIMIT = 40000;
const ID_RE = /^[A-Z0-9]{2,}$/;
/** trigger ids made by test/support/slack-request.ts: "<issued epoch ms>.<digits>.<hex>". */
const TEST_TRIGGER_RE = /^(\d{13})\.\d+\.[0-9a-f]+$/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const err = (error: string, extra: Obj = {}): Body => ({ ok: false, error, ...extra });

interface Injection {
  remaining: number;
  match?: ((args: Obj) => boolean) | undefined;
}
interface RateLimitInjection extends Injection {
  retryAfter: number;
}
interface FailInjection extends Injection {
  error: string;
  status: number;
  extra: Obj;
}
interface DelayInjection extends Injection {
  ms: number;
}

interface Parsed {
  args: Obj;
  /** Token carried in the body (form/query/multipart only: Slack ignores `token` in JSON bodies). */
  bodyToken: string | undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decodeFormFields(fields: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string" && JSON_FIELDS.has(k)) {
      try {
        out[k] = JSON.parse(v);
      } catch {
        out[k] = v; // left as a string: the method answers invalid_blocks_format / invalid_arguments
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

async function parseArgs(contentType: string, raw: Buffer, query: URLSearchParams): Promise<Parsed> {
  const fields: Obj = Object.fromEntries(query.entries());
  const ct = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (ct === "application/json") {
    const text = raw.toString("utf8");
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : {};
    if (!isObj(parsed)) throw new Error("JSON body is not an object");
    const bodyToken = str(fields.token);
    delete fields.token;
    const { token: _ignored, ...rest } = parsed;
    return { args: { ...fields, ...rest }, bodyToken };
  }
  if (ct === "multipart/form-data") {
    const form = await new Response(new Uint8Array(raw), {
      headers: { "content-type": contentType },
    }).formData();
    for (const [k, v] of form.entries()) {
      fields[k] = typeof v === "string" ? v : Buffer.from(await v.arrayBuffer());
    }
  } else if (raw.length > 0) {
    // application/x-www-form-urlencoded (what WebClient sends), or no content type at all
    for (const [k, v] of Object.entries(parseQuery(raw.toString("utf8")))) {
      fields[k] = Array.isArray(v) ? v[v.length - 1] : v;
    }
  }
  const bodyToken = str(fields.token);
  delete fields.token;
  return { args: decodeFormFields(fields), bodyToken };
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== "string") return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m?.[1];
}

/**
 * A fake Slack Web API on 127.0.0.1 that records every call and answers like Slack does.
 * Create it with {@link startFakeSlack}.
 */
export class FakeSlack {
  /** Every Web API request in arrival order (including 429s, auth failures and injected failures). */
  readonly calls: RecordedCall[] = [];
  /** Every POST to a response_url served by this fake. */
  readonly responses: RecordedResponse[] = [];
  readonly channels = new Map<string, ChannelInfo>();
  readonly users = new Map<string, UserInfo>();
  readonly usergroups = new Map<string, string[]>();
  /** Posted messages by `${channel}/${ts}`, current version (after chat.update). */
  readonly messages = new Map<string, StoredMessage>();
  readonly ephemerals: StoredEphemeral[] = [];
  readonly views = new Map<string, Obj>();
  readonly files = new Map<string, StoredFile>();

  readonly token: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;

  private readonly server: Server;
  private readonly events = new EventEmitter();
  private readonly tokens: Set<string>;
  private readonly opts: Required<Omit<FakeSlackOptions, "extraTokens">>;
  private readonly rateLimits = new Map<string, RateLimitInjection[]>();
  private readonly failures = new Map<string, FailInjection[]>();
  private readonly delays = new Map<string, DelayInjection[]>();
  private readonly handlers = new Map<string, MethodHandler>();
  private readonly responseUses = new Map<string, number>();
  private seq = 0;
  private tsCounter = 0;
  private idCounter = 0;
  private port = 0;

  constructor(opts: FakeSlackOptions = {}) {
    this.opts = {
      token: opts.token ?? "xoxb-fake-slack-token",
      teamId: opts.teamId ?? "T0FAKE0001",
      teamName: opts.teamName ?? "helm-doctor test",
      teamDomain: opts.teamDomain ?? "helm-doctor-test",
      botUserId: opts.botUserId ?? "U0BOT00001",
      botId: opts.botId ?? "B0BOT00001",
      appId: opts.appId ?? "A0APP00001",
      tsBase: opts.tsBase ?? 1700000000,
      strict: opts.strict ?? false,
      triggerTtlMs: opts.triggerTtlMs ?? 3000,
      responseUrlMaxUses: opts.responseUrlMaxUses ?? 5,
    };
    this.token = this.opts.token;
    this.teamId = this.opts.teamId;
    this.botUserId = this.opts.botUserId;
    this.botId = this.opts.botId;
    this.appId = this.opts.appId;
    this.tokens = new Set([this.token, ...(opts.extraTokens ?? [])]);
    this.events.setMaxListeners(0);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(e));
      });
    });
  }

  /** @internal */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** "http://127.0.0.1:PORT" */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** "http://127.0.0.1:PORT/api/": give it to WebClient / Bolt as `clientOptions.slackApiUrl`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** A response_url served by this fake; POSTs to it land in {@link responses}. */
  responseUrl(id: string): string {
    return `${this.baseUrl}/response/${encodeURIComponent(id)}`;
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Successful (`ok:true`) calls to a method. */
  okCallsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.ok);
  }

  responsesTo(id: string): RecordedResponse[] {
    return this.responses.filter((r) => r.id === id);
  }

  /** A posted message in its current state, or undefined. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(`${channel}/${ts}`);
  }

  /**
   * Resolve with the first call (already recorded or still to come) matching `predicate`, or a method name
   * (then the first *successful* call to it). Rejects after `timeoutMs` listing what was called.
   */
  waitFor(predicate: string | ((call: RecordedCall) => boolean), timeoutMs = 2000): Promise<RecordedCall> {
    const test =
      typeof predicate === "string" ? (c: RecordedCall) => c.method === predicate && c.ok : predicate;
    const what = typeof predicate === "string" ? `successful ${predicate} call` : "matching call";
    return this.waitOn("call", this.calls, test, timeoutMs, what, () =>
      this.calls.map((c) => `${c.method}:${c.status}:${String(c.response.error ?? "ok")}`).join(", "),
    );
  }

  /** Like {@link waitFor} for response_url posts; a string matches the response id. */
  waitForResponse(
    predicate: string | ((r: RecordedResponse) => boolean),
    timeoutMs = 2000,
  ): Promise<RecordedResponse> {
    const test = typeof predicate === "string" ? (r: RecordedResponse) => r.id === predicate : predicate;
    return this.waitOn("response", this.responses, test, timeoutMs, "response_url post", () =>
      this.responses.map((r) => r.id).join(", "),
    );
  }

  /**
   * The next `times` calls to `method` (those whose arguments `match`, when given) get HTTP 429,
   * `Retry-After: retryAfterSeconds`, `{ok:false,error:"ratelimited"}`.
   */
  rateLimit(
    method: string,
    times = 1,
    retryAfterSeconds = 1,
    match?: (args: Record<string, unknown>) => boolean,
  ): void {
    this.push(this.rateLimits, method, { remaining: times, retryAfter: retryAfterSeconds, match });
  }

  /**
   * The next call(s) to `method` answer `{ok:false, error}` (HTTP 200 like Slack, unless `status`).
   * `method` may be "response_url" (all response URLs) or "files.upload-url" (the upload URL).
   */
  fail(method: string, error: string, opts: FailOptions = {}): void {
    this.push(this.failures, method, {
      remaining: opts.times ?? 1,
      error,
      status: opts.status ?? 200,
      extra: opts.extra ?? {},
      match: opts.match,
    });
  }

  /** Delay the answer to the next `times` calls to `method` by `ms` (default: every call until cleared). */
  delay(method: string, ms: number, times = Number.POSITIVE_INFINITY): void {
    this.push(this.delays, method, { remaining: times, ms });
  }

  /** Override or add a method. The handler's body is sent as-is (after auth and injections). */
  handle(method: string, handler: MethodHandler): void {
    this.handlers.set(method, handler);
  }

  addChannel(channel: ChannelInfo): void {
    this.channels.set(channel.id, channel);
  }

  addUser(user: UserInfo): void {
    this.users.set(user.id, user);
  }

  setUsergroup(id: string, userIds: string[]): void {
    this.usergroups.set(id, [...userIds]);
  }

  /** Store a message as if the bot had posted it (e.g. the message a test's block_actions press refers to). */
  seedMessage(
    channel: string,
    partial: Partial<Pick<StoredMessage, "text" | "blocks" | "thread_ts">> = {},
  ): string {
    const ts = this.nextTs();
    this.storeMessage(
      channel,
      ts,
      partial.text ?? "",
      partial.blocks,
      undefined,
      partial.thread_ts,
      undefined,
    );
    return ts;
  }

  /** Forget calls, responses, injections, messages, views and files (channels, users and usergroups stay). */
  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.ephemerals.length = 0;
    this.rateLimits.clear();
    this.failures.clear();
    this.delays.clear();
    this.messages.clear();
    this.views.clear();
    this.files.clear();
    this.responseUses.clear();
  }

  /** Remove pending rate limits, failures and delays. */
  clearInjections(): void {
    this.rateLimits.clear();
    this.failures.clear();
    this.delays.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ internals

  private waitOn<T>(
    event: string,
    existing: T[],
    test: (x: T) => boolean,
    timeoutMs: number,
    what: string,
    seen: () => string,
  ): Promise<T> {
    const found = existing.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const onItem = (x: T) => {
        if (!test(x)) return;
        clearTimeout(timer);
        this.events.off(event, onItem);
        resolve(x);
      };
      const timer = setTimeout(() => {
        this.events.off(event, onItem);
        reject(new Error(`fake Slack: no ${what} within ${timeoutMs} ms; seen: [${seen()}]`));
      }, timeoutMs);
      this.events.on(event, onItem);
    });
  }

  private push<T extends Injection>(map: Map<string, T[]>, method: string, inj: T): void {
    const list = map.get(method) ?? [];
    list.push(inj);
    map.set(method, list);
  }

  private take<T extends Injection>(map: Map<string, T[]>, method: string, args: Obj = {}): T | undefined {
    const list = map.get(method);
    const i = list?.findIndex((inj) => inj.match === undefined || inj.match(args)) ?? -1;
    const head = list?.[i];
    if (list === undefined || head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) list.splice(i, 1);
    return head;
  }

  private nextTs(): string {
    this.tsCounter += 1;
    const micros = this.tsCounter * 100;
    const sec = this.opts.tsBase + Math.floor(micros / 1_000_000);
    return `${sec}.${String(micros % 1_000_000).padStart(6, "0")}`;
  }

  private nextId(prefix: string): string {
    this.idCounter += 1;
    return `${prefix}0${String(this.idCounter).padStart(9, "0")}`;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const raw = await readBody(req);
    const contentType = req.headers["content-type"] ?? "";
    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (apiMatch?.[1] !== undefined && (method === "POST" || method === "GET")) {
      await this.serveApi(apiMatch[1], req, res, raw, contentType, url.searchParams);
      return;
    }
    const respMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
    if (respMatch?.[1] !== undefined && method === "POST") {
      await this.serveResponseUrl(decodeURIComponent(respMatch[1]), res, raw, contentType);
      return;
    }
    const uploadMatch = /^\/upload\/v1\/([^/]+)$/.exec(url.pathname);
    if (uploadMatch?.[1] !== undefined && method === "POST") {
      await this.serveUpload(uploadMatch[1], req, res, raw, contentType);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  }

  private record(
    method: string,
    args: Obj,
    token: string | undefined,
    contentType: string,
    time: number,
    status: number,
    response: Body,
  ): void {
    this.seq += 1;
    const call: RecordedCall = {
      method,
      args,
      token,
      contentType,
      time,
      status,
      response,
      ok: response.ok === true,
      seq: this.seq,
    };
    this.calls.push(call);
    this.events.emit("call", call);
  }

  private send(res: ServerResponse, status: number, body: Body, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  }

  /** Applies delay, rate-limit and failure injections; returns true when it answered. */
  private async injected(
    method: string,
    res: ServerResponse,
    record: (status: number, body: Body) => void,
    plainText = false,
    args: Obj = {},
  ): Promise<boolean> {
    const d = this.take(this.delays, method, args);
    if (d !== undefined) await sleep(d.ms);
    const rl = this.take(this.rateLimits, method, args);
    if (rl !== undefined) {
      const body = err("ratelimited");
      record(429, body);
      this.send(res, 429, body, { "retry-after": String(rl.retryAfter) });
      return true;
    }
    const f = this.take(this.failures, method, args);
    if (f !== undefined) {
      const body = err(f.error, f.extra);
      record(f.status, body);
      if (plainText) {
        res.writeHead(f.status, { "content-type": "text/plain" });
        res.end(f.error);
      } else {
        this.send(res, f.status, body);
      }
      return true;
    }
    return false;
  }

  private async serveApi(
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    contentType: string,
    query: URLSearchParams,
  ): Promise<void> {
    const time = Date.now();
    let parsed: Parsed;
    try {
      parsed = await parseArgs(contentType, raw, query);
    } catch (e) {
      const body = err("invalid_json", { detail: String(e) });
      this.record(method, {}, undefined, contentType, time, 200, body);
      this.send(res, 200, body);
      return;
    }
    const token = bearer(req) ?? parsed.bodyToken;
    const record = (status: number, body: Body) =>
      this.record(method, parsed.args, token, contentType, time, status, body);

    if (token === undefined) {
      const body = err("not_authed");
      record(200, body);
      this.send(res, 200, body);
      return;
    }
    if (!this.tokens.has(token)) {
      const body = err("invalid_auth");
      record(200, body);
      this.send(res, 200, body);
      return;
    }
    if (await this.injected(method, res, record, false, parsed.args)) return;

    const custom = this.handlers.get(method);
    const body = custom
      ? await custom(parsed.args, { method, token, time })
      : this.builtin(method, parsed.args, token);
    record(200, body);
    this.send(res, 200, body);
  }

  private async serveResponseUrl(id: string, res: ServerResponse, raw: Buffer, contentType: string) {
    const time = Date.now();
    let body: Obj = {};
    try {
      const parsed = await parseArgs(contentType, raw, new URLSearchParams());
      body = parsed.args;
      if (typeof body.payload === "string") body = JSON.parse(body.payload) as Obj;
    } catch {
      body = { raw: raw.toString("utf8") };
    }
    const record = (status: number) => {
      this.seq += 1;
      const r: RecordedResponse = { id, body, time, status, seq: this.seq };
      this.responses.push(r);
      this.events.emit("response", r);
    };
    const answer = (status: number, text: string) => {
      record(status);
      if (status === 200) this.send(res, 200, { ok: true });
      else {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(text);
      }
    };
    if (await this.injected("response_url", res, (status) => record(status), true)) return;
    const uses = (this.responseUses.get(id) ?? 0) + 1;
    this.responseUses.set(id, uses);
    if (uses > this.opts.responseUrlMaxUses) return answer(404, "used_url");
    if (body.blocks !== undefined) {
      if (!Array.isArray(body.blocks) || validateBlocks(body.blocks, "message").length > 0) {
        return answer(400, "invalid_blocks");
      }
    }
    const text = str(body.text) ?? "";
    if (text.length > MESSAGE_TEXT_LIMIT) return answer(400, "msg_too_long");
    if (text === "" && body.blocks === undefined && body.delete_original !== true)
      return answer(400, "no_text");
    answer(200, "ok");
  }

  private async serveUpload(
    fileId: string,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    contentType: string,
  ): Promise<void> {
    const time = Date.now();
    const method = "files.upload-url";
    let content = raw;
    if (contentType.toLowerCase().startsWith("multipart/form-data")) {
      const form = await new Response(new Uint8Array(raw), {
        headers: { "content-type": contentType },
      }).formData();
      for (const v of form.values()) {
        if (typeof v !== "string") {
          content = Buffer.from(await v.arrayBuffer());
          break;
        }
      }
    }
    const args: Obj = { file_id: fileId, bytes: content.length };
    const record = (status: number, body: Body) =>
      this.record(method, args, bearer(req), contentType, time, status, body);
    if (await this.injected(method, res, record, true)) return;
    const file = this.files.get(fileId);
    if (file === undefined) {
      record(404, err("file_not_found"));
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("file_not_found");
      return;
    }
    file.content = content;
    record(200, { ok: true });
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`OK - ${content.length}`);
  }

  // ------------------------------------------------------------------ state helpers

  private channelInfo(id: string): ChannelInfo | undefined {
    const known = this.channels.get(id);
    if (known !== undefined || this.opts.strict) return known;
    if (/^[CGD]/.test(id) && ID_RE.test(id)) {
      const info: ChannelInfo = { id, name: id.startsWith("D") ? id : `channel-${id.toLowerCase()}` };
      if (id.startsWith("D")) info.is_im = true;
      this.channels.set(id, info);
      return info;
    }
    return undefined;
  }

  private userInfo(id: string): UserInfo | undefined {
    const known = this.users.get(id);
    if (known !== undefined || this.opts.strict) return known;
    if (/^[UW]/.test(id) && ID_RE.test(id)) {
      const info: UserInfo = { id, name: `user-${id.toLowerCase()}` };
      this.users.set(id, info);
      return info;
    }
    return undefined;
  }

  /** chat.postMessage's `channel`: an id, a "#name"/"name", or a user id (posts to the DM, returns its D… id). */
  private resolveChannel(channel: unknown, allowNames: boolean): ChannelInfo | undefined {
    if (typeof channel !== "string" || channel === "") return undefined;
    if (allowNames && /^[UW]/.test(channel) && ID_RE.test(channel)) {
      if (this.userInfo(channel) === undefined) return undefined;
      const dm = `D${channel.slice(1)}`;
      const info = this.channels.get(dm) ?? { id: dm, name: dm, is_im: true };
      this.channels.set(dm, info);
      return info;
    }
    const byId = this.channelInfo(channel);
    if (byId !== undefined) return byId;
    if (!allowNames) return undefined;
    const name = channel.replace(/^#/, "");
    return [...this.channels.values()].find((c) => c.name === name);
  }

  /** Content checks shared by postMessage, postEphemeral and update. Returns an error body, or undefined. */
  private checkContent(args: Obj): Body | undefined {
    if (typeof args.blocks === "string" || (args.blocks !== undefined && !Array.isArray(args.blocks))) {
      return err("invalid_blocks_format");
    }
    if (Array.isArray(args.blocks)) {
      const errors = validateBlocks(args.blocks, "message");
      if (errors.length > 0) {
        return err("invalid_blocks", {
          errors,
          response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
        });
      }
    }
    if (typeof args.attachments === "string") return err("invalid_attachments");
    const text = str(args.text) ?? "";
    if ([...text].length > MESSAGE_TEXT_LIMIT) return err("msg_too_long");
    const hasBlocks = Array.isArray(args.blocks) && args.blocks.length > 0;
    const hasAttachments = Array.isArray(args.attachments) && args.attachments.length > 0;
    if (text === "" && !hasBlocks && !hasAttachments) return err("no_text");
    return undefined;
  }

  private storeMessage(
    channel: string,
    ts: string,
    text: string,
    blocks: unknown[] | undefined,
    attachments: unknown[] | undefined,
    threadTs: string | undefined,
    metadata: unknown,
  ): StoredMessage {
    const msg: StoredMessage = {
      channel,
      ts,
      text,
      blocks,
      attachments,
      thread_ts: threadTs,
      metadata,
      user: this.botUserId,
      bot_id: this.botId,
      updates: 0,
      history: [{ text, blocks, time: Date.now() }],
    };
    this.messages.set(`${channel}/${ts}`, msg);
    return msg;
  }

  private messageJson(m: StoredMessage): Obj {
    return {
      type: "message",
      user: m.user,
      bot_id: m.bot_id,
      app_id: this.appId,
      // Slack fills in this text when a message has blocks but no `text`.
      text: m.text === "" && m.blocks !== undefined ? "This content can't be displayed." : m.text,
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.attachments !== undefined ? { attachments: m.attachments } : {}),
      ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
      ...(m.updates > 0 ? { edited: { user: m.user, ts: m.ts } } : {}),
      team: this.teamId,
      bot_profile: {
        id: m.bot_id,
        app_id: this.appId,
        name: "helm-doctor",
        deleted: false,
        team_id: this.teamId,
      },
      ts: m.ts,
    };
  }

  private fullView(view: Obj, id: string, previous?: Obj): Obj {
    return {
      id,
      team_id: this.teamId,
      type: view.type,
      blocks: view.blocks ?? [],
      private_metadata: view.private_metadata ?? "",
      callback_id: view.callback_id ?? "",
      state: { values: {} },
      hash: `${Date.now()}.${this.nextId("H")}`,
      title: view.title,
      clear_on_close: view.clear_on_close ?? false,
      notify_on_close: view.notify_on_close ?? false,
      close: view.close ?? null,
      submit: view.submit ?? null,
      previous_view_id: null,
      root_view_id: previous?.root_view_id ?? id,
      app_id: this.appId,
      external_id: view.external_id ?? "",
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
    };
  }

  private checkTrigger(triggerId: unknown): Body | undefined {
    if (typeof triggerId !== "string" || triggerId === "") return err("invalid_arguments");
    const m = TEST_TRIGGER_RE.exec(triggerId);
    if (m?.[1] !== undefined && Date.now() - Number(m[1]) > this.opts.triggerTtlMs) {
      return err("expired_trigger_id");
    }
    return undefined;
  }

  private viewErrors(view: unknown): Body | undefined {
    if (typeof view === "string")
      return err("invalid_arguments", {
        response_metadata: { messages: ["[ERROR] invalid JSON [json-pointer:/view]"] },
      });
    const errors = validateView(view);
    if (errors.length === 0) return undefined;
    return err("invalid_arguments", { response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
  }

  // ------------------------------------------------------------------ methods

  private builtin(method: string, args: Obj, token: string): Body {
    switch (method) {
      case "api.test":
        return { ok: true, args };
      case "auth.test":
        return {
          ok: true,
          url: `https://${this.opts.teamDomain}.slack.com/`,
          team: this.opts.teamName,
          user: "helm-doctor",
          team_id: this.teamId,
          user_id: token === this.token ? this.botUserId : "U0HUMAN001",
          ...(token === this.token ? { bot_id: this.botId } : {}),
          is_enterprise_install: false,
        };
      case "chat.postMessage":
        return this.postMessage(args);
      case "chat.update":
        return this.chatUpdate(args);
      case "chat.postEphemeral":
        return this.postEphemeral(args);
      case "chat.delete": {
        const ch = this.resolveChannel(args.channel, false);
        if (ch === undefined) return err("channel_not_found");
        const ts = str(args.ts) ?? "";
        if (!this.messages.delete(`${ch.id}/${ts}`)) return err("message_not_found");
        return { ok: true, channel: ch.id, ts };
      }
      case "chat.getPermalink": {
        const ch = this.resolveChannel(args.channel, false);
        if (ch === undefined) return err("channel_not_found");
        const ts = str(args.message_ts) ?? "";
        if (this.message(ch.id, ts) === undefined) return err("message_not_found");
        return {
          ok: true,
          channel: ch.id,
          permalink: `https://${this.opts.teamDomain}.slack.com/archives/${ch.id}/p${ts.replace(".", "")}`,
        };
      }
      case "views.open":
      case "views.push": {
        const bad = this.checkTrigger(args.trigger_id) ?? this.viewErrors(args.view);
        if (bad !== undefined) return bad;
        const view = this.fullView(args.view as Obj, this.nextId("V"));
        this.views.set(view.id as string, view);
        return { ok: true, view };
      }
      case "views.update": {
        const bad = this.viewErrors(args.view);
        if (bad !== undefined) return bad;
        const viewId = str(args.view_id);
        const externalId = str(args.external_id);
        const existing =
          viewId !== undefined
            ? this.views.get(viewId)
            : [...this.views.values()].find((v) => externalId !== undefined && v.external_id === externalId);
        if (existing === undefined) return err("not_found");
        if (args.hash !== undefined && args.hash !== existing.hash) return err("hash_conflict");
        const view = this.fullView(args.view as Obj, existing.id as string, existing);
        this.views.set(view.id as string, view);
        return { ok: true, view };
      }
      case "conversations.info": {
        const ch = typeof args.channel === "string" ? this.channelInfo(args.channel) : undefined;
        if (ch === undefined) return err("channel_not_found");
        return {
          ok: true,
          channel: {
            id: ch.id,
            name: ch.name,
            is_channel: !ch.is_im && !ch.is_private,
            is_group: false,
            is_im: ch.is_im ?? false,
            is_private: ch.is_private ?? false,
            is_archived: ch.is_archived ?? false,
            is_member: ch.is_member ?? true,
            created: this.opts.tsBase,
            context_team_id: this.teamId,
            ...ch.extra,
          },
        };
      }
      case "users.info": {
        const u = typeof args.user === "string" ? this.userInfo(args.user) : undefined;
        if (u === undefined) return err("user_not_found");
        return {
          ok: true,
          user: {
            id: u.id,
            team_id: this.teamId,
            name: u.name,
            deleted: u.deleted ?? false,
            real_name: u.real_name ?? u.name,
            tz: u.tz ?? "Europe/Berlin",
            is_admin: u.is_admin ?? false,
            is_owner: false,
            is_bot: u.is_bot ?? false,
            is_app_user: false,
            profile: {
              real_name: u.real_name ?? u.name,
              display_name: u.name,
              ...(u.email !== undefined ? { email: u.email } : {}),
              team: this.teamId,
            },
            ...u.extra,
          },
        };
      }
      case "usergroups.users.list": {
        const id = str(args.usergroup);
        const users = id !== undefined ? this.usergroups.get(id) : undefined;
        if (users === undefined) return err("no_such_subteam");
        return { ok: true, users: [...users] };
      }
      case "files.getUploadURLExternal": {
        const filename = str(args.filename);
        const length = Number(args.length);
        if (filename === undefined || filename === "" || !Number.isFinite(length) || length <= 0) {
          return err("invalid_arguments");
        }
        const id = this.nextId("F");
        this.files.set(id, {
          id,
          filename,
          length,
          content: undefined,
          title: undefined,
          channel_id: undefined,
          thread_ts: undefined,
          initial_comment: undefined,
          completed: false,
        });
        return { ok: true, upload_url: `${this.baseUrl}/upload/v1/${id}`, file_id: id };
      }
      case "files.completeUploadExternal":
        return this.completeUpload(args);
      default:
        return err("unknown_method", { req_method: method });
    }
  }

  private postMessage(args: Obj): Body {
    const ch = this.resolveChannel(args.channel, true);
    if (ch === undefined) return err("channel_not_found");
    if (ch.is_archived) return err("is_archived");
    const bad = this.checkContent(args);
    if (bad !== undefined) return bad;
    // Slack does not reject an unknown thread_ts here; tests assert thread_ts on the recorded call.
    const threadTs = str(args.thread_ts);
    const ts = this.nextTs();
    const msg = this.storeMessage(
      ch.id,
      ts,
      str(args.text) ?? "",
      args.blocks as unknown[] | undefined,
      args.attachments as unknown[] | undefined,
      threadTs,
      args.metadata,
    );
    return { ok: true, channel: ch.id, ts, message: this.messageJson(msg) };
  }

  private chatUpdate(args: Obj): Body {
    const ch = this.resolveChannel(args.channel, false);
    if (ch === undefined) return err("channel_not_found");
    const ts = str(args.ts);
    if (ts === undefined || ts === "") return err("invalid_arguments");
    const msg = this.message(ch.id, ts);
    if (msg === undefined) return err("message_not_found");
    const bad = this.checkContent({
      ...args,
      text: args.text ?? (args.blocks === undefined ? msg.text : ""),
    });
    if (bad !== undefined) return bad;
    if (args.text !== undefined) msg.text = str(args.text) ?? "";
    if (args.blocks !== undefined) msg.blocks = args.blocks as unknown[];
    if (args.attachments !== undefined) msg.attachments = args.attachments as unknown[];
    msg.updates += 1;
    msg.history.push({ text: msg.text, blocks: msg.blocks, time: Date.now() });
    return { ok: true, channel: ch.id, ts, text: msg.text, message: this.messageJson(msg) };
  }

  private postEphemeral(args: Obj): Body {
    const ch = this.resolveChannel(args.channel, true);
    if (ch === undefined) return err("channel_not_found");
    const user = typeof args.user === "string" ? this.userInfo(args.user) : undefined;
    if (user === undefined) return err("user_not_found");
    const bad = this.checkContent(args);
    if (bad !== undefined) return bad;
    const messageTs = this.nextTs();
    this.ephemerals.push({
      channel: ch.id,
      user: user.id,
      message_ts: messageTs,
      text: str(args.text) ?? "",
      blocks: args.blocks as unknown[] | undefined,
      thread_ts: str(args.thread_ts),
    });
    return { ok: true, message_ts: messageTs };
  }

  private completeUpload(args: Obj): Body {
    if (!Array.isArray(args.files) || args.files.length === 0) return err("invalid_arguments");
    const channelId = str(args.channel_id);
    if (channelId !== undefined && this.resolveChannel(channelId, false) === undefined) {
      return err("channel_not_found");
    }
    const out: Obj[] = [];
    for (const f of args.files) {
      const id = isObj(f) ? str(f.id) : undefined;
      const file = id !== undefined ? this.files.get(id) : undefined;
      if (file === undefined || file.content === undefined) return err("file_not_found");
      file.completed = true;
      file.title = isObj(f) ? (str(f.title) ?? file.filename) : file.filename;
      file.channel_id = channelId;
      file.thread_ts = str(args.thread_ts);
      file.initial_comment = str(args.initial_comment);
      out.push({
        id: file.id,
        created: this.opts.tsBase,
        timestamp: this.opts.tsBase,
        name: file.filename,
        title: file.title,
        mimetype: "text/plain",
        filetype: "text",
        user: this.botUserId,
        size: file.content.length,
        url_private: `https://files.slack.com/files-pri/${this.teamId}-${file.id}/${file.filename}`,
        permalink: `https://${this.opts.teamDomain}.slack.com/files/${this.botUserId}/${file.id}/${file.filename}`,
      });
    }
    return { ok: true, files: out };
  }
}

/** Start a fake Slack Web API on 127.0.0.1 (random port). Close it with `close()`. */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlack(opts);
  await fake.listen();
  return fake;
}
