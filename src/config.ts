// Typed configuration of `helm-doctor serve` / `helm-doctor worker`, read from the environment and validated
// at start with a zod schema: every problem is listed at once, each naming the variable and what is expected.
import * as z from "zod";
import { namespaceProblem } from "./helm/names.js";
import { CLUSTER_NAME_RE } from "./queue/schemas.js";

export type Mode = "serve" | "worker" | "watch";

export interface SlackConfig {
  /** SLACK_BOT_TOKEN (xoxb-…): every Web API call. */
  botToken: string;
  /** SLACK_SIGNING_SECRET: verifies requests to /slack/events (HTTP mode). */
  signingSecret?: string;
  /** SLACK_APP_TOKEN (xapp-…): Socket Mode instead of the HTTP endpoint. */
  appToken?: string;
  /** SLACK_API_URL: Web API base URL (default Slack's https://slack.com/api/). */
  apiUrl?: string;
}

export interface Config {
  mode: Mode;
  slack: SlackConfig;
  /** PORT: HTTP port for /slack/events, /healthz and /readyz (default 3000). */
  port: number;
  /** REDIS_URL (default redis://127.0.0.1:6379). */
  redisUrl: string;
  /** KUBECONFIG, as kubectl reads it; undefined = in-cluster service account. */
  kubeconfig?: string;
  /** HELM_DOCTOR_POLICY: authorization file (YAML); undefined = the secure default. */
  policyFile?: string;
  /** HELM_DOCTOR_DEFAULT_NAMESPACE: namespace when a command gives none (default "default"). */
  defaultNamespace: string;
  /** HELM_DOCTOR_QUEUE_PREFIX: Redis key prefix of the queues and stored diagnoses (default "helm-doctor"). */
  queuePrefix: string;
  /** HELM_DOCTOR_WORKER_CONCURRENCY: diagnoses one worker runs at once (default 4). */
  workerConcurrency: number;
  /** HELM_DOCTOR_DEDUP_SECONDS: requests for the same release within this window join one job (default 30). */
  dedupWindowMs: number;
  /** HELM_DOCTOR_DIAGNOSIS_TTL_HOURS: how long buttons keep working (default 24). */
  diagnosisTtlSeconds: number;
  /** HELM_DOCTOR_LOCK_SECONDS: a job's lock without renewal; a dead worker's job restarts after it (default 8). */
  jobLockMs: number;
  /** HELM_DOCTOR_STALLED_CHECK_SECONDS: how often workers look for jobs whose worker died (default 2). */
  stalledCheckMs: number;
  /** HELM_DOCTOR_MAX_RESTARTS: restarts of a diagnosis after its worker died, before the user is told (default 2). */
  maxStalls: number;
  /** HELM_DOCTOR_SHUTDOWN_SECONDS: on SIGTERM, running diagnoses get this long before they are handed back (default 10). */
  shutdownGraceMs: number;
  /**
   * HELM_DOCTOR_EXIT_SECONDS: after a clean stop, the process exits at most this long later even when a request it
   * abandoned still holds a socket open (default 2).
   */
  exitWaitMs: number;
  /** HELM_DOCTOR_CLUSTER: this agent's cluster; its jobs and queues carry the name (default "default"). */
  cluster: string;
  /** HELM_DOCTOR_HEARTBEAT_SECONDS: an agent not seen for this long is not alive (default 15). */
  heartbeatMs: number;
  /** The watcher's settings (`helm-doctor watch`, `worker --watch`); undefined when not watching. */
  watch?: WatchConfig;
  /** HELM_DOCTOR_ROUTES: the routing file (unasked reports' channels, a channel's default cluster). */
  routesFile?: string;
  /** HELM_DOCTOR_ALERT_CHANNEL: the channel of unasked reports no route matches. */
  alertChannel?: string;
}

export interface WatchConfig {
  /** HELM_DOCTOR_WATCH_NAMESPACES: the namespaces watched, or "*" for every namespace the identity may read. */
  namespaces: string[] | "*";
  /** HELM_DOCTOR_UNREADY_MINUTES: workloads of a revision deployed this long ago should be ready (default 10). */
  unreadyMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** An environment variable: trimmed, and unset when empty. */
const envVar = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined),
  z.string().optional(),
);

/** A whole number from `min` to `max` in variable `name`, or `def` when unset. */
function int(name: string, def: number, min: number, max: number, what: string) {
  return envVar.transform((raw, ctx) => {
    if (raw === undefined) return def;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      ctx.addIssue({
        code: "custom",
        message: `${name}="${raw}" is not ${what} (a whole number from ${min} to ${max})`,
      });
      return z.NEVER;
    }
    return Number(raw);
  });
}

