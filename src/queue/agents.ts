// Agents (a `worker` or `watch` running in a cluster, or `serve` with its embedded worker) announce themselves in
// Redis: one hash field per agent, `<cluster>/<id>` → what it runs and when it was last seen, refreshed several
// times per heartbeat interval and marked stopped when it stops (so the cluster is still listed, with when its
// agent was last seen). An agent not seen within its interval is not alive (it was killed, or lost Redis). The front end reads this to list clusters and to refuse at once a command for a
// cluster whose jobs nobody would run.
//   <prefix>:hd:agents   HASH  <cluster>/<id> → AgentInfo (JSON)
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import * as z from "zod";
import type { Log } from "./redis.js";

export const AGENT_ROLES = ["worker", "watch"] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

const agentSchema = z.object({
  cluster: z.string(),
  id: z.string(),
  roles: z.array(z.enum(AGENT_ROLES)),
  host: z.string(),
  startedAt: z.number(),
  lastSeen: z.number(),
  intervalMs: z.number(),
  /** Set when the agent stopped cleanly (it is then not alive at once). */
  stoppedAt: z.number().optional(),
});
export type AgentInfo = z.infer<typeof agentSchema>;

/** Agents not seen for this long are forgotten (no longer listed as "last seen"). */
const FORGET_AFTER_MS = 7 * 24 * 3600_000;

export function agentsKey(prefix: string): string {
  return `${prefix}:hd:agents`;
}

export function newAgentId(): string {
  return `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/** Keeps one agent's entry fresh until stopped. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: number;
  private info: AgentInfo;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    cluster: string,
    roles: AgentRole[],
    readonly intervalMs: number,
    private readonly log: Log,
    private readonly now: () => number = Date.now,
    readonly id = newAgentId(),
  ) {
    this.startedAt = now();
    this.info = {
      cluster,
      id,
      roles,
      host: hostname(),
      startedAt: this.startedAt,
      lastSeen: this.startedAt,
      intervalMs,
    };
  }

  private get field(): string {
    return `${this.info.cluster}/${this.id}`;
  }

  /** Add a role (a worker that also watches). */
  addRole(role: AgentRole): void {
    if (!this.info.roles.includes(role)) this.info = { ...this.info, roles: [...this.info.roles, role] };
    void this.beat();
  }

  async beat(): Promise<void> {
    this.info = { ...this.info, lastSeen: this.now() };
    try {
      await this.redis.hset(agentsKey(this.prefix), this.field, JSON.stringify(this.info));
    } catch (e) {
      this.log.debug(`heartbeat: ${(e as Error).message}`);
    }
  }

  start(): void {
    void this.beat();
    // Three beats per interval: a beat lost to a slow Redis does not make the agent look dead.
    this.timer = setInterval(() => void this.beat(), Math.max(100, Math.floor(this.intervalMs / 3)));
    this.timer.unref();
  }

  /** Stop beating and mark the entry stopped: the agent is not alive at once, not only after its interval. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Unreachable Redis: the entry goes stale by itself (an agent is alive only within its interval); a queued
    // command would only hold the shutdown.
    if (this.redis.status !== "ready") return;
    const now = this.now();
    this.info = { ...this.info, lastSeen: now, stoppedAt: now };
    await this.redis.hset(agentsKey(this.prefix), this.field, JSON.stringify(this.info)).catch(() => 0);
  }
}

export interface ClusterAgents {
  cluster: string;
  /** Agents seen within their heartbeat interval. */
  alive: AgentInfo[];
  /** Agents no longer alive, with when they were last seen. */
  gone: AgentInfo[];
  /** The latest heartbeat of any of its agents, ms. */
  lastSeen: number;
}

export function isAlive(a: AgentInfo, now: number): boolean {
  return a.stoppedAt === undefined && now - a.lastSeen <= a.intervalMs;
}

/** Every cluster with an agent seen in the last week, alive ones first, then by name. */
export async function listAgents(redis: Redis, prefix: string, now: number): Promise<ClusterAgents[]> {
  const raw = await redis.hgetall(agentsKey(prefix));
  const by = new Map<string, ClusterAgents>();
  const forget: string[] = [];
  for (const [field, json] of Object.entries(raw)) {
    let a: AgentInfo;
    try {
      const p = agentSchema.safeParse(JSON.parse(json));
      if (!p.success) continue;
      a = p.data;
    } catch {
      continue;
    }
    if (now - a.lastSeen > FORGET_AFTER_MS) {
      forget.push(field);
      continue;
    }
    const c = by.get(a.cluster) ?? { cluster: a.cluster, alive: [], gone: [], lastSeen: 0 };
    (isAlive(a, now) ? c.alive : c.gone).push(a);
    c.lastSeen = Math.max(c.lastSeen, a.lastSeen);
    by.set(a.cluster, c);
  }
  if (forget.length > 0) await redis.hdel(agentsKey(prefix), ...forget).catch(() => 0);
  return [...by.values()].sort(
    (a, b) => Number(b.alive.length > 0) - Number(a.alive.length > 0) || a.cluster.localeCompare(b.cluster),
  );
}

/** Is a worker of `cluster` alive (someone will run its jobs)? */
export function hasLiveWorker(clusters: ClusterAgents[], cluster: string): boolean {
  return clusters.some((c) => c.cluster === cluster && c.alive.some((a) => a.roles.includes("worker")));
}
