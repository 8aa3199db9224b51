// What a failing pod says about why, in words a cause can be matched against: a kind the API server does not
// serve (a missing CRD), a database schema that was not migrated, credentials that no longer work. Read from
// the container's termination message (what it wrote to /dev/termination-log, or its last log lines under
// terminationMessagePolicy: FallbackToLogsOnError), its waiting message, the pod's warning events, and log
// lines when the snapshot holds them. Pure.
import type { KubeObject, SnapshotIndex } from "../snapshot/index.js";

export type Signal =
  /** The API server does not serve this kind (its CRD is missing, or the version was removed). */
  | { type: "missing-kind"; kind?: string; group?: string; version?: string; resource?: string; text: string }
  /** The database schema lacks a table or column, or migrations are pending. */
  | { type: "schema"; text: string }
  /** Credentials were refused: a password or key that changed, or was never set. */
  | { type: "auth"; text: string };

interface Pattern {
  re: RegExp;
  make: (m: RegExpExecArray, text: string) => Signal;
}

function groupVersion(gv: string): { group?: string; version?: string } {
  const i = gv.lastIndexOf("/");
  if (i < 0) return { version: gv };
  return { group: gv.slice(0, i), version: gv.slice(i + 1) };
}

const PATTERNS: Pattern[] = [
  {
    re: /no matches for kind "(\w+)" in version "([^"]+)"/,
    make: (m, text) => ({ type: "missing-kind", kind: m[1]!, ...groupVersion(m[2]!), text }),
  },
  {
    re: /no matches for kind "(\w+)" in group "([^"]*)"/,
    make: (m, text) => ({ type: "missing-kind", kind: m[1]!, group: m[2]!, text }),
  },
  {
    // client-go: `the server could not find the requested resource (get certificates.certs.acme.io)`
    re: /could not find the requested resource \((?:get|list|watch|post|patch) ([a-z0-9-]+)\.([\w.-]+)\)/,
    make: (m, text) => ({ type: "missing-kind", resource: m[1]!, group: m[2]!, text }),
  },
  {
    // discovery: `unable to retrieve the complete list of server APIs: certs.acme.io/v1: the server could not find …`
    re: /([\w.-]+\.[a-z]{2,}\/v[\w]+): the server could not find the requested resource/,
    make: (m, text) => ({ type: "missing-kind", ...groupVersion(m[1]!), text }),
  },
  {
    re: /relation "[^"]+" does not exist|column "?[\w.]+"? (?:of relation "[^"]+" )?does not exist|Table '[^']+' doesn't exist|Unknown column '[^']+'|no such table: \S+|no such column: \S+|The (?:table|column) `[^`]+` does not exist|PendingMigrationError|[Mm]igrations? (?:are )?pending|Detected resolved migration not applied to database|schema_migrations|database schema (?:is )?(?:out of date|version mismatch)/,
    make: (_m, text) => ({ type: "schema", text }),
  },
  {
    re: /password authentication failed|Access denied for user '[^']*'@|WRONGPASS|NOAUTH Authentication required|ACCESS_REFUSED - Login was refused|Authentication failed\.?|authentication failed|invalid (?:username or )?password|invalid credentials|SASL authentication failed|Login failed for user/,
    make: (_m, text) => ({ type: "auth", text }),
  },
];

/**
 * Signals in one text (a termination message, an event, a log line). Structured loggers escape quotes inside
 * their fields (controller-runtime's JSON `"error":"… \\"KafkaTopic\\" …"`, klog's `err="…"`), so the text is read
 * with those escapes undone.
 */
export function signalsIn(text: string | undefined): Signal[] {
  if (!text) return [];
  const t = text.replace(/\\+"/g, '"').replace(/\\n/g, "\n");
  const out: Signal[] = [];
  for (const p of PATTERNS) {
    const m = p.re.exec(t);
    if (m) out.push(p.make(m, clip(t, m.index)));
  }
  return out;
}

/** The matched line, short enough to quote. */
function clip(text: string, at: number): string {
  const start = text.lastIndexOf("\n", at) + 1;
  const endNl = text.indexOf("\n", at);
  const line = text.slice(start, endNl < 0 ? undefined : endNl).trim();
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function statusTexts(pod: any): string[] {
  const out: string[] = [];
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    out.push(cs.state?.terminated?.message, cs.lastState?.terminated?.message, cs.state?.waiting?.message);
  }
  return out.filter((t): t is string => typeof t === "string" && t.length > 0);
}

/** Everything a pod says about why it fails, once per pod and snapshot. */
export function podSignals(ix: SnapshotIndex, pod: KubeObject): Signal[] {
  const cache = ix.memo("podSignals", () => new Map<KubeObject, Signal[]>());
  const hit = cache.get(pod);
  if (hit) return hit;
  const texts = [
    ...statusTexts(pod),
    ...ix
      .eventsFor(pod)
      .filter((e) => e.type === "Warning")
      .map((e) => e.message),
    ...ix.logsFor(pod),
  ];
  const seen = new Set<string>();
  const out: Signal[] = [];
  for (const t of texts)
    for (const s of signalsIn(t)) {
      const k = `${s.type}|${s.text}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(s);
    }
  cache.set(pod, out);
  return out;
}

/** Does a missing-kind signal name `kind` of API group `group` (as a CRD defines them)? */
export function namesKind(s: Signal, kind: string, group: string | undefined, plural?: string): boolean {
  if (s.type !== "missing-kind") return false;
  const groupOk = !s.group || !group || s.group === group;
  if (s.kind) return s.kind === kind && groupOk;
  if (s.resource) return !!plural && s.resource === plural && groupOk;
  // Only a group/version: the CRD's group must match.
  return !!s.group && !!group && s.group === group;
}

export interface SignalMatch {
  workload: { kind: string; name: string; namespace: string };
  pod: KubeObject;
  signal: Signal;
}

/**
 * Pods of `workloads` that say what `test` looks for, optionally only those created after `since` (ms; with a
 * minute of slack for the clocks of Helm's client and the API server): the evidence that links a cause to the
 * pods it breaks.
 */
export function podsSaying(
  ix: SnapshotIndex,
  workloads: { kind: string; name: string; namespace: string; pods: KubeObject[] }[],
  test: (s: Signal) => boolean,
  since?: number,
): SignalMatch[] {
  const out: SignalMatch[] = [];
  for (const w of workloads) {
    for (const pod of w.pods) {
      if (since !== undefined && Number.isFinite(since)) {
        const created = Date.parse(pod.metadata?.creationTimestamp ?? "");
        if (Number.isFinite(created) && created < since - 60_000) continue;
      }
      const s = podSignals(ix, pod).find(test);
      if (s) out.push({ workload: { kind: w.kind, name: w.name, namespace: w.namespace }, pod, signal: s });
    }
  }
  return out;
}