/** A string variable that must pass `ok`, else `message(value)`. */
function checked(ok: (v: string) => boolean, message: (v: string) => string) {
  return envVar.superRefine((v, ctx) => {
    if (v !== undefined && !ok(v)) ctx.addIssue({ code: "custom", message: message(v) });
  });
}

function isUrl(v: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(v).protocol);
  } catch {
    return false;
  }
}

/** The environment helm-doctor reads, variable by variable (each issue names its variable). */
const envSchema = z.object({
  SLACK_BOT_TOKEN: checked(
    (v) => v.startsWith("xoxb-"),
    () => "SLACK_BOT_TOKEN does not look like a bot token: it should start with xoxb-",
  ),
  SLACK_APP_TOKEN: checked(
    (v) => v.startsWith("xapp-"),
    () =>
      "SLACK_APP_TOKEN does not look like an app-level token: it should start with xapp- (Basic Information → App-Level Tokens, scope connections:write)",
  ),
  SLACK_SIGNING_SECRET: envVar,
  SLACK_API_URL: checked(
    (v) => isUrl(v, ["http:", "https:"]),
    (v) => `SLACK_API_URL="${v}" is not an http(s) URL (e.g. https://slack.com/api/)`,
  ),
  PORT: int("PORT", 3000, 0, 65535, "a port number"),
  REDIS_URL: checked(
    (v) => isUrl(v, ["redis:", "rediss:"]),
    (v) => `REDIS_URL="${v}" is not a Redis URL (redis://[user:password@]host:port[/db] or rediss://…)`,
  ),
  KUBECONFIG: envVar,
  HELM_DOCTOR_POLICY: envVar,
  HELM_DOCTOR_DEFAULT_NAMESPACE: checked(
    (v) => namespaceProblem(v) === undefined,
    (v) => `HELM_DOCTOR_DEFAULT_NAMESPACE: ${namespaceProblem(v)}`,
  ),
  HELM_DOCTOR_QUEUE_PREFIX: checked(
    (v) => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(v),
    (v) => `HELM_DOCTOR_QUEUE_PREFIX="${v}" must be letters, digits, "_", "." or "-" (at most 64, no ":")`,
  ),
  HELM_DOCTOR_WORKER_CONCURRENCY: int("HELM_DOCTOR_WORKER_CONCURRENCY", 4, 1, 64, "a concurrency"),
  HELM_DOCTOR_DEDUP_SECONDS: int("HELM_DOCTOR_DEDUP_SECONDS", 30, 0, 3600, "a number of seconds"),
  HELM_DOCTOR_DIAGNOSIS_TTL_HOURS: int(
    "HELM_DOCTOR_DIAGNOSIS_TTL_HOURS",
    24,
    1,
    24 * 30,
    "a number of hours",
  ),
  HELM_DOCTOR_LOCK_SECONDS: int("HELM_DOCTOR_LOCK_SECONDS", 8, 2, 600, "a number of seconds"),
  HELM_DOCTOR_STALLED_CHECK_SECONDS: int(
    "HELM_DOCTOR_STALLED_CHECK_SECONDS",
    2,
    1,
    300,
    "a number of seconds",
  ),
  HELM_DOCTOR_MAX_RESTARTS: int("HELM_DOCTOR_MAX_RESTARTS", 2, 0, 20, "a number of restarts"),
  HELM_DOCTOR_SHUTDOWN_SECONDS: int("HELM_DOCTOR_SHUTDOWN_SECONDS", 10, 0, 600, "a number of seconds"),
  HELM_DOCTOR_EXIT_SECONDS: int("HELM_DOCTOR_EXIT_SECONDS", 2, 0, 60, "a number of seconds"),
  HELM_DOCTOR_CLUSTER: checked(
    (v) => CLUSTER_NAME_RE.test(v),
    (v) =>
      `HELM_DOCTOR_CLUSTER="${v}" is not a cluster name (lowercase letters, digits and "-", at most 40; e.g. prod)`,
  ),
  HELM_DOCTOR_HEARTBEAT_SECONDS: int("HELM_DOCTOR_HEARTBEAT_SECONDS", 15, 1, 600, "a number of seconds"),
  HELM_DOCTOR_ALERT_CHANNEL: checked(
    (v) => /^[CG][A-Z0-9]{2,}$/.test(v),
    (v) =>
      `HELM_DOCTOR_ALERT_CHANNEL="${v}" is not a Slack channel ID (C… or G…; channel names change, IDs don't)`,
  ),
  HELM_DOCTOR_ROUTES: envVar,
  HELM_DOCTOR_WATCH_NAMESPACES: envVar,
  HELM_DOCTOR_UNREADY_MINUTES: int("HELM_DOCTOR_UNREADY_MINUTES", 10, 1, 24 * 60, "a number of minutes"),
});

