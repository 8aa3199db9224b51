// Authorization policy (HELM_DOCTOR_POLICY, YAML): who may diagnose (channels, users, user groups,
// namespaces, clusters) and who may press which remediation in which namespaces of which clusters (a rule or
// grant without `clusters` applies to every cluster). Secure default without a file: anyone
// in a channel with the bot may diagnose; nobody may remediate until granted. An invalid file refuses to start
// with the file, the path inside it, the line and what is wrong.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import * as z from "zod";
import { EXECUTABLE_ACTIONS, type ExecutableAction, isExecutableAction } from "../diagnosis/types.js";
import { withTimeout } from "../retry.js";

const USER_RE = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_RE = /^[CGD][A-Z0-9]{2,}$/;
const GROUP_RE = /^S[A-Z0-9]{2,}$/;
const NS_PATTERN_RE = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?|[a-z0-9][-a-z0-9]*\*)$/;
/** A cluster name (as HELM_DOCTOR_CLUSTER), "*", or a prefix pattern such as "prod-*". */
const CLUSTER_PATTERN_RE = /^(\*|[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?|[a-z0-9][-a-z0-9]{0,38}\*)$/;

const userId = z.string().refine((v) => v === "*" || USER_RE.test(v), {
  message: 'is not a Slack user ID (U… or W…, from the profile\'s "Copy member ID"; or "*" for anyone)',
});
const channelId = z.string().regex(CHANNEL_RE, {
  message:
    "is not a Slack channel ID (C…, G… or D…; channel names change, IDs don't: open the channel details)",
});
const groupId = z.string().regex(GROUP_RE, { message: "is not a Slack user group ID (S…)" });
const nsPattern = z.string().regex(NS_PATTERN_RE, {
  message: 'is not a namespace, "*" or a prefix pattern such as "team-*"',
});
const clusterPattern = z.string().regex(CLUSTER_PATTERN_RE, {
  message: 'is not a cluster name, "*" or a prefix pattern such as "prod-*"',
});
const action = z.string().refine((v) => v === "*" || isExecutableAction(v), {
  message: `is not a remediation (one of ${EXECUTABLE_ACTIONS.join(", ")}, or "*")`,
});

const diagnoseSchema = z.strictObject({
  channels: z.array(channelId).optional(),
  users: z.array(userId).optional(),
  usergroups: z.array(groupId).optional(),
  namespaces: z.array(nsPattern).optional(),
  clusters: z.array(clusterPattern).optional(),
});

const grantSchema = z
  .strictObject({
    users: z.array(userId).optional(),
    usergroups: z.array(groupId).optional(),
    actions: z.array(action).min(1, { message: "needs at least one action" }),
    namespaces: z.array(nsPattern).min(1, { message: 'needs at least one namespace (or "*")' }),
    channels: z.array(channelId).optional(),
    clusters: z
      .array(clusterPattern)
      .min(1, { message: "needs at least one cluster (or leave it out for all)" })
      .optional(),
  })
  .refine((g) => (g.users?.length ?? 0) + (g.usergroups?.length ?? 0) > 0, {
    message: "grants to nobody: give users or usergroups",
  });

const policySchema = z.strictObject({
  version: z.literal(1, { message: "must be 1" }).optional(),
  diagnose: diagnoseSchema.optional(),
  remediate: z.array(grantSchema).optional(),
});

export interface DiagnoseRule {
  channels?: string[];
  users?: string[];
  usergroups?: string[];
  namespaces?: string[];
  /** Clusters whose releases may be diagnosed (all when absent). */
  clusters?: string[];
}

export interface Grant {
  users: string[];
  usergroups: string[];
  actions: (ExecutableAction | "*")[];
  namespaces: string[];
  channels?: string[];
  /** Clusters the grant covers (all when absent). */
  clusters?: string[];
}

export interface Policy {
  /** The file it came from, or "built-in default". */
  source: string;
  /** True when no file was given. */
  isDefault: boolean;
  diagnose: DiagnoseRule;
  remediate: Grant[];
}

export const DEFAULT_POLICY: Policy = {
  source: "built-in default",
  isDefault: true,
  diagnose: {},
  remediate: [],
};

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyError";
  }
}

function pathString(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out || "(top level)";
}

/** The 1-based line of the node at `path` (or of its deepest existing parent). */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: readonly PropertyKey[]) {
  let node: unknown = doc.contents;
  let line: number | undefined;
  const at = (n: unknown) => {
    const r = (n as Node | undefined)?.range;
    if (r) line = lc.linePos(r[0]).line;
  };
  at(node);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      at(pair.key);
      node = pair.value;
      if (node) at(node);
    } else if (isSeq(node) && typeof key === "number") {
      node = node.items[key];
      if (!node) break;
      at(node);
    } else break;
  }
  return line;
}

