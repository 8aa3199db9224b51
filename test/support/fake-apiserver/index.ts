// Fake Kubernetes API server for tests: see test/support/README.md.
export type { JobOutcomeOptions } from "./job-controller.js";
export { JobController } from "./job-controller.js";
export { grantsFromObjects, type RbacGrant, type RbacRule, rbacAllows } from "./rbac.js";
export { BUILTIN_RESOURCES, type ResourceDef } from "./resources.js";
export {
  FakeApiServer,
  type FakeApiServerOptions,
  type ListQuery,
  type StoreChange,
  startFakeApiServer,
} from "./server.js";
export type { Status, StatusCause, StatusDetails } from "./status.js";
export type {
  ForbidRule,
  JobOutcome,
  JsonObject,
  KubeObject,
  ManagedFieldsEntry,
  ObjectMeta,
  ObjectRef,
  OwnerReference,
  RequestMatch,
  RequestRecord,
  Verb,
  WatchEventType,
} from "./types.js";

/** The Accept header of a metadata-only list (with the plain-JSON fallback the real clients send). */
export const METADATA_LIST_ACCEPT =
  "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";
/** The Accept header of a metadata-only single GET. */
export const METADATA_ACCEPT =
  "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json";
export { apiError, eventually, type StatusBody } from "./testing.js";
