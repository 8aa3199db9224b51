// Queue names and job payloads: zod schemas at the boundary (job data is read back from Redis, written by
// another process, possibly another version).
import * as z from "zod";
import { EXECUTABLE_ACTIONS, type ExecutableAction } from "../diagnosis/types.js";
import { namespaceProblem, releaseNameProblem } from "../helm/names.js";

/** BullMQ queue names (the Redis prefix comes from HELM_DOCTOR_QUEUE_PREFIX). */
export const QUEUES = { diagnose: "diagnose", remediate: "remediate" } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The cluster of a single-cluster install (HELM_DOCTOR_CLUSTER unset): its queues keep their plain names. */
export const DEFAULT_CLUSTER = "default";
/** A cluster name: a lowercase DNS label of at most 40 characters. */
export const CLUSTER_NAME_RE = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

/**
 * The BullMQ queue of `cluster`: each cluster's agent consumes only its own (`diagnose.prod`, `remediate.prod`);
 * the default cluster's are `diagnose` and `remediate`, as before clusters existed. Job ids are unique across
 * clusters, so helm-doctor's own per-job keys keep the plain queue name.
 */
export function queueName(queue: QueueName, cluster: string = DEFAULT_CLUSTER): string {
  return cluster === DEFAULT_CLUSTER ? queue : `${queue}.${cluster}`;
}

/** `{ cluster }` for a named cluster, nothing for the default one: what payloads and messages carry. */
export function namedCluster(cluster: string | undefined): { cluster?: string } {
  return cluster && cluster !== DEFAULT_CLUSTER ? { cluster } : {};
}

/** "prod/shop/yahoo" for a named cluster, "shop/yahoo" for the default one. */
export function releaseRef(t: { cluster?: string; namespace: string; release: string }): string {
  return `${t.cluster && t.cluster !== DEFAULT_CLUSTER ? `${t.cluster}/` : ""}${t.namespace}/${t.release}`;
}

/**
 * Job names: the `diagnose` queue runs diagnoses and `list`s; the `remediate` queue makes `plan`s (dry runs, on a
 * report button) and runs confirmed remediations (`remediate`).
 */
export const JOBS = { diagnose: "diagnose", list: "list", plan: "plan", remediate: "remediate" } as const;

const releaseName = z.string().refine((v) => releaseNameProblem(v) === undefined, {
  message: "is not a valid Helm release name",
});
const namespace = z.string().refine((v) => namespaceProblem(v) === undefined, {
  message: "is not a valid namespace",
});
const userId = z.string().regex(/^[UW][A-Z0-9]+$/);
const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/);
const iso = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: "is not a time" });
const messageTs = z.string().regex(/^\d+\.\d+$/);
/** Opaque ids (diagnoses, plans): what buttons carry. */
export const OPAQUE_ID_RE = /^[A-Za-z0-9_-]{8,128}$/;
const opaqueId = z.string().regex(OPAQUE_ID_RE);
const clusterName = z.string().regex(CLUSTER_NAME_RE);
const slackUser = z.object({ id: userId, name: z.string().max(128).optional() });
const resourceRef = z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional() });

/** The most of a failed helm command's output a job carries (its error lines; UTF-8 bytes). */
export const HELM_OUTPUT_MAX_BYTES = 4096;
const helmOutput = z
  .string()
  .min(1)
  .refine((v) => Buffer.byteLength(v, "utf8") <= HELM_OUTPUT_MAX_BYTES, {
    message: `is longer than ${HELM_OUTPUT_MAX_BYTES} bytes`,
  });

