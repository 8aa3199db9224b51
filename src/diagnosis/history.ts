// What a release's stored history says happened: which operation wrote each revision, how far it got, which
// hooks ran in it, which records hold it. Shared by the analyzers; pure.
import { kindKey, type ResourceRef } from "../helm/keys.js";
import { parseYamlObject } from "../helm/manifest.js";
import { helmErrorText } from "../helm/output.js";
import type { Hook, Release, ReleaseRecord } from "../helm/types.js";
import type { SnapshotIndex } from "../snapshot/index.js";
import { ATOMIC, classifyHelmError, type HelmError } from "./helm-errors.js";
import type { Evidence } from "./types.js";

export type Operation = "install" | "upgrade" | "rollback";

/** The record that holds revision `rel`. */
export function recordFor(ix: SnapshotIndex, rel: Release): ReleaseRecord | undefined {
  return ix.snapshot.records.find((r) => r.release === rel);
}

/** The Secret/ConfigMap that stores revision `rel`, as a resource reference. */
export function recordResource(ix: SnapshotIndex, rel: Release): ResourceRef {
  const rec = recordFor(ix, rel);
  return {
    kind: rec?.driver === "configmap" ? "ConfigMap" : "Secret",
    name: rec?.objectName ?? `sh.helm.release.v1.${rel.name}.v${rel.version}`,
    namespace: rec?.objectNamespace || rel.namespace || ix.namespace,
  };
}

export function recordKey(ix: SnapshotIndex, rel: Release): string {
  const r = recordResource(ix, rel);
  return kindKey(r.kind, r.namespace ?? ix.namespace, r.name);
}

/**
 * The folding key for "why revision N of this release failed or is stuck". `release-failed` is about it; a
 * finding that explains the failure lists it in `explains`, and `release-failed` then becomes its evidence.
 */
export function revisionKey(ix: SnapshotIndex, version: number): string {
  return kindKey("HelmRevision", ix.namespace, `${ix.snapshot.release}.v${version}`);
}