/** Parse and validate a policy file's text; throws PolicyError naming file, path, line and problem. */
export function parsePolicy(text: string, file: string): Policy {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const where = `HELM_DOCTOR_POLICY ${file}`;
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new PolicyError(
      `${where}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML: ${e.message.split("\n")[0]}`,
    );
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) {
    throw new PolicyError(
      `${where}: the file is empty. Write a policy (see deploy/README.md) or unset HELM_DOCTOR_POLICY for the default (anyone may diagnose, nobody may remediate).`,
    );
  }
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((issue) => {
      let path: PropertyKey[] = [...issue.path];
      let message = issue.message;
      if (issue.code === "unrecognized_keys") {
        const keys = (issue as { keys: string[] }).keys;
        path = [...path, keys[0]!];
        const expected =
          issue.path.length === 0
            ? "version, diagnose, remediate"
            : issue.path[0] === "diagnose"
              ? "channels, users, usergroups, namespaces, clusters"
              : "users, usergroups, actions, namespaces, channels, clusters";
        message = `unknown key${keys.length > 1 ? `s ${keys.map((k) => `"${k}"`).join(", ")}` : ` "${keys[0]}"`} (expected: ${expected})`;
      } else {
        const v = path.reduce<unknown>(
          (o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k] : undefined),
          value,
        );
        if (issue.code === "invalid_type") {
          const expected = (issue as { expected?: string }).expected;
          const want =
            expected === "array" ? "a list" : expected === "object" ? "a mapping" : `a ${expected}`;
          const got =
            v === null
              ? "null"
              : Array.isArray(v)
                ? "a list"
                : typeof v === "object"
                  ? "a mapping"
                  : `a ${typeof v}`;
          message = v === undefined ? `is required (${want})` : `must be ${want}, not ${got}`;
        } else if (typeof v === "string" || typeof v === "number") {
          // Quote the offending value for checks on a value.
          message = `${JSON.stringify(v)} ${message}`;
        }
      }
      const line = lineOf(doc, lc, path);
      return `${where}${line ? `:${line}` : ""}: ${pathString(path)}: ${message}`;
    });
    const more = parsed.error.issues.length > 10 ? `\n(and ${parsed.error.issues.length - 10} more)` : "";
    throw new PolicyError(lines.join("\n") + more);
  }
  const p = parsed.data;
  return {
    source: file,
    isDefault: false,
    diagnose: { ...p.diagnose },
    remediate: (p.remediate ?? []).map((g) => ({
      users: g.users ?? [],
      usergroups: g.usergroups ?? [],
      actions: g.actions as Grant["actions"],
      namespaces: g.namespaces,
      ...(g.channels ? { channels: g.channels } : {}),
      ...(g.clusters ? { clusters: g.clusters } : {}),
    })),
  };
}

/** The policy from HELM_DOCTOR_POLICY, or the secure default when no file is configured. */
export async function loadPolicy(file: string | undefined): Promise<Policy> {
  if (!file) return DEFAULT_POLICY;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PolicyError(
      code === "ENOENT"
        ? `HELM_DOCTOR_POLICY ${file}: no such file`
        : `HELM_DOCTOR_POLICY ${file}: cannot read it: ${(e as Error).message}`,
    );
  }
  return parsePolicy(text, file);
}

// ---------------------------------------------------------------- decisions

/** Who is in a Slack user group (usergroups.users.list), cached. */
export interface Directory {
  groupMembers(groupId: string): Promise<Set<string>>;
  /** The members known right now without asking Slack, when the directory keeps them (undefined: not known). */
  knownMembers?(groupId: string): Set<string> | undefined;
}

interface UsergroupsClient {
  usergroups: {
    users: { list(args: { usergroup: string }): Promise<{ ok?: boolean; users?: string[]; error?: string }> };
  };
}

export interface DirectoryOptions {
  /** Membership older than this is read again from Slack, in the background (default 60 s). */
  ttlMs?: number;
  /** Membership older than this (every refresh failed meanwhile) is not used; Slack is asked (default 10 min). */
  maxStaleMs?: number;
  /** One usergroups.users.list call gives up after this long (default 1500 ms). */
  timeoutMs?: number;
}

/**
 * User groups' members from Slack, cached so that authorization needs no Slack call while a request waits for
 * its ack: a membership is read once (at start for the policy's groups), used while fresh, read again in the
 * background once older than the TTL (the old one serving meanwhile), and dropped only when it is too old to
 * trust. A group removal takes effect within about the TTL.
 */
