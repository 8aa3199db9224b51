// Typed configuration of `helm-doctor serve` / `helm-doctor worker`, read from the environment and validated
// at start: every problem is listed at once, each naming the variable and what is expected.
import { namespaceProblem } from "./helm/names.js";

export type Mode = "serve" | "worker";

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
export function loadConfig(env: NodeJS.ProcessEnv, mode: Mode): Config {
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
  };
}
