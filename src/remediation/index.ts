// Remediation: plan (pure) and execute (through a KubeClient and a ReleaseStore) Helm's rerun-upgrade and rollback, and the
// hook-object repairs; remediate() ties them together for the CLI and the Slack worker.
export { type ExecuteOptions, execute, multiError } from "./execute.js";
export { knownRevisions, plan, requesterSuffix } from "./plan.js";
export { OPERATION_ANNOTATION } from "./records.js";
export { auditEntry, type RemediateRequest, remediate } from "./remediate.js";
export { planTitle, renderPlan, renderProgress, renderResult } from "./render.js";
export * from "./types.js";
