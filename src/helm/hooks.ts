// Hook ordering and policy defaults as pkg/action/hooks.go applies them.
import type { Hook } from "./types.js";

/** sort.Stable(hookByWeight): weight ascending, then name ascending; equal keys keep stored (kind) order. */
export function hookRunOrder(hooks: readonly Hook[]): Hook[] {
  return hooks
    .map((h, i) => ({ h, i }))
    .sort((a, b) => {
      const wa = a.h.weight ?? 0;
      const wb = b.h.weight ?? 0;
      if (wa !== wb) return wa - wb;
      if (a.h.name !== b.h.name) return a.h.name < b.h.name ? -1 : 1;
      return a.i - b.i;
    })
    .map((x) => x.h);
}

/** Hooks that run for `event`, in run order. */
export function hooksFor(hooks: readonly Hook[] | undefined, event: string): Hook[] {
  return hookRunOrder((hooks ?? []).filter((h) => h.events?.includes(event)));
}

/** A hook with no delete policy runs with [before-hook-creation] (execHook sets it). */
export function effectiveDeletePolicies(h: Hook): string[] {
  return h.delete_policies && h.delete_policies.length > 0 ? h.delete_policies : ["before-hook-creation"];
}

export function hasPolicy(h: Hook, p: string): boolean {
  return effectiveDeletePolicies(h).includes(p);
}

/** Is a hook-created object of this kind something Helm waits on (v3 watchUntilReady: Job, Pod)? */
export function isWaitedKind(kind: string): boolean {
  return kind === "Job" || kind === "Pod";
}

/**
 * Human form of a hook's last run, e.g. "Succeeded after 12s" or "never ran in this revision". Only a Job or Pod
 * runs for a while (Helm waits for nothing else), so other kinds get no duration, and none rounds to "0s".
 */
export function describeLastRun(h: Hook): string {
  const lr = h.last_run;
  if (!lr?.phase) return "never ran in this revision";
  const s = lr.started_at ? Date.parse(lr.started_at) : Number.NaN;
  const c = lr.completed_at ? Date.parse(lr.completed_at) : Number.NaN;
  const ms = c - s;
  const dur = isWaitedKind(h.kind) && Number.isFinite(ms) && ms >= 1000 ? ` after ${formatDuration(ms)}` : "";
  return `${lr.phase}${dur}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
