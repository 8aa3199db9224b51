// The routing file (HELM_DOCTOR_ROUTES, YAML): which channel gets the unasked report of a release (by cluster,
// namespace or release label; the first matching route wins, else the default channel), the default cluster of
// commands typed in a channel, and the per-channel limit of new unasked messages. Parsing and matching are pure;
// an invalid file refuses to start, naming the path inside it and what is wrong.
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import * as z from "zod";
import { CLUSTER_NAME_RE } from "../queue/schemas.js";

const CHANNEL_RE = /^[CG][A-Z0-9]{2,}$/;
const NS_PATTERN_RE = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?|[a-z0-9][-a-z0-9]*\*)$/;

const channelId = z.string().regex(CHANNEL_RE, {
  message: "is not a Slack channel ID (C… or G…; open the channel details to copy it)",
});
const cluster = z.string().regex(CLUSTER_NAME_RE, {
  message: 'is not a cluster name (lowercase letters, digits and "-", at most 40)',
});
const nsPattern = z.string().regex(NS_PATTERN_RE, {
  message: 'is not a namespace, "*" or a prefix pattern such as "team-*"',
});

const routeSchema = z
  .strictObject({
    channel: channelId,
    clusters: z.array(cluster).min(1).optional(),
    namespaces: z.array(nsPattern).min(1).optional(),
    releaseLabels: z.record(z.string(), z.string()).optional(),
  })
  .refine((r) => r.clusters || r.namespaces || r.releaseLabels, {
    message: "matches everything: give clusters, namespaces or releaseLabels (or use `default`)",
  });

const routesSchema = z.strictObject({
  version: z.literal(1, { message: "must be 1" }).optional(),
  default: channelId.optional(),
  routes: z.array(routeSchema).optional(),
  channels: z
    .record(z.string().regex(CHANNEL_RE, { message: "is not a channel ID" }), z.strictObject({ cluster }))
    .optional(),
  rateLimit: z
    .strictObject({
      messages: z.number().int().min(1).max(1000),
      minutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60),
    })
    .optional(),
});

export interface Route {
  channel: string;
  clusters?: string[];
  namespaces?: string[];
  releaseLabels?: Record<string, string>;
}

export interface Routes {
  source: string;
  /** The channel when no route matches (the file's `default`, else HELM_DOCTOR_ALERT_CHANNEL). */
  defaultChannel?: string;
  routes: Route[];
  /** The cluster a channel's commands address when they name none. */
  channelClusters: Record<string, string>;
  /** New unasked messages per channel within `minutes` (default 10 in 10 minutes). */
  rateLimit: { messages: number; minutes: number };
}

export const DEFAULT_RATE_LIMIT = { messages: 10, minutes: 10 };

export class RoutesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RoutesError";
  }
}

function pathString(path: readonly PropertyKey[]): string {
  return (
    path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("") ||
    "(top level)"
  );
}

/** Parse and validate a routing file's text. */
export function parseRoutes(text: string, file: string, alertChannel?: string): Routes {
  let value: unknown;
  try {
    value = parse(text);
  } catch (e) {
    throw new RoutesError(
      `HELM_DOCTOR_ROUTES ${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const parsed = routesSchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new RoutesError(
      parsed.error.issues
        .slice(0, 10)
        .map((i) => `HELM_DOCTOR_ROUTES ${file}: ${pathString(i.path)}: ${i.message}`)
        .join("\n"),
    );
  }
  const p = parsed.data;
  const def = p.default ?? alertChannel;
  return {
    source: file,
    ...(def ? { defaultChannel: def } : {}),
    routes: (p.routes ?? []).map((r) => ({
      channel: r.channel,
      ...(r.clusters ? { clusters: r.clusters } : {}),
      ...(r.namespaces ? { namespaces: r.namespaces } : {}),
      ...(r.releaseLabels ? { releaseLabels: r.releaseLabels } : {}),
    })),
    channelClusters: Object.fromEntries(Object.entries(p.channels ?? {}).map(([c, v]) => [c, v.cluster])),
    rateLimit: p.rateLimit ?? DEFAULT_RATE_LIMIT,
  };
}

/** No file: everything goes to HELM_DOCTOR_ALERT_CHANNEL. */
export function defaultRoutes(alertChannel?: string): Routes {
  return {
    source: "HELM_DOCTOR_ALERT_CHANNEL",
    ...(alertChannel ? { defaultChannel: alertChannel } : {}),
    routes: [],
    channelClusters: {},
    rateLimit: DEFAULT_RATE_LIMIT,
  };
}

export async function loadRoutes(file: string | undefined, alertChannel?: string): Promise<Routes> {
  if (!file) return defaultRoutes(alertChannel);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new RoutesError(`HELM_DOCTOR_ROUTES ${file}: cannot read it: ${(e as Error).message}`);
  }
  return parseRoutes(text, file, alertChannel);
}

function nsMatches(patterns: string[], ns: string): boolean {
  return patterns.some((p) => p === "*" || p === ns || (p.endsWith("*") && ns.startsWith(p.slice(0, -1))));
}

/** The channel of a release's unasked report, or undefined when nothing routes it anywhere. */
export function routeFor(
  routes: Routes,
  r: { cluster: string; namespace: string; labels: Record<string, string> },
): string | undefined {
  for (const route of routes.routes) {
    if (route.clusters && !route.clusters.includes(r.cluster)) continue;
    if (route.namespaces && !nsMatches(route.namespaces, r.namespace)) continue;
    if (route.releaseLabels && !Object.entries(route.releaseLabels).every(([k, v]) => r.labels[k] === v))
      continue;
    return route.channel;
  }
  return routes.defaultChannel;
}