/** HELM_DOCTOR_WATCH_NAMESPACES: "*" or a comma-separated list of namespaces (problems reported by name). */
function watchNamespaces(raw: string | undefined, problems: string[]): string[] | "*" {
  if (!raw) {
    problems.push(
      'HELM_DOCTOR_WATCH_NAMESPACES is not set: the namespaces to watch, comma-separated (or "*" for every namespace helm-doctor may read)',
    );
    return [];
  }
  if (raw === "*") return "*";
  const namespaces = [
    ...new Set(
      raw
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== ""),
    ),
  ];
  for (const n of namespaces) {
    const p = namespaceProblem(n);
    if (p) problems.push(`HELM_DOCTOR_WATCH_NAMESPACES: ${p}`);
  }
  return namespaces;
}

/** Read and validate the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv, mode: Mode, opts: { watch?: boolean } = {}): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => i.message);
  const e = parsed.success ? parsed.data : undefined;
  // Rules across variables.
  const raw = (name: string) => envVar.parse(env[name]);
  if (raw("SLACK_BOT_TOKEN") === undefined)
    problems.unshift(
      "SLACK_BOT_TOKEN is not set: the bot token (xoxb-…) from the Slack app's OAuth & Permissions page",
    );
  if (mode === "serve" && !raw("SLACK_APP_TOKEN") && !raw("SLACK_SIGNING_SECRET"))
    problems.push(
      "SLACK_SIGNING_SECRET is not set: the HTTP endpoint needs it to verify requests (Basic Information → Signing Secret); or set SLACK_APP_TOKEN to use Socket Mode",
    );
  let watch: WatchConfig | undefined;
  if (mode === "watch" || opts.watch) {
    const namespaces = watchNamespaces(raw("HELM_DOCTOR_WATCH_NAMESPACES"), problems);
    if (!raw("HELM_DOCTOR_ALERT_CHANNEL") && !raw("HELM_DOCTOR_ROUTES"))
      problems.push(
        "HELM_DOCTOR_ALERT_CHANNEL is not set: the channel ID for reports nobody asked for (or route them with HELM_DOCTOR_ROUTES)",
      );
    if (e) watch = { namespaces, unreadyMs: e.HELM_DOCTOR_UNREADY_MINUTES * 60_000 };
  }
  if (problems.length > 0 || !e) throw new ConfigError(problems);

  return {
    mode,
    slack: {
      botToken: e.SLACK_BOT_TOKEN!,
      ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}),
      ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
      ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}),
    },
    port: e.PORT,
    redisUrl: e.REDIS_URL ?? "redis://127.0.0.1:6379",
    ...(e.KUBECONFIG ? { kubeconfig: e.KUBECONFIG } : {}),
    ...(e.HELM_DOCTOR_POLICY ? { policyFile: e.HELM_DOCTOR_POLICY } : {}),
    defaultNamespace: e.HELM_DOCTOR_DEFAULT_NAMESPACE ?? "default",
    queuePrefix: e.HELM_DOCTOR_QUEUE_PREFIX ?? "helm-doctor",
    workerConcurrency: e.HELM_DOCTOR_WORKER_CONCURRENCY,
    dedupWindowMs: e.HELM_DOCTOR_DEDUP_SECONDS * 1000,
    diagnosisTtlSeconds: e.HELM_DOCTOR_DIAGNOSIS_TTL_HOURS * 3600,
    jobLockMs: e.HELM_DOCTOR_LOCK_SECONDS * 1000,
    stalledCheckMs: e.HELM_DOCTOR_STALLED_CHECK_SECONDS * 1000,
    maxStalls: e.HELM_DOCTOR_MAX_RESTARTS,
    shutdownGraceMs: e.HELM_DOCTOR_SHUTDOWN_SECONDS * 1000,
    exitWaitMs: e.HELM_DOCTOR_EXIT_SECONDS * 1000,
    cluster: e.HELM_DOCTOR_CLUSTER ?? "default",
    heartbeatMs: e.HELM_DOCTOR_HEARTBEAT_SECONDS * 1000,
    ...(watch ? { watch } : {}),
    ...(e.HELM_DOCTOR_ROUTES ? { routesFile: e.HELM_DOCTOR_ROUTES } : {}),
    ...(e.HELM_DOCTOR_ALERT_CHANNEL ? { alertChannel: e.HELM_DOCTOR_ALERT_CHANNEL } : {}),
  };
}