/** First line of a (possibly multi-line, "1 error occurred:\n\t* …") Helm error, tidied for a title. */
export function oneLine(s: string, max = 160): string {
  const t = s
    .replace(/\d+ errors? occurred:\s*\*?\s*/g, "")
    .replace(/\s*\n\s*\*?\s*/g, "; ")
    .replace(/\s+/g, " ")
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A revision's description on one line, as Helm wrote it (for quoting). */
export function descriptionOf(rel: Release): string {
  return (rel.info.description ?? "").replace(/\s*\n\s*/g, " ").trim();
}

/** "status failed, description "…" (2026-…)" — what Helm recorded for a revision. */
export function revisionEvidence(rel: Release): Evidence {
  const desc = descriptionOf(rel);
  return {
    source: `revision ${rel.version}`,
    detail: `status ${rel.info.status}${desc ? `, description "${desc}"` : ""}${rel.info.last_deployed ? ` (${rel.info.last_deployed})` : ""}`,
  };
}

/** A record written by an SDK caller that stored a dry run ("Dry run complete"): Helm's CLI never stores one. */
export function isStoredDryRun(rel: Release): boolean {
  return (rel.info.description ?? "").trim() === "Dry run complete";
}

/**
 * Which operation wrote revision `rel`, from the status and Helm's own description texts
 * (pkg/action/install.go, upgrade.go, rollback.go). `Release "x" failed: …` is written by a failed install and by
 * a rollback whose --wait failed; a custom --description hides the operation, and then the position in history
 * decides: a first revision (or one after an uninstall) is an install, anything else an upgrade.
 */
export function operationOf(ix: SnapshotIndex, rel: Release): Operation {
  const s = rel.info.status;
  if (s === "pending-install") return "install";
  if (s === "pending-rollback") return "rollback";
  if (s === "pending-upgrade") return "upgrade";
  const d = rel.info.description ?? "";
  if (/^Rollback (to \d+|")/.test(d)) return "rollback";
  if (/^Upgrade "/.test(d) || d.startsWith("Preparing upgrade") || d.startsWith("Upgrade complete"))
    return "upgrade";
  if (d.startsWith("Initial install underway") || d.startsWith("Install complete")) return "install";
  const prev = ix.previous(rel);
  const first = !prev || prev.info.status === "uninstalled";
  if (/^Release "[^"]*" failed/.test(d)) return first ? "install" : "rollback";
  return first ? "install" : "upgrade";
}

export function hookEventsOf(op: Operation): [string, string] {
  return [`pre-${op}`, `post-${op}`];
}

/** The revision a rollback record copied: "Rollback to K", else the newest earlier revision with its manifest. */
export function rollbackSource(ix: SnapshotIndex, r: Release): Release | undefined {
  const m = /^Rollback to (\d+)/.exec(r.info.description ?? "");
  if (m) return ix.revision(Number(m[1]));
  return ix.releases.filter((x) => x.version < r.version && x.manifest === r.manifest).pop();
}

/**
 * The manifest Helm compared the new one against when it wrote `r` (its Update's "current"): Last() for a
 * rollback; for an upgrade Deployed(), else the newest failed or superseded revision (pkg/action/upgrade.go).
 */
export function baseOf(ix: SnapshotIndex, r: Release): Release | undefined {
  const older = ix.releases.filter((x) => x.version < r.version);
  if (older.length === 0) return undefined;
  if (operationOf(ix, r) === "rollback") return older[older.length - 1];
  for (let i = older.length - 1; i >= 0; i--) if (older[i]!.info.status === "deployed") return older[i];
  for (let i = older.length - 1; i >= 0; i--) {
    const s = older[i]!.info.status;
    if (s === "superseded" || s === "failed") return older[i];
  }
  return older[older.length - 1];
}

/** The revision a rollback should target: the last deployed, else the newest superseded, before `before`. */
export function rollbackTarget(ix: SnapshotIndex, before: number): Release | undefined {
  const older = ix.releases.filter((r) => r.version < before);
  for (const st of ["deployed", "superseded"]) {
    for (let i = older.length - 1; i >= 0; i--) if (older[i]!.info.status === st) return older[i];
  }
  return undefined;
}

/** The newest revision older than `version` that Helm deployed successfully (deployed or superseded). */
export function lastGoodBefore(ix: SnapshotIndex, version: number): Release | undefined {
  for (let i = ix.releases.length - 1; i >= 0; i--) {
    const r = ix.releases[i]!;
    if (r.version < version && (r.info.status === "deployed" || r.info.status === "superseded")) return r;
  }
  return undefined;
}

/** Revisions that are attempts not (yet) superseded by success: failed and pending ones at the end of history. */
export function recentAttempts(ix: SnapshotIndex): Release[] {
  const out: Release[] = [];
  for (let i = ix.releases.length - 1; i >= 0; i--) {
    const r = ix.releases[i]!;
    const s = r.info.status;
    if (s === "failed" || s.startsWith("pending-")) out.push(r);
    else if (/^Rollback to \d+/.test(r.info.description ?? ""))
      continue; // an automatic (atomic) rollback
    else break;
  }
  return out;
}

/**
 * Did this hook's last_run happen during revision `rel`? Rollback records copy their target's hooks together
 * with the target's old last_run, so a phase there may describe another revision's run.
 */
export function ranIn(h: Hook, rel: Release): boolean {
  if (!h.last_run?.phase) return false;
  const started = Date.parse(h.last_run.started_at ?? "");
  const begun = Date.parse(rel.info.last_deployed ?? "");
  if (!Number.isFinite(started) || !Number.isFinite(begun)) return true;
  return started >= begun - 1000;
}

/** The hook event a failed revision's description names (`pre-upgrade hooks failed`, `failed pre-install`). */
export function failedHookEvent(desc: string | undefined): string | undefined {
  const m =
    /\b(pre|post)-(install|upgrade|rollback|delete) hooks failed|\bfailed (pre|post)-(install|upgrade|rollback|delete)\b/.exec(
      desc ?? "",
    );
  if (!m) return undefined;
  return m[1] ? `${m[1]}-${m[2]}` : `${m[3]}-${m[4]}`;
}

export function isTimeoutText(s: string | undefined): boolean {
  return /timed out waiting for the condition|context deadline exceeded/.test(s ?? "");
}

/** How far the operation that wrote `rel` got, as Helm's action code orders its steps. */
export type Progress =
  /** Every step ran (deployed, superseded). */
  | "complete"
  /** It stopped before applying the manifest (a pre-* hook, or earlier). */
  | "before-update"
  /** Applying the manifest failed: some objects may have been created or patched, none deleted. */
  | "in-update"
  /** The manifest was applied and old objects deleted; it stopped waiting or in the post-* hooks. */
  | "after-update"
  /** A pending record: Helm stopped somewhere, and the record cannot say exactly where. */
  | "unknown";

/**
 * Where the operation that wrote `rel` stopped. Helm's upgrade and rollback run pre-* hooks, then Update
 * (create/patch, and only after all succeed, delete what left the manifest), then --wait, then post-* hooks
 * (pkg/action/upgrade.go releasingUpgrade, rollback.go performRollback, pkg/kube/client.go Update).
 */
export function progressOf(ix: SnapshotIndex, rel: Release): Progress {
  const s = rel.info.status;
  if (s === "deployed" || s === "superseded") return "complete";
  const op = operationOf(ix, rel);
  const [pre, post] = hookEventsOf(op);
  if (s.startsWith("pending-")) {
    const hooks = rel.hooks ?? [];
    if (hooks.some((h) => h.events.includes(post) && ranIn(h, rel))) return "after-update";
    const preHooks = hooks.filter((h) => h.events.includes(pre));
    if (preHooks.some((h) => ranIn(h, rel) && h.last_run?.phase !== "Succeeded")) return "before-update";
    if (preHooks.length > 0 && !preHooks.some((h) => ranIn(h, rel))) return "before-update";
    return "unknown";
  }
  if (s !== "failed") return "unknown";
  const d = rel.info.description ?? "";
  const event = failedHookEvent(d);
  if (event === pre || (event?.startsWith("pre-") ?? false)) return "before-update";
  if (event?.startsWith("post-")) return "after-update";
  if (isTimeoutText(d) || /\bnot ready\b|is not ready|status: InProgress/.test(d)) return "after-update";
  if (
    /cannot patch|failed to create|failed to replace|is invalid|is forbidden|admission webhook|denied the request|conflict occurred while applying|unable to build kubernetes objects|no matches for kind|ensure CRDs are installed first|already exists|with the name .* not found/.test(
      d,
    )
  )
    return "in-update";
  return "unknown";
}

/** Did the operation that wrote `rel` reach the step where Update deletes objects that left the manifest? */
export function deletedLeftovers(ix: SnapshotIndex, rel: Release): boolean | "maybe" {
  const p = progressOf(ix, rel);
  if (p === "complete" || p === "after-update") return true;
  if (p === "unknown") return "maybe";
  return false;
}

/** A read gap that concerns `words` (e.g. "events", "jobs"). */
export function gapFor(ix: SnapshotIndex, ...words: string[]) {
  return ix.snapshot.gaps.find((g) => words.some((w) => g.what.toLowerCase().includes(w.toLowerCase())));
}

/** A read gap that concerns objects of `kind` (or everything). */
export function readGap(ix: SnapshotIndex, kind: string) {
  const k = kind.toLowerCase();
  return ix.snapshot.gaps.find((g) => {
    const w = g.what.toLowerCase();
    return w.includes(k) || w === "objects" || w === "all";
  });
}

/**
 * "live cluster: Kind ns/name does not exist" — or, when a read gap may hide it, that it was not found and which
 * read fell short. `gone` is added to the plain sentence (e.g. " (any more)").
 */
export function absentEvidence(
  kind: string,
  namespace: string,
  name: string,
  gap: { what: string; reason: string } | undefined,
  gone = "",
): Evidence {
  return {
    source: "live cluster",
    detail: gap
      ? `${kind} ${namespace}/${name} was not found, but ${gap.what} could not be fully read (${gap.reason})`
      : `${kind} ${namespace}/${name} does not exist${gone}`,
  };
}

/**
 * `explains` keys for a finding that explains why revision `rel` failed or is stuck: the revision's key while it
 * is the latest and not healthy (release-failed is about exactly that revision).
 */
export function failureKeys(ix: SnapshotIndex, rel: Release): string[] {
  const latest = ix.latest();
  if (latest !== rel) return [];
  const s = rel.info.status;
  return s === "deployed" || s === "superseded" ? [] : [revisionKey(ix, rel.version)];
}

/**
 * The newest revision before `r` that mentions the object, if it has it as a hook (and not in its manifest):
 * a hook copy has no ownership metadata, so Helm cannot adopt it as a regular resource.
 */
export function hookBefore(
  ix: SnapshotIndex,
  r: Release,
  obj: { key: string; kind: string; name: string; namespace: string },
): { rel: Release; hook: Hook } | undefined {
  for (let i = ix.releases.length - 1; i >= 0; i--) {
    const x = ix.releases[i]!;
    if (x.version >= r.version) continue;
    if (ix.manifest(x).some((d) => d.key === obj.key)) return undefined;
    const hook = (x.hooks ?? []).find((h) => {
      if (h.kind !== obj.kind || h.name !== obj.name) return false;
      const ns = parseYamlObject(h.manifest).object?.metadata?.namespace || x.namespace || ix.namespace;
      return ns === obj.namespace;
    });
    if (hook) return { rel: x, hook };
  }
  return undefined;
}

/** Failed attempts not superseded by a success (an atomic rollback after them does not count as one). */
export function failedAttempts(ix: SnapshotIndex): Release[] {
  return recentAttempts(ix).filter((r) => r.info.status === "failed");
}

/** A failed helm command's output, given as evidence, and what it says. */
export interface OutputFailure {
  /** Helm's error, as it printed it (CI runners' decorations removed). */
  text: string;
  errors: HelmError[];
  /** The operation that failed, from the CLI's own prefix (`Error: UPGRADE FAILED: …`). */
  op: Operation | "uninstall";
  /** --atomic (Helm 4: --rollback-on-failure) rolled the failed upgrade back, or uninstalled the failed install. */
  atomic?: "rolled back" | "uninstalled";
  /** The same failure is also stored: a failed revision (the latest, or one an atomic rollback followed) says it. */
  recorded: boolean;
}

/** The failure in the helm output the snapshot carries, if it holds a Helm error. */
export function outputFailure(ix: SnapshotIndex): OutputFailure | undefined {
  const raw = ix.snapshot.helmOutput;
  if (!raw?.trim()) return undefined;
  return ix.memo("outputFailure", () => {
    // Only Helm's error: helm prints warnings and progress before it, a CI runner its own lines after it.
    const errorText = helmErrorText(raw);
    if (!errorText) return undefined;
    const errors = classifyHelmError(errorText).filter((e) => e.text.trim().length > 0);
    if (errors.length === 0) return undefined;
    const op: OutputFailure["op"] =
      /INSTALLATION FAILED|Unable to continue with install|cannot re-use a name/.test(errorText)
        ? "install"
        : /UPGRADE FAILED/.test(errorText)
          ? "upgrade"
          : /ROLLBACK FAILED|Rollback "[^"]*" failed|\brollback\b/i.test(errorText)
            ? "rollback"
            : /UNINSTALLATION FAILED|\buninstall/i.test(errorText)
              ? "uninstall"
              : "upgrade";
    const am = ATOMIC.exec(errorText);
    const atomic = am ? (am[1] as "rolled back" | "uninstalled") : undefined;
    const flat = (s: string) => s.replace(/\s+/g, " ");
    const says = (r: Release) =>
      r.info.status === "failed" &&
      errors.every((e) => flat(r.info.description ?? "").includes(flat(e.text).slice(0, 80)));
    const latest = ix.latest();
    const recorded = (!!latest && says(latest)) || failedAttempts(ix).some(says);
    return { text: errorText, errors, op, ...(atomic ? { atomic } : {}), recorded };
  });
}

/** The folding key for "the failure the helm output shows" (release-failed's output finding is about it). */
export function outputKey(ix: SnapshotIndex): string {
  return kindKey("HelmOutput", ix.namespace, ix.snapshot.release);
}

/** `explains` keys for a finding that explains the failure in the helm output (when that is not also stored). */
export function outputKeys(ix: SnapshotIndex, test: (e: HelmError) => boolean): string[] {
  const f = outputFailure(ix);
  return f && !f.recorded && f.errors.some(test) ? [outputKey(ix)] : [];
}

/**
 * How far the Helm client's clock was off when it wrote the record: the API server stamped the record object
 * (creationTimestamp, server time) when Helm created it and labelled it createdAt (client time, Unix seconds)
 * — and Helm sets last_deployed from the same clock moments before. Positive: the client's clock is behind.
 */
export function clientSkewMs(ix: SnapshotIndex, rel: Release): number {
  const rec = recordFor(ix, rel);
  const server = Date.parse(rec?.creationTimestamp ?? "");
  const label = rec?.labels.createdAt;
  const client =
    label && /^\d+$/.test(label) && Number(label) > 1_000_000_000
      ? Number(label) * 1000
      : Date.parse(rel.info.last_deployed ?? "");
  if (!Number.isFinite(server) || !Number.isFinite(client)) return 0;
  const skew = server - client;
  // Seconds of difference are the time between Helm's clock reading and the API call, not skew.
  return Math.abs(skew) > 60_000 ? skew : 0;
}

/** A time the Helm client wrote into `rel` (last_deployed, hook runs), on the cluster's clock, in ms (NaN when unknown). */
export function clusterTime(ix: SnapshotIndex, rel: Release, ts: string | undefined): number {
  const t = Date.parse(ts ?? "");
  return Number.isFinite(t) ? t + clientSkewMs(ix, rel) : Number.NaN;
}
