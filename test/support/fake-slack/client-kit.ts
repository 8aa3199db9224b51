// What a Bolt App or WebClient under test needs around the fake Slack: a logger that keeps entries in memory,
// and retries without backoff.

import { type Logger, LogLevel } from "@slack/bolt";

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
