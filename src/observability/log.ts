// Logs: pino, JSON lines by default (containers), readable text on a terminal; LOG_FORMAT=json|text and
// LOG_LEVEL choose. Every line passes one formatter before it is written: each string in it is redacted with the
// process's secrets (the configured tokens, every snapshot's secrets) and patterns (report/redact.ts).
// Audit entries are log events with fields, not text: `log.info(auditEvent({...}))`.
import type { Writable } from "node:stream";
import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from "@slack/bolt";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import type { Log } from "../queue/redis.js";
import { secrets } from "../report/redact.js";

export type LogFormat = "json" | "text";
const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevelName = (typeof LEVELS)[number];

export class LogConfigError extends Error {
  override name = "LogConfigError";
}

/** An audit entry: who did what to which release and revision, and the outcome. */
export class AuditEvent {
  readonly fields: Record<string, unknown>;
  constructor(fields: Record<string, unknown>) {
    this.fields = fields;
  }
  /** Plain-text loggers (tests, the console) print it as one line. */
  toString(): string {
    return `audit ${JSON.stringify(this.fields)}`;
  }
}

export function auditEvent(fields: Record<string, unknown>): AuditEvent {
  return new AuditEvent(fields);
}

/** The secret values of the environment that no log line may carry. */
export function secretsOf(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const k of ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"]) {
    const v = env[k]?.trim();
    if (v && v.length >= 4) out.push(v);
  }
  const redisUrl = env.REDIS_URL?.trim();
  if (redisUrl) {
    try {
      const u = new URL(redisUrl);
      for (const p of [u.password, decodeURIComponent(u.password)]) if (p.length >= 4) out.push(p);
    } catch {
      // config validation reports a bad URL
    }
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** A serialized line with every string in it redacted (keys and numbers kept); text when it is not JSON. */
export function redactLine(line: string): string {
  try {
    return `${JSON.stringify(secrets.deep(JSON.parse(line) as unknown))}\n`;
  } catch {
    return secrets.text(line);
  }
}

export interface LoggerOptions {
  env: NodeJS.ProcessEnv;
  /** Where lines go (default stdout). */
  destination?: Writable;
  /** Whether the destination is a terminal: the default format is then text (default: stdout's). */
  isTTY?: boolean;
  /** Component name on every line (serve, worker). */
  name?: string;
}

export function logFormat(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormat {
  const f = env.LOG_FORMAT?.trim().toLowerCase();
  if (!f) return isTTY ? "text" : "json";
  if (f === "json" || f === "text") return f;
  throw new LogConfigError(`LOG_FORMAT="${env.LOG_FORMAT}" must be json or text`);
}

export function logLevel(env: NodeJS.ProcessEnv): LogLevelName {
  const l = env.LOG_LEVEL?.trim().toLowerCase();
  if (!l) return "info";
  if ((LEVELS as readonly string[]).includes(l)) return l as LogLevelName;
  throw new LogConfigError(`LOG_LEVEL="${env.LOG_LEVEL}" must be one of ${LEVELS.join(", ")}`);
}

export function createLogger(o: LoggerOptions): Logger {
  const out = o.destination ?? process.stdout;
  const isTTY = o.isTTY ?? !!process.stdout.isTTY;
  const format = logFormat(o.env, isTTY);
  secrets.learn(secretsOf(o.env), { pinned: true });
  const text =
    format === "text"
      ? pretty({
          colorize: isTTY && !o.env.NO_COLOR,
          sync: true,
          destination: out,
          translateTime: "SYS:HH:MM:ss.l",
          ignore: "pid,hostname",
        })
      : undefined;
  const sink = {
    write(line: string) {
      const clean = redactLine(line);
      if (text) text.write(clean);
      else out.write(clean);
    },
  };
  return pino(
    {
      level: logLevel(o.env),
      base: o.name ? { component: o.name } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink,
  );
}

/** Our `Log` over pino: an AuditEvent becomes an `audit` event with its fields, errors keep their stack. */
export function toLog(logger: Logger): Log {
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (...msg: unknown[]) => {
      const audit = msg.find((m): m is AuditEvent => m instanceof AuditEvent);
      if (audit) {
        logger[level]({ audit: audit.fields }, "audit");
        return;
      }
      const err = msg.find((m): m is Error => m instanceof Error);
      const text = msg
        .filter((m) => m !== err)
        .map((m) => (typeof m === "string" ? m : JSON.stringify(m)))
        .join(" ");
      if (err) logger[level]({ err }, text || err.message);
      else logger[level](text);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const BOLT_LEVELS: Record<string, BoltLogLevel> = {
  debug: "debug" as BoltLogLevel,
  info: "info" as BoltLogLevel,
  warn: "warn" as BoltLogLevel,
  error: "error" as BoltLogLevel,
};

/** Bolt's Logger interface over pino (Bolt's own lines and helm-doctor's serve lines). */
export function toBoltLogger(logger: Logger): BoltLogger {
  let child = logger;
  const log = () => toLog(child);
  return {
    debug: (...m: unknown[]) => log().debug(...m),
    info: (...m: unknown[]) => log().info(...m),
    warn: (...m: unknown[]) => log().warn(...m),
    error: (...m: unknown[]) => log().error(...m),
    setLevel: (level: BoltLogLevel) => {
      // The level comes from LOG_LEVEL; Bolt's default setLevel(INFO) must not override it.
      void level;
    },
    getLevel: () => BOLT_LEVELS[logger.level] ?? ("info" as BoltLogLevel),
    setName: (name: string) => {
      child = logger.child({ logger: name });
    },
  };
}
