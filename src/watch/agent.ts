// Starting the watcher from the configuration: the routing file, the cluster's kubeconfig (the same resolution as
// every other command: --kubeconfig, KUBECONFIG, the in-cluster service account), the record driver to watch and
// a Slack Web API client.
import { LiveSource } from "../cluster/live.js";
import type { RecordResource } from "../cluster/records-watch.js";
import { SourceError } from "../cluster/source.js";
import type { Config } from "../config.js";
import type { Heartbeat } from "../queue/agents.js";
import type { Log } from "../queue/redis.js";
import { slackWebClient } from "../slack/client.js";
import { loadRoutes, RoutesError } from "./routes.js";
import { Watcher } from "./watcher.js";

export interface WatchAgentOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** secret | configmap (default: HELM_DRIVER, else Helm's default, secret). */
  driver?: string | undefined;
  env: NodeJS.ProcessEnv;
  log: Log;
  /** A `worker --watch` shares the worker's heartbeat. */
  heartbeat?: Heartbeat;
}

/**
 * The records a driver keeps: Helm's default (HELM_DRIVER unset) is the secret driver (pkg/action/action.go);
 * `auto` watches both, as the diagnosis reads both (two list+watch per namespace instead of one).
 */
export function watchedResources(driver: string | undefined): RecordResource[] {
  const d = (driver ?? "").toLowerCase();
  if (d === "configmap" || d === "configmaps") return ["configmaps"];
  if (d === "auto") return ["secrets", "configmaps"];
  if (d === "" || d === "secret" || d === "secrets") return ["secrets"];
  throw new SourceError(`unsupported driver "${d}": helm-doctor watches the secret and configmap drivers`);
}

export async function startWatchAgent(config: Config, o: WatchAgentOptions): Promise<Watcher> {
  let routes: Awaited<ReturnType<typeof loadRoutes>>;
  try {
    routes = await loadRoutes(config.routesFile, config.alertChannel);
  } catch (e) {
    if (e instanceof RoutesError) throw new SourceError(e.message);
    throw e;
  }
  if (!routes.defaultChannel && routes.routes.length === 0)
    throw new SourceError(
      `HELM_DOCTOR_ROUTES ${routes.source}: no route and no default channel: set \`default\` or HELM_DOCTOR_ALERT_CHANNEL`,
    );
  const source = await LiveSource.fromKubeconfig({
    kubeconfig: o.kubeconfig ?? config.kubeconfig,
    context: o.context,
    env: o.env,
  });
  const slack = slackWebClient(config);
  const watcher = new Watcher(config, {
    kubeConfig: source.kubeConfig,
    routes,
    resources: watchedResources(o.driver ?? o.env.HELM_DRIVER),
    slack,
    log: o.log,
    ...(o.heartbeat ? { heartbeat: o.heartbeat } : {}),
  });
  await watcher.start();
  return watcher;
}