export const diagnoseJobSchema = z
  .object({
    release: releaseName,
    namespace,
    /** Who asked; absent for a diagnosis nobody asked for (`unasked`). */
    requestedBy: userId.optional(),
    channel: channelId,
    requestedAt: iso,
    /** The slash command as the user typed it ("/helm-doctor"), for hints in messages. */
    command: z.string().max(64).optional(),
    /** The failed helm command's output (from a message shortcut): evidence for failures that stored no revision. */
    helmOutput: helmOutput.optional(),
    /** The cluster whose agent runs the job (absent: the default cluster). */
    cluster: clusterName.optional(),
    /** Asked for by `helm-doctor watch`: what it saw ("revision 3 turned failed"). */
    unasked: z.object({ trigger: z.string().max(40), reason: z.string().max(300) }).optional(),
  })
  .refine((j) => j.requestedBy !== undefined || j.unasked !== undefined, {
    message: "a diagnosis is asked for by someone (requestedBy) or by the watcher (unasked)",
    path: ["requestedBy"],
  });
export type DiagnoseJob = z.infer<typeof diagnoseJobSchema>;

export const listJobSchema = z.object({
  namespace,
  requestedBy: userId,
  channel: channelId,
  requestedAt: iso,
  command: z.string().max(64).optional(),
  cluster: clusterName.optional(),
});
export type ListJob = z.infer<typeof listJobSchema>;

export const executableAction = z.enum(EXECUTABLE_ACTIONS);
export type { ExecutableAction };

/**
 * A remediation job, in two phases (one payload shape):
 * - `plan` (job name `plan`, from a report button): a dry run against the cluster; the plan is stored under a new
 *   plan id and posted in the report's thread with Confirm / Cancel buttons. Nothing is written to the cluster.
 * - `execute` (job name `remediate`, from Confirm): runs the confirmed plan. The engine refuses when the release's
 *   latest revision is no longer `expectedRevision` ("release moved on"), names `user` (who confirmed) in the new
 *   revision's description (the audit trail in `helm history`), and uses `planId` as its operation id, so a job
 *   that runs again finds the revision it wrote instead of writing another.
 */
export const remediateJobSchema = z
  .object({
    /** The stored diagnosis the report button belonged to. */
    diagnosisId: z.string().min(8).max(128),
    action: executableAction,
    /** rollback: the target; rerun-upgrade: the revision re-run; restore-hook-resources: whose hooks. */
    revision: z.number().int().positive().optional(),
    /** plan: the latest revision the diagnosis saw; execute: the latest revision the plan saw. */
    expectedRevision: z.number().int().positive(),
    release: releaseName,
    namespace,
    /** Objects the remediation is about (restore / delete), from the diagnosis. */
    resources: z.array(resourceRef).default([]),
    /** plan: who pressed the report button; execute: who confirmed the plan. */
    user: slackUser,
    /** Where the report is: its channel and the report message (the thread parent). */
    channel: channelId,
    messageTs,
    requestedAt: iso,
    /** Default `plan`: a payload without a phase never writes to the cluster. */
    phase: z.enum(["plan", "execute"]).default("plan"),
    /** The report button's position (the stored diagnosis's remediation index). */
    buttonIndex: z.number().int().min(0).max(99).optional(),
    /** The button's label ("Roll back to revision 1"), for messages. */
    label: z.string().max(200).optional(),
    /** execute: the confirmed plan (also the engine's operation id). */
    planId: opaqueId.optional(),
    /** execute: the plan message in the thread (updated with progress and the result). */
    planTs: messageTs.optional(),
    /** execute: who asked for the plan, when someone else confirmed it. */
    requester: slackUser.optional(),
    /** The cluster of the release (absent: the default cluster): only that cluster's agent runs the job. */
    cluster: clusterName.optional(),
  })
  .refine((j) => j.action !== "rollback" || j.revision !== undefined, {
    message: "a rollback needs the target revision",
    path: ["revision"],
  })
  .refine((j) => j.phase !== "execute" || (j.planId !== undefined && j.planTs !== undefined), {
    message: "an execution needs the confirmed plan (planId, planTs)",
    path: ["planId"],
  });
export type RemediateJob = z.infer<typeof remediateJobSchema>;
/** What producers accept (defaults not yet applied). */
export type RemediateJobInput = z.input<typeof remediateJobSchema>;

