// The front end's view of clusters: which cluster a command addresses (named in it, else the channel's default
// from the routing file, else the front end's own HELM_DOCTOR_CLUSTER), one producer per cluster (its
// `diagnose.<cluster>` and `remediate.<cluster>` queues, which only that cluster's agent consumes), and the agents'
// heartbeats read from Redis, cached briefly so a burst of commands reads them once.
import type { Redis } from "ioredis";
import { type ClusterAgents, hasLiveWorker, listAgents } from "../queue/agents.js";
import { Producer, type ProducerOptions } from "../queue/producer.js";
import { type Log, withTimeout } from "../queue/redis.js";
import { DEFAULT_CLUSTER } from "../queue/schemas.js";

export interface ClusterContextOptions {
  prefix: string;
  /** The cluster of commands that name none in a channel without a default (the front end's HELM_DOCTOR_CLUSTER). */
  defaultCluster: string;
  /** A channel's default cluster (the routing file's `channels`). */
  channelClusters?: Record<string, string>;
  /** Options of every cluster's producer (prefix and cluster are set here). */
  producer: Omit<ProducerOptions, "prefix" | "cluster">;
  /** How long a read of the agents is reused (default 1000 ms). */
  cacheMs?: number;
  /** A read of the agents gives up after this long (default 1500 ms). */
  timeoutMs?: number;
  log: Log;
  now?: () => number;
}

export class ClusterContext {
  private readonly producers = new Map<string, Producer>();
  private cached: { at: number; agents: Promise<ClusterAgents[]> } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly opts: ClusterContextOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The cluster a command addresses: the one it names, else the channel's, else the front end's. */
  clusterFor(channel: string, named?: string): string {
    return named ?? this.opts.channelClusters?.[channel] ?? this.opts.defaultCluster;
  }

  /** The producer of `cluster`'s queues (made on first use, kept until close). */
  producer(cluster: string): Producer {
    let p = this.producers.get(cluster);
    if (!p) {
      p = new Producer(this.redis, { ...this.opts.producer, prefix: this.opts.prefix, cluster });
      this.producers.set(cluster, p);
    }
    return p;
  }

  /** Every cluster with an agent seen in the last week (alive first), read at most once per cacheMs. */
  agents(): Promise<ClusterAgents[]> {
    const now = this.now();
    if (!this.cached || now - this.cached.at >= (this.opts.cacheMs ?? 1000)) {
      const agents = withTimeout(
        listAgents(this.redis, this.opts.prefix, now),
        this.opts.timeoutMs ?? 1500,
        "Redis did not answer",
      );
      this.cached = { at: now, agents };
      // A failed read is not reused.
      agents.catch(() => {
        if (this.cached?.agents === agents) this.cached = undefined;
      });
    }
    return this.cached.agents;
  }

  /**
   * Whether a command for `cluster` may be queued: a named cluster needs a live worker (its agent runs the job);
   * the default cluster of a single-cluster install is always queued (its worker may be starting, and the job
   * waits for it).
   */
  async liveness(cluster: string): Promise<{ ok: true } | { ok: false; clusters: ClusterAgents[] }> {
    if (cluster === DEFAULT_CLUSTER) return { ok: true };
    const clusters = await this.agents();
    return hasLiveWorker(clusters, cluster) ? { ok: true } : { ok: false, clusters };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.producers.values()].map((p) => p.close()));
    this.producers.clear();
  }
}

// ---------------------------------------------------------------- what the user is told (pure)

/** "12 s ago", "5 min ago", "3 h ago", "2 days ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} h ago`;
  const d = Math.round(h / 24);
  return `${d} day${d === 1 ? "" : "s"} ago`;
}

function roles(c: ClusterAgents): string {
  const all = new Set(c.alive.flatMap((a) => a.roles));
  return [...all].sort().join(" + ");
}

function lastGone(c: ClusterAgents) {
  return c.gone.reduce<(typeof c.gone)[number] | undefined>(
    (a, b) => (a === undefined || b.lastSeen > a.lastSeen ? b : a),
    undefined,
  );
}

/** One line per cluster, alive ones first (as listAgents orders them); mrkdwn. */
export function clusterLines(clusters: ClusterAgents[], now: number): string[] {
  return clusters.map((c) =>
    c.alive.length > 0
      ? `• :large_green_circle: \`${c.cluster}\`: alive (${c.alive.length} agent${c.alive.length === 1 ? "" : "s"}: ${roles(c)}), last seen ${ago(now - c.lastSeen)}`
      : `• :red_circle: \`${c.cluster}\`: not alive (${lastGone(c)?.stoppedAt !== undefined ? "its agent stopped" : "no heartbeat"}), last seen ${ago(now - c.lastSeen)} (${new Date(c.lastSeen).toISOString().slice(0, 16).replace("T", " ")} UTC)`,
  );
}

/** The answer to `/helm-doctor clusters`. */
export function clustersText(clusters: ClusterAgents[], now: number): string {
  if (clusters.length === 0)
    return "No helm-doctor agent has announced itself in the last week: no cluster can run diagnoses. Start `helm-doctor worker` (with HELM_DOCTOR_CLUSTER) in each cluster.";
  const alive = clusters.filter((c) => c.alive.length > 0).length;
  return [
    `*Clusters* (${alive} of ${clusters.length} alive):`,
    ...clusterLines(clusters, now),
    "Address one with `<cluster>/<namespace>/<release>` or `--cluster <cluster>`.",
  ].join("\n");
}

/** The answer to a command for a cluster whose worker is not alive. */
export function noLiveWorkerText(cluster: string, clusters: ClusterAgents[], now: number): string {
  const mine = clusters.find((c) => c.cluster === cluster);
  const what = mine
    ? `no helm-doctor worker of cluster \`${cluster}\` is alive (last seen ${ago(now - mine.lastSeen)})`
    : `no helm-doctor agent of cluster \`${cluster}\` has announced itself`;
  const alive = clusters
    .filter((c) => c.alive.some((a) => a.roles.includes("worker")))
    .map((c) => `\`${c.cluster}\``);
  return `Nothing was started: ${what}, so nobody would run this request. ${
    alive.length > 0 ? `Clusters alive now: ${alive.join(", ")}.` : "No cluster has a live worker now."
  } Check the agent's pod in that cluster (it connects out to Redis), or see \`clusters\`.`;
}
