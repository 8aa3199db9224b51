// Queue names and job payloads: zod schemas at the boundary (job data is read back from Redis, written by
// another process, possibly another version).
import { z } from "zod";
import { namespaceProblem, releaseNameProblem } from "../helm/names.js";

/** BullMQ queue names (the Redis prefix comes from HELM_DOCTOR_QUEUE_PREFIX). */
export const QUEUES = { diagnose: "diagnose", remediate: "remediate" } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Job names: the `diagnose` queue runs diagnoses and `list`s; `remediate` runs remediations. */
export const JOBS = { diagnose: "diagnose", list: "list", remediate: "remediate" } as const;

const releaseName = z.string().refine((v) => releaseNameProblem(v) === undefined, {
  message: "is not a valid Helm release name",
});
const namespace = z.string().refine((v) => namespaceProblem(v) === undefined, {
  message: "is not a valid namespace",
});
const userId = z.string().regex(/^[UW][A-Z0-9]+$/);
const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/);
const iso = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: "is not a time" });

export const diagnoseJobSchema = z.object({
  release: releaseName,
  namespace,
  requestedBy: userId,
  channel: channelId,
  requestedAt: iso,
  /** The slash command as the user typed it ("/helm-doctor"), for hints in messages. */
  command: z.string().max(64).optional(),
});
export type DiagnoseJob = z.infer<typeof diagnoseJobSchema>;

export const listJobSchema = z.object({
  namespace,
  requestedBy: userId,
  channel: channelId,
  requestedAt: iso,
  command: z.string().max(64).optional(),
});
export type ListJob = z.infer<typeof listJobSchema>;

export const EXECUTABLE_ACTIONS = [
  "rerun-upgrade",
  "rollback",
  "restore-hook-resources",
  "delete-leftover-hook",
] as const;
export const executableAction = z.enum(EXECUTABLE_ACTIONS);
export type ExecutableAction = z.infer<typeof executableAction>;

/**
 * A remediation request from a button press. The consumer (remediation worker) must refuse when the release's
 * latest revision is no longer `expectedRevision` ("release moved on"), and name `user` in the new revision's
 * description (the audit trail in `helm history`).
 */
export const remediateJobSchema = z
  .object({
    /** The stored diagnosis the button belonged to. */
    diagnosisId: z.string().min(8).max(128),
    action: executableAction,
    /** rollback: the target; rerun-upgrade: the revision re-run; restore-hook-resources: whose hooks. */
    revision: z.number().int().positive().optional(),
    /** The latest revision the diagnosis saw. */
    expectedRevision: z.number().int().positive(),
    release: releaseName,
    namespace,
    /** Objects the remediation is about (restore / delete), from the diagnosis. */
    resources: z
      .array(z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional() }))
      .default([]),
    user: z.object({ id: userId, name: z.string().max(128).optional() }),
    /** Where to report progress: the report message (thread parent). */
    channel: channelId,
    messageTs: z.string().regex(/^\d+\.\d+$/),
    requestedAt: iso,
  })
  .refine((j) => j.action !== "rollback" || j.revision !== undefined, {
    message: "a rollback needs the target revision",
    path: ["revision"],
  });
export type RemediateJob = z.infer<typeof remediateJobSchema>;

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
});
export type StoredDiagnosis = z.infer<typeof storedDiagnosisSchema>;

/** A channel message that follows a job (every requester of a deduplicated job has one). */
export const subscriberSchema = z.object({
  channel: z.string(),
  ts: z.string(),
  user: z.string(),
});
export type Subscriber = z.infer<typeof subscriberSchema>;

const messageSchema = z.object({ text: z.string(), blocks: z.array(z.any()) });

/** The final outcome of a diagnose/list job, stored so late joiners can be given it too. */
export const jobResultSchema = z.object({
  kind: z.enum(["report", "list", "error"]),
  main: messageSchema,
  thread: z.array(messageSchema).default([]),
  diagnosisId: z.string().optional(),
});
export type JobResult = z.infer<typeof jobResultSchema>;
