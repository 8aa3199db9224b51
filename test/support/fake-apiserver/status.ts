// metav1.Status bodies exactly as k8s.io/apimachinery/pkg/api/errors builds them (field order included:
// kind, apiVersion, metadata, status, message, reason, details, code).

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: { continue?: string; resourceVersion?: string };
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** The group and plural resource an error is about ("jobs" in "batch"). */
export interface GroupResource {
  group: string;
  resource: string;
}

/** An error that the HTTP layer renders as its Status body and code. */
export class StatusError extends Error {
  readonly status: Status;
  /** Extra response headers (Retry-After, Warning). */
  readonly headers: Record<string, string>;
  constructor(status: Status, headers: Record<string, string> = {}) {
    super(status.message ?? status.reason ?? `status ${status.code}`);
    this.status = status;
    this.headers = headers;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): Status {
  // details (when present) sits between reason and code in the real encoding
  return details
    ? { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code }
    : { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

/** schema.GroupResource.String(): "secrets", "jobs.batch". */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** schema.GroupKind.String(): "Secret", "Job.batch". */
export function qualifiedKind(group: string, kind: string): string {
  return group ? `${kind}.${group}` : kind;
}

function resourceDetails(gr: GroupResource, name?: string): StatusDetails {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return d;
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(
    failure(404, "NotFound", `${qualifiedResource(gr)} "${name}" not found`, resourceDetails(gr, name)),
  );
}

/** The 404 for a path the server has no handler for, under /api or /apis. */
export function noSuchResource(): StatusError {
  return new StatusError(failure(404, "NotFound", "the server could not find the requested resource", {}));
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(
    failure(
      409,
      "AlreadyExists",
      `${qualifiedResource(gr)} "${name}" already exists`,
      resourceDetails(gr, name),
    ),
  );
}

export const OPTIMISTIC_LOCK_MESSAGE =
  "the object has been modified; please apply your changes to the latest version and try again";

export function conflict(gr: GroupResource, name: string, why = OPTIMISTIC_LOCK_MESSAGE): StatusError {
  return new StatusError(
    failure(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
      resourceDetails(gr, name),
    ),
  );
}

/** Server-side apply conflict (structured-merge-diff's message, wrapped by the field manager). */
export function applyConflict(gr: GroupResource, name: string, conflicts: StatusCause[]): StatusError {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const list = byManager.get(c.message ?? "") ?? [];
    list.push(c.field ?? "");
    byManager.set(c.message ?? "", list);
  }
  const n = conflicts.length;
  let message = `Apply failed with ${n} conflict${n === 1 ? "" : "s"}: `;
  const parts: string[] = [];
  for (const [who, fields] of byManager) {
    if (fields.length === 1) parts.push(`${who}: ${fields[0]}`);
    else parts.push(`${who.replace(/^conflict /, "conflicts ")}:\n${fields.map((f) => `- ${f}`).join("\n")}`);
  }
  message += parts.join("\n");
  const details = resourceDetails(gr, name);
  details.causes = conflicts.map((c) => ({
    reason: "FieldManagerConflict",
    message: c.message,
    field: c.field,
  }));
  return new StatusError(failure(409, "Conflict", message, details));
}

export interface ForbiddenRequest {
  user: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The authorizer's refusal, as the RBAC authorizer words it. */
export function forbidden(req: ForbiddenRequest): StatusError {
  const gr = { group: req.group, resource: req.resource };
  const what = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
  const scope = req.namespace ? `in the namespace "${req.namespace}"` : "at the cluster scope";
  const reason = `User "${req.user}" cannot ${req.verb} resource "${what}" in API group "${req.group}" ${scope}`;
  const subject = req.name ? `${qualifiedResource(gr)} "${req.name}"` : qualifiedResource(gr);
  return new StatusError(
    failure(403, "Forbidden", `${subject} is forbidden: ${reason}`, resourceDetails(gr, req.name)),
  );
}

/** Admission's refusal to create in a terminating namespace. */
export function namespaceTerminating(gr: GroupResource, name: string, namespace: string): StatusError {
  const why = `unable to create new content in namespace ${namespace} because it is being terminated`;
  const details = resourceDetails(gr, name);
  details.causes = [{ reason: "NamespaceTerminating", message: why, field: "metadata.namespace" }];
  return new StatusError(
    failure(403, "Forbidden", `${qualifiedResource(gr)} "${name}" is forbidden: ${why}`, details),
  );
}

export interface FieldError {
  /** "FieldValueRequired", "FieldValueInvalid", "FieldValueForbidden", "FieldValueNotSupported". */
  type: "FieldValueRequired" | "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueNotSupported";
  field: string;
  /** For Invalid/NotSupported: the offending value as Go would print it (already quoted when a string). */
  value?: string;
  detail?: string;
}

/** field.Error.ErrorBody(). */
function errorBody(e: FieldError): string {
  switch (e.type) {
    case "FieldValueRequired":
      return e.detail ? `Required value: ${e.detail}` : "Required value";
    case "FieldValueForbidden":
      return e.detail ? `Forbidden: ${e.detail}` : "Forbidden";
    case "FieldValueNotSupported":
      return `Unsupported value: ${e.value ?? ""}${e.detail ? `: ${e.detail}` : ""}`;
    default:
      return `Invalid value: ${e.value ?? ""}${e.detail ? `: ${e.detail}` : ""}`;
  }
}

/** 422 Invalid: `Job.batch "x" is invalid: spec.template: ...`; details.kind is the Kind, not the resource. */
export function invalid(group: string, kind: string, name: string, errors: FieldError[]): StatusError {
  const rendered = errors.map((e) => `${e.field}: ${errorBody(e)}`);
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(", ")}]`;
  const details: StatusDetails = {};
  if (name) details.name = name;
  if (group) details.group = group;
  details.kind = kind;
  details.causes = errors.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
  return new StatusError(
    failure(422, "Invalid", `${qualifiedKind(group, kind)} "${name}" is invalid: ${summary}`, details),
  );
}

export function badRequest(message: string): StatusError {
  return new StatusError(failure(400, "BadRequest", message));
}

export function methodNotAllowed(): StatusError {
  return new StatusError(
    failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}),
  );
}

export function notAcceptable(message: string): StatusError {
  return new StatusError(failure(406, "NotAcceptable", message));
}

export function unsupportedMediaType(message: string): StatusError {
  return new StatusError(failure(415, "UnsupportedMediaType", message));
}

export function internalError(message: string): StatusError {
  return new StatusError(
    failure(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] }),
  );
}

export function unauthorized(): StatusError {
  return new StatusError(failure(401, "Unauthorized", "Unauthorized"));
}

export function expired(message: string, continueToken?: string): StatusError {
  const s = failure(410, "Expired", message);
  if (continueToken) s.metadata = { continue: continueToken };
  return new StatusError(s);
}

/** What an injected HTTP failure looks like for each code (the bodies the API server and its filters send). */
export function injected(code: number): StatusError {
  switch (code) {
    case 429:
      return new StatusError(
        failure(429, "TooManyRequests", "Too many requests, please try again later.", {
          retryAfterSeconds: 1,
        }),
        { "Retry-After": "1" },
      );
    case 500:
      return internalError("injected failure (fake apiserver)");
    case 503:
      return new StatusError(
        failure(503, "ServiceUnavailable", "the server is currently unable to handle the request", {}),
      );
    case 504:
      return new StatusError(
        failure(
          504,
          "Timeout",
          "the server was unable to return a response in the time allotted, but may still be processing the request",
          {},
        ),
      );
    default:
      return new StatusError(failure(code, "InternalError", `injected HTTP ${code} (fake apiserver)`));
  }
}

/** The body of a DELETE that removed the object at once (registries without ReturnDeletedObject); no code. */
export interface SuccessStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success";
  details: StatusDetails;
}

export function success(gr: GroupResource, name: string, uid: string | undefined): SuccessStatus {
  const details = resourceDetails(gr, name);
  if (uid) details.uid = uid;
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
}