export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { at: number; members: Set<string> }>();
  private readonly inFlight = new Map<string, Promise<Set<string>>>();
  private readonly ttlMs: number;
  private readonly maxStaleMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: UsergroupsClient,
    o: DirectoryOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.ttlMs = o.ttlMs ?? 60_000;
    this.maxStaleMs = o.maxStaleMs ?? 10 * 60_000;
    this.timeoutMs = o.timeoutMs ?? 1500;
  }

  knownMembers(groupId: string): Set<string> | undefined {
    const hit = this.cache.get(groupId);
    if (!hit) return undefined;
    const age = this.now() - hit.at;
    if (age >= this.maxStaleMs) return undefined;
    if (age >= this.ttlMs) void this.read(groupId).catch(() => {}); // serve the old one meanwhile
    return hit.members;
  }

  groupMembers(groupId: string): Promise<Set<string>> {
    const known = this.knownMembers(groupId);
    return known ? Promise.resolve(known) : this.read(groupId);
  }

  /** Read these groups now, in the background (serve does it at start for the policy's groups). */
  warm(groupIds: Iterable<string>): void {
    for (const g of new Set(groupIds)) void this.read(g).catch(() => {});
  }

  /** One usergroups.users.list per group at a time; a failure keeps what was known. */
  private read(groupId: string): Promise<Set<string>> {
    const running = this.inFlight.get(groupId);
    if (running) return running;
    const members = (async () => {
      try {
        const r = await withTimeout(
          this.client.usergroups.users.list({ usergroup: groupId }),
          this.timeoutMs,
          "Slack did not answer in time",
        );
        const set = new Set(r.users ?? []);
        this.cache.set(groupId, { at: this.now(), members: set });
        return set;
      } finally {
        this.inFlight.delete(groupId);
      }
    })();
    this.inFlight.set(groupId, members);
    return members;
  }
}