const messageSchema = z.object({ text: z.string(), blocks: z.array(z.any()) });
export type StoredMessage = z.infer<typeof messageSchema>;

/**
 * A plan made from a report button, kept in Redis with a TTL; its Confirm / Cancel buttons carry only its id. The
 * claim (confirmed or cancelled, by whom) is a separate key, set once.
 */
export const storedPlanSchema = z.object({
  id: opaqueId,
  diagnosisId: z.string().min(8).max(128),
  buttonIndex: z.number().int().min(0).optional(),
  label: z.string(),
  action: executableAction,
  revision: z.number().int().positive().optional(),
  resources: z.array(resourceRef).default([]),
  release: releaseName,
  namespace,
  /** The latest revision the plan was made against: the execution's expectedRevision. */
  expectedRevision: z.number().int().positive(),
  /** Revision the operation will write (rerun-upgrade, rollback). */
  newRevision: z.number().int().positive().optional(),
  requestedBy: slackUser,
  channel: channelId,
  /** The report message (thread parent). */
  reportTs: messageTs,
  /** The plan message in the thread (known once posted). */
  planTs: messageTs.optional(),
  /** The plan as shown, without its buttons and footer: re-used when the message changes state. */
  head: messageSchema,
  /** False when this helm-doctor cannot write to the cluster (it reads a bundle file). */
  executable: z.boolean(),
  /** The cluster of the release (absent: the default cluster). */
  cluster: clusterName.optional(),
  createdAt: iso,
  expiresAt: iso,
});
export type StoredPlan = z.infer<typeof storedPlanSchema>;

export const planClaimSchema = z.object({
  state: z.enum(["confirmed", "cancelled"]),
  user: userId,
  at: iso,
});
export type PlanClaim = z.infer<typeof planClaimSchema>;

/** What a report button refers to: kept in Redis with a TTL, never put into a button. */
export const storedDiagnosisSchema = z.object({
  id: z.string(),
  release: releaseName,
  namespace,
  /** Latest revision seen (the remediation's expectedRevision); null when none could be read. */
  revision: z.number().int().nullable(),
  status: z.string().nullable(),
  remediations: z.array(
    z.object({
      action: executableAction,
      revision: z.number().int().positive().optional(),
      summary: z.string(),
      label: z.string(),
      findingCode: z.string(),
      resources: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional() })),
    }),
  ),
  createdAt: iso,
  jobId: z.string().optional(),
  /** The cluster of the release (absent: the default cluster): its buttons run there. */
  cluster: clusterName.optional(),
  /** The report's channel message as posted (remediations update it to say what was done). */
  report: messageSchema.optional(),
});
export type StoredDiagnosis = z.infer<typeof storedDiagnosisSchema>;

/** A channel message that follows a job (every requester of a deduplicated job has one). */
export const subscriberSchema = z.object({
  channel: z.string(),
  ts: z.string(),
  user: z.string(),
  /** The thread the message is a reply in (a message shortcut's report): its details go there too. */
  thread: z.string().optional(),
});
export type Subscriber = z.infer<typeof subscriberSchema>;

/** The final outcome of a diagnose/list job, stored so late joiners can be given it too. */
export const jobResultSchema = z.object({
  kind: z.enum(["report", "list", "error"]),
  main: messageSchema,
  thread: z.array(messageSchema).default([]),
  diagnosisId: z.string().optional(),
  /** The command that shows this result again ("/helm-doctor last shop/yahoo"), for when delivery fails. */
  retrieve: z.string().max(200).optional(),
});
export type JobResult = z.infer<typeof jobResultSchema>;

/** A message shortcut whose release or namespace the form asks for, kept until the form is submitted (TTL). */
export const pendingShortcutSchema = z.object({
  id: opaqueId,
  user: userId,
  channel: channelId,
  /** The thread the report goes to (the message's, or the message itself). */
  thread: messageTs,
  helmOutput,
  createdAt: iso,
});
export type PendingShortcut = z.infer<typeof pendingShortcutSchema>;
