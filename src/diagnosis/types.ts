// Findings: what an analyzer concludes, with its evidence and the actions that fix it.
import type { ResourceRef } from "../helm/keys.js";
import type { Gap } from "../snapshot/types.js";

export type Severity = "critical" | "warning" | "info";

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export type { FindingCode } from "./registry.js";

import type { FindingCode } from "./registry.js";

export type RemediationAction =
  | "rerun-upgrade"
  | "rollback"
  | "restore-hook-resources"
  | "delete-leftover-hook"
  | "chart-fix"
  | "manual";

/** Actions helm-doctor can carry out (the others are advice): the one list CLI, Slack, queue and policy use. */
export const EXECUTABLE_ACTIONS = [
  "rerun-upgrade",
  "rollback",
  "restore-hook-resources",
  "delete-leftover-hook",
] as const satisfies readonly RemediationAction[];
export type ExecutableAction = (typeof EXECUTABLE_ACTIONS)[number];

export function isExecutableAction(action: string): action is ExecutableAction {
  return (EXECUTABLE_ACTIONS as readonly string[]).includes(action);
}

export interface Remediation {
  action: RemediationAction;
  /** rerun-upgrade: the revision whose contents are re-run; rollback: the target; restore: the revision whose hooks are used. */
  revision?: number;
  summary: string;
  resources?: ResourceRef[];
  /** Proven on the snapshot: the plan carried out on it leaves the finding (and its symptoms) gone, nothing new critical. */
  verified?: boolean;
  /** The finding codes left after it, as predicted. */
  predicted?: string[];
  /** The one to try first among a finding's proven fixes (set when the diagnosis is presented). */
  recommended?: boolean;
  /** Why it is not a fix, when it is not verified. */
  reason?: string;
  /** A fix only as the first of two steps: the remediation that must follow it (delete a leftover, then re-run). */
  followedBy?: { action: RemediationAction; revision?: number; resources?: ResourceRef[] };
}

export interface Evidence {
  source: string;
  detail: string;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  title: string;
  explanation: string;
  resources: ResourceRef[];
  revisions: number[];
  evidence: Evidence[];
  remediations: Remediation[];
  /** What it means for the release's users, in one line (who is down and since when), when that can be said. */
  impact?: string;
  /** Root cause or symptom; symptoms a root cause explains are folded into it. */
  role: "root" | "symptom";
  /** Root causes: keys (kindKey) of objects whose failures this finding explains. */
  explains?: string[];
  /** Symptoms: keys of the objects the symptom is about and the objects it blames. */
  about?: string[];
  /**
   * The severity this finding lends the cause it is folded into, when the cause knows better than this one
   * (release-failed: a failed revision whose cause is since fixed is a warning, not critical). Default: its own.
   */
  lends?: Severity;
}

export interface RevisionSummary {
  revision: number;
  status: string;
  chart: string;
  appVersion: string;
  description: string;
  updated: string;
  /** A stored record that could not be decoded: why, and the record object's name. */
  error?: string;
  record?: string;
}

export interface Diagnosis {
  release: string;
  namespace: string;
  revision?: number;
  status?: string;
  chart?: string;
  appVersion?: string;
  revisions: RevisionSummary[];
  findings: Finding[];
  gaps: Gap[];
  now: string;
  source: string;
}