/** Every user group a policy names (to read at start). */
export function policyGroups(policy: Policy): string[] {
  return [...(policy.diagnose.usergroups ?? []), ...policy.remediate.flatMap((g) => g.usergroups)];
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

export interface DiagnoseRequest {
  user: string;
  channel: string;
  namespace: string;
  /** The addressed cluster (absent: the default cluster). */
  cluster?: string;
}

export function namespaceMatches(patterns: string[], ns: string): boolean {
  return patterns.some((p) => p === "*" || p === ns || (p.endsWith("*") && ns.startsWith(p.slice(0, -1))));
}

/** Does a rule's `clusters` cover `cluster`? No list covers every cluster; no cluster named is `default`. */
export function clusterMatches(patterns: string[] | undefined, cluster: string | undefined): boolean {
  return patterns === undefined || namespaceMatches(patterns, cluster ?? "default");
}

const mentionUser = (u: string) => (u === "*" ? "anyone" : `<@${u}>`);
const mentionGroup = (g: string) => `<!subteam^${g}>`;
const mentionChannel = (c: string) => `<#${c}>`;

export class Authorizer {
  constructor(
    readonly policy: Policy,
    private readonly directory: Directory,
  ) {}

  /** What refusals call the policy: its file name, not the server's path (that is for the operator's log). */
  private get policyName(): string {
    return basename(this.policy.source);
  }

  /** Is `user` listed, or a member of one of `groups`? Group lookups only when needed. */
  private async member(
    user: string,
    users: string[],
    groups: string[],
  ): Promise<{ ok: boolean; lookupErrors: string[] }> {
    if (users.includes("*") || users.includes(user)) return { ok: true, lookupErrors: [] };
    const lookupErrors: string[] = [];
    for (const g of groups) {
      try {
        if ((await this.directory.groupMembers(g)).has(user)) return { ok: true, lookupErrors };
      } catch (e) {
        lookupErrors.push(`could not read user group ${mentionGroup(g)}: ${(e as Error).message}`);
      }
    }
    return { ok: false, lookupErrors };
  }

  /**
   * The diagnose decision from what is known without a remote call (the policy, cached group membership), or
   * undefined when a user group's members are not known yet: then only canDiagnose can decide.
   */
  canDiagnoseNow(req: DiagnoseRequest): Decision | undefined {
    const rule = this.policy.diagnose;
    if (rule.users || rule.usergroups) {
      const users = rule.users ?? [];
      if (!users.includes("*") && !users.includes(req.user)) {
        const groups = rule.usergroups ?? [];
        const known = groups.map((g) => this.directory.knownMembers?.(g));
        if (!known.some((m) => m?.has(req.user)) && known.some((m) => m === undefined)) {
          return this.channelRefusal(req) ?? undefined;
        }
      }
    }
    return this.diagnoseDecision(req, (users, groups) => {
      if (users.includes("*") || users.includes(req.user)) return { ok: true, lookupErrors: [] };
      return {
        ok: groups.some((g) => this.directory.knownMembers?.(g)?.has(req.user) === true),
        lookupErrors: [],
      };
    });
  }

  async canDiagnose(req: DiagnoseRequest): Promise<Decision> {
    const known = this.canDiagnoseNow(req);
    if (known) return known;
    const rule = this.policy.diagnose;
    const m = await this.member(req.user, rule.users ?? [], rule.usergroups ?? []);
    return this.diagnoseDecision(req, () => m);
  }

  private channelRefusal(req: { channel: string }): Decision | undefined {
    const rule = this.policy.diagnose;
    if (rule.channels && !rule.channels.includes(req.channel)) {
      return {
        allowed: false,
        reason: `helm-doctor is not enabled in this channel: the policy (${this.policyName}) allows it only in ${rule.channels.map(mentionChannel).join(", ") || "no channel"}.`,
      };
    }
    return undefined;
  }

  private diagnoseDecision(
    req: DiagnoseRequest,
    member: (users: string[], groups: string[]) => { ok: boolean; lookupErrors: string[] },
  ): Decision {
    const rule = this.policy.diagnose;
    const src = `the policy (${this.policyName})`;
    const channel = this.channelRefusal(req);
    if (channel) return channel;
    if (rule.users || rule.usergroups) {
      const m = member(rule.users ?? [], rule.usergroups ?? []);
      if (!m.ok) {
        const who = [...(rule.users ?? []).map(mentionUser), ...(rule.usergroups ?? []).map(mentionGroup)];
        return {
          allowed: false,
          reason: `you may not run diagnoses: ${src} allows only ${who.join(", ") || "nobody"}.${m.lookupErrors.length ? ` (${m.lookupErrors.join("; ")})` : ""}`,
        };
      }
    }
    if (rule.namespaces && !namespaceMatches(rule.namespaces, req.namespace)) {
      return {
        allowed: false,
        reason: `namespace \`${req.namespace}\` may not be diagnosed from Slack: ${src} allows ${rule.namespaces.map((n) => `\`${n}\``).join(", ")}.`,
      };
    }
    if (!clusterMatches(rule.clusters, req.cluster)) {
      return {
        allowed: false,
        reason: `cluster \`${req.cluster ?? "default"}\` may not be diagnosed from Slack: ${src} allows ${(rule.clusters ?? []).map((c) => `\`${c}\``).join(", ")}.`,
      };
    }
    return { allowed: true };
  }

  async canRemediate(req: {
    user: string;
    channel: string;
    action: string;
    namespace: string;
    /** The release's cluster (absent: the default cluster). */
    cluster?: string;
  }): Promise<Decision> {
    const grants = this.policy.remediate;
    if (grants.length === 0) {
      return {
        allowed: false,
        reason: this.policy.isDefault
          ? "remediation from Slack is off: no policy is configured (HELM_DOCTOR_POLICY), and by default nobody may remediate. An admin can grant it with a `remediate` rule."
          : `nobody may remediate from Slack: the policy (${this.policyName}) has no \`remediate\` grants.`,
      };
    }
    const mine: Grant[] = [];
    const lookupErrors: string[] = [];
    for (const g of grants) {
      const m = await this.member(req.user, g.users, g.usergroups);
      lookupErrors.push(...m.lookupErrors);
      if (m.ok) mine.push(g);
    }
    if (mine.length === 0) {
      return {
        allowed: false,
        reason: `<@${req.user}> has no remediation grant in the policy (${this.policyName}).${lookupErrors.length ? ` (${[...new Set(lookupErrors)].join("; ")})` : ""}`,
      };
    }
    for (const g of mine) {
      const actionOk = g.actions.includes("*") || (g.actions as string[]).includes(req.action);
      const nsOk = namespaceMatches(g.namespaces, req.namespace);
      const chOk = !g.channels || g.channels.includes(req.channel);
      const clusterOk = clusterMatches(g.clusters, req.cluster);
      if (actionOk && nsOk && chOk && clusterOk) return { allowed: true };
    }
    const allowed = mine
      .map(
        (g) =>
          `${g.actions.join(", ")} in ${g.namespaces.map((n) => `\`${n}\``).join(", ")}${g.clusters ? ` of cluster ${g.clusters.map((c) => `\`${c}\``).join(", ")}` : ""}${g.channels ? ` (only in ${g.channels.map(mentionChannel).join(", ")})` : ""}`,
      )
      .join("; ");
    const inCluster = req.cluster && mine.some((g) => g.clusters) ? ` of cluster \`${req.cluster}\`` : "";
    return {
      allowed: false,
      reason: `your grants do not cover ${req.action} in namespace \`${req.namespace}\`${inCluster}${mine.some((g) => g.channels) ? " from this channel" : ""}. You may run: ${allowed}.`,
    };
  }
}
