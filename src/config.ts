// Typed configuration of `helm-doctor serve` / `helm-doctor worker`, read from the environment and validated
// at start: every problem is listed at once, each naming the variable and what is expected.
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

function intVar(
  env: NodeJS.ProcessEnv,
  name: string,
  def: number,
  min: number,
  max: number,
  problems: string[],
  what: string,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`${name}="${raw}" is not ${what} (a whole number from ${min} to ${max})`);
    return def;
  }
  return Number(raw);
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

/** Read and validate the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv, mode: Mode, opts: { watch?: boolean } = {}): Config {
  const problems: string[] = [];

  const botToken = nonEmpty(env, "SLACK_BOT_TOKEN");
  if (!botToken) {
    problems.push(
      "SLACK_BOT_TOKEN is not set: the bot token (xoxb-…) from the Slack app's OAuth & Permissions page",
    );
  } else if (!botToken.startsWith("xoxb-")) {
    problems.push("SLACK_BOT_TOKEN does not look like a bot token: it should start with xoxb-");
  }

  const appToken = nonEmpty(env, "SLACK_APP_TOKEN");
  if (appToken && !appToken.startsWith("xapp-")) {
    problems.push(
      "SLACK_APP_TOKEN does not look like an app-level token: it should start with xapp- (Basic Information → App-Level Tokens, scope connections:write)",
    );
  }

  const signingSecret = nonEmpty(env, "SLACK_SIGNING_SECRET");
  if (mode === "serve" && !appToken && !signingSecret) {
    problems.push(
      "SLACK_SIGNING_SECRET is not set: the HTTP endpoint needs it to verify requests (Basic Information → Signing Secret); or set SLACK_APP_TOKEN to use Socket Mode",
    );
  }

  const apiUrl = nonEmpty(env, "SLACK_API_URL");
  if (apiUrl) {
    let ok = false;
    try {
      const u = new URL(apiUrl);
      ok = u.protocol === "http:" || u.protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`SLACK_API_URL="${apiUrl}" is not an http(s) URL (e.g. https://slack.com/api/)`);
  }

  const port = intVar(env, "PORT", 3000, 0, 65535, problems, "a port number");

  const redisUrl = nonEmpty(env, "REDIS_URL") ?? "redis://127.0.0.1:6379";
  try {
    const u = new URL(redisUrl);
    if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new Error("scheme");
  } catch {
    problems.push(
      `REDIS_URL="${redisUrl}" is not a Redis URL (redis://[user:password@]host:port[/db] or rediss://…)`,
    );
  }

  const defaultNamespace = nonEmpty(env, "HELM_DOCTOR_DEFAULT_NAMESPACE") ?? "default";
  const nsProblem = namespaceProblem(defaultNamespace);
  if (nsProblem) problems.push(`HELM_DOCTOR_DEFAULT_NAMESPACE: ${nsProblem}`);

  const queuePrefix = nonEmpty(env, "HELM_DOCTOR_QUEUE_PREFIX") ?? "helm-doctor";
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(queuePrefix)) {
    problems.push(
      `HELM_DOCTOR_QUEUE_PREFIX="${queuePrefix}" must be letters, digits, "_", "." or "-" (at most 64, no ":")`,
    );
  }

  const workerConcurrency = intVar(
    env,
    "HELM_DOCTOR_WORKER_CONCURRENCY",
    4,
    1,
    64,
    problems,
    "a concurrency",
  );
  const dedupSeconds = intVar(env, "HELM_DOCTOR_DEDUP_SECONDS", 30, 0, 3600, problems, "a number of seconds");
  const ttlHours = intVar(
    env,
    "HELM_DOCTOR_DIAGNOSIS_TTL_HOURS",
    24,
    1,
    24 * 30,
    problems,
    "a number of hours",
  );

  const lockSeconds = intVar(env, "HELM_DOCTOR_LOCK_SECONDS", 8, 2, 600, problems, "a number of seconds");
  const stalledCheckSeconds = intVar(
    env,
    "HELM_DOCTOR_STALLED_CHECK_SECONDS",
    2,
    1,
    300,
    problems,
    "a number of seconds",
  );
  const maxStalls = intVar(env, "HELM_DOCTOR_MAX_RESTARTS", 2, 0, 20, problems, "a number of restarts");
  const shutdownSeconds = intVar(
    env,
    "HELM_DOCTOR_SHUTDOWN_SECONDS",
    10,
    0,
    600,
    problems,
    "a number of seconds",
  );

  const cluster = nonEmpty(env, "HELM_DOCTOR_CLUSTER") ?? "default";
  if (!CLUSTER_NAME_RE.test(cluster))
    problems.push(
      `HELM_DOCTOR_CLUSTER="${cluster}" is not a cluster name (lowercase letters, digits and "-", at most 40; e.g. prod)`,
    );
  const heartbeatSeconds = intVar(
    env,
    "HELM_DOCTOR_HEARTBEAT_SECONDS",
    15,
    1,
    600,
    problems,
    "a number of seconds",
  );
  const alertChannel = nonEmpty(env, "HELM_DOCTOR_ALERT_CHANNEL");
  if (alertChannel && !/^[CG][A-Z0-9]{2,}$/.test(alertChannel))
    problems.push(
      `HELM_DOCTOR_ALERT_CHANNEL="${alertChannel}" is not a Slack channel ID (C… or G…; channel names change, IDs don't)`,
    );
  const routesFile = nonEmpty(env, "HELM_DOCTOR_ROUTES");
  let watch: WatchConfig | undefined;
  if (mode === "watch" || opts.watch) {
    const raw = nonEmpty(env, "HELM_DOCTOR_WATCH_NAMESPACES");
    let namespaces: string[] | "*" = [];
    if (!raw) {
      problems.push(
        'HELM_DOCTOR_WATCH_NAMESPACES is not set: the namespaces to watch, comma-separated (or "*" for every namespace helm-doctor may read)',
      );
    } else if (raw === "*") namespaces = "*";
    else {
      namespaces = [
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
    }
    if (!alertChannel && !routesFile)
      problems.push(
        "HELM_DOCTOR_ALERT_CHANNEL is not set: the channel ID for reports nobody asked for (or route them with HELM_DOCTOR_ROUTES)",
      );
    const unready = intVar(
      env,
      "HELM_DOCTOR_UNREADY_MINUTES",
      10,
      1,
      24 * 60,
      problems,
      "a number of minutes",
    );
    watch = { namespaces, unreadyMs: unready * 60_000 };
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    mode,
    slack: {
      botToken: botToken!,
      ...(signingSecret ? { signingSecret } : {}),
      ...(appToken ? { appToken } : {}),
      ...(apiUrl ? { apiUrl } : {}),
    },
    port,
    redisUrl,
    ...(nonEmpty(env, "KUBECONFIG") ? { kubeconfig: nonEmpty(env, "KUBECONFIG") } : {}),
    ...(nonEmpty(env, "HELM_DOCTOR_POLICY") ? { policyFile: nonEmpty(env, "HELM_DOCTOR_POLICY") } : {}),
    defaultNamespace,
    queuePrefix,
    workerConcurrency,
    dedupWindowMs: dedupSeconds * 1000,
    diagnosisTtlSeconds: ttlHours * 3600,
    jobLockMs: lockSeconds * 1000,
    stalledCheckMs: stalledCheckSeconds * 1000,
    maxStalls,
    shutdownGraceMs: shutdownSeconds * 1000,
    cluster,
    heartbeatMs: heartbeatSeconds * 1000,
    ...(watch ? { watch } : {}),
    ...(routesFile ? { routesFile } : {}),
    ...(alertChannel ? { alertChannel } : {}),
  };
}
