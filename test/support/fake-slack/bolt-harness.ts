// Start a real Bolt App (HTTP receiver) on a random port, talking to a FakeSlack.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, type AppOptions, type Logger, LogLevel } from "@slack/bolt";
import type { FakeSlack } from "./server.js";

export interface LogEntry {
  level: LogLevel;
  message: string;
  time: number;
}

/** A Bolt/WebClient logger that keeps entries in memory (assert on them, keep test output clean). */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = [];
  private level: LogLevel = LogLevel.DEBUG;
  private name = "";

  private add(level: LogLevel, msg: unknown[]): void {
    const message = msg.map((m) => (m instanceof Error ? `${m.name}: ${m.message}` : String(m))).join(" ");
    this.entries.push({ level, message: this.name ? `${this.name}: ${message}` : message, time: Date.now() });
  }
  debug(...msg: unknown[]): void {
    this.add(LogLevel.DEBUG, msg);
  }
  info(...msg: unknown[]): void {
    this.add(LogLevel.INFO, msg);
  }
  warn(...msg: unknown[]): void {
    this.add(LogLevel.WARN, msg);
  }
  error(...msg: unknown[]): void {
    this.add(LogLevel.ERROR, msg);
  }
  setLevel(level: LogLevel): void {
    this.level = level;
  }
  getLevel(): LogLevel {
    return this.level;
  }
  setName(name: string): void {
    this.name = name;
  }
  /** Messages at `level` (all levels when omitted). */
  messages(level?: LogLevel): string[] {
    return this.entries.filter((e) => level === undefined || e.level === level).map((e) => e.message);
  }
}

/** WebClient retries without backoff (a 429 still waits its Retry-After): keeps failure tests fast. */
export const FAST_RETRY = { retries: 2, minTimeout: 0, maxTimeout: 0 } as const;

export interface BoltTestApp {
  app: App;
  logger: MemoryLogger;
  server: Server;
  port: number;
  /** "http://127.0.0.1:PORT" */
  baseUrl: string;
  /** The events endpoint ("http://127.0.0.1:PORT/slack/events" by default). */
  url: string;
  stop(): Promise<void>;
}

export interface BoltTestOptions extends Omit<AppOptions, "signingSecret"> {
  signingSecret: string;
  /** Register listeners before the server starts. */
  setup?: (app: App) => void;
  /** Path of the events endpoint used for `url` (default "/slack/events"). */
  eventsPath?: string;
}

/**
 * Construct and start a Bolt App whose WebClient talks to `fake` (token = fake.token, slackApiUrl = fake.apiUrl,
 * FAST_RETRY unless `clientOptions.retryConfig` is given).
 * Uses `deferInitialization: true` + `await app.init()` (unless told otherwise) so the one auth.test call is
 * awaited and a failure throws here: without it the constructor fires auth.test un-awaited, and a failing
 * auth.test becomes an unhandled rejection while start() still resolves.
 */
export async function startBoltApp(fake: FakeSlack, opts: BoltTestOptions): Promise<BoltTestApp> {
  const { setup, eventsPath, clientOptions, ...appOpts } = opts;
  const logger = (appOpts.logger as MemoryLogger | undefined) ?? new MemoryLogger();
  const defer = appOpts.deferInitialization ?? true;
  const app = new App({
    token: fake.token,
    ...appOpts,
    deferInitialization: defer,
    logger,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRY, ...clientOptions },
  });
  if (defer) await app.init();
  setup?.(app);
  const server = (await app.start(0)) as Server;
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    logger,
    server,
    port,
    baseUrl,
    url: `${baseUrl}${eventsPath ?? "/slack/events"}`,
    stop: async () => {
      server.closeAllConnections();
      await app.stop();
    },
  };
}
