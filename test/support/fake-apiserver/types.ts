// Shared types of the fake Kubernetes API server.

/** Free-form JSON object (Kubernetes objects are handled as plain JSON, as the API server's unstructured path). */
export type JsonObject = { [key: string]: unknown };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** A stored object: always carries apiVersion, kind and metadata.name. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Identifies one object for the test-side store helpers. `apiVersion` defaults from the kind when unambiguous. */
export interface ObjectRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/** The Kubernetes verbs as the authorizer sees them. */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

/** One served HTTP request, as recorded in `FakeApiServer.requests`. */
export interface RequestRecord {
  /** Sequence number, from 1, reset by `resetCounters()`. */
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters (last value wins for repeated keys). */
  query: Record<string, string>;
  /** Response status code (for watches: the status the stream was opened with). */
  status: number;
  /** Response body bytes written (for watches: all event bytes written until the stream closed). */
  bytes: number;
  accept: string | undefined;
  contentType: string | undefined;
  userAgent: string | undefined;
  /** Kubernetes verb when the path is a resource path. */
  verb?: Verb;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** True when the answer was (or would have been) PartialObjectMetadata(List). */
  metadataOnly: boolean;
  /** The injected fault, when one applied ("status:503", "reset", "forbidden"). */
  fault?: string;
  durationMs: number;
}

/** Selects requests for fault injection and counting. Every given field must match. */
export interface RequestMatch {
  method?: string;
  verb?: Verb | Verb[];
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Matched against the path (without query). */
  path?: string | RegExp;
}

/** Rule for `forbid()`: the request is refused with the API server's 403 Status body. */
export interface ForbidRule {
  /** Verb(s) refused; all verbs when omitted. */
  verb?: Verb | Verb[];
  /** Plural resource name, e.g. "secrets"; may include a subresource ("pods/log"). */
  resource: string;
  /** API group; "" (core) when omitted. */
  group?: string;
  /** Namespace; all namespaces (and cluster-wide requests) when omitted. */
  namespace?: string;
  /** Object name; all names when omitted. */
  name?: string;
}

/** What the job controller does with a Job. */
export type JobOutcome = "complete" | "fail" | "deadline" | "hang";
