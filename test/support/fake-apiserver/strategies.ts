// Per-kind create/update behaviour of the real registries that tests are likely to meet: defaulting,
// decoding errors, name validation, immutable fields, status reset. Only a useful subset of the real
// validation is reproduced (see README).
import type { ResourceDef } from "./resources.js";
import { badRequest, type FieldError, invalid } from "./status.js";
import type { JsonObject, KubeObject } from "./types.js";
import { base64Error, deepEqual, isObject } from "./util.js";

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
// The double space after "'my-name'," is in the real message.
const LABEL_1123_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/** metadata.name validation by kind (ValidateObjectMeta with the registry's name validator). */
export function nameErrors(def: ResourceDef, name: string): FieldError[] {
  const bad = (detail: string): FieldError[] => [
    { type: "FieldValueInvalid", field: "metadata.name", value: JSON.stringify(name), detail },
  ];
  if (def.group === "rbac.authorization.k8s.io") {
    // ValidatePathSegmentName: "system:..." names are fine.
    if (name === "." || name === "..") return bad(`may not be '${name}'`);
    if (name.includes("/")) return bad(`may not contain '/'`);
    if (name.includes("%")) return bad(`may not contain '%'`);
    return [];
  }
  if (def.kind === "Namespace") {
    if (name.length > 63) return bad("must be no more than 63 characters");
    return LABEL_1123.test(name) ? [] : bad(LABEL_1123_MSG);
  }
  if (def.kind === "Service" && def.group === "") {
    if (name.length > 63) return bad("must be no more than 63 characters");
    return LABEL_1035.test(name) ? [] : bad(LABEL_1035_MSG);
  }
  if (name.length > 253) return bad("must be no more than 253 characters");
  return SUBDOMAIN.test(name) ? [] : bad(SUBDOMAIN_MSG);
}

function obj(parent: JsonObject, key: string): JsonObject {
  const v = parent[key];
  if (isObject(v)) return v;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** `map[string]string{"a":"b"}` as Go's %#v prints label maps in validation messages. */
function goStringMap(m: unknown): string {
  const entries = isObject(m) ? Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)) : [];
  return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(", ")}}`;
}

/** Secret/ConfigMap payloads: stringData folded into data, base64 checked as the JSON decoder does. */
function decodeData(def: ResourceDef, o: KubeObject): void {
  const field = def.kind === "Secret" ? "data" : "binaryData";
  if (def.kind === "Secret" && isObject(o.stringData)) {
    // The API server merges stringData into data (stringData wins) and never stores stringData.
    const data = obj(o, "data");
    for (const [k, v] of Object.entries(o.stringData))
      data[k] = Buffer.from(String(v), "utf8").toString("base64");
    delete o.stringData;
  }
  const data = o[field];
  if (!isObject(data)) return;
  for (const v of Object.values(data)) {
    const err = typeof v === "string" ? base64Error(v) : "illegal base64 data at input byte 0";
    if (err) throw badRequest(`${def.kind} in version "v1" cannot be handled as a ${def.kind}: ${err}`);
  }
}

function defaultContainer(c: unknown): void {
  if (!isObject(c)) return;
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  if (c.imagePullPolicy === undefined) {
    const image = typeof c.image === "string" ? c.image : "";
    const tag = /:([^/:@]+)$/.exec(image)?.[1];
    c.imagePullPolicy =
      !image.includes("@") && (tag === undefined || tag === "latest") ? "Always" : "IfNotPresent";
  }
  c.resources ??= {};
}

/** SetDefaults_PodSpec and the container defaults (the fields tests usually look at). */
export function defaultPodSpec(spec: JsonObject): void {
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.securityContext ??= {};
  spec.schedulerName ??= "default-scheduler";
  for (const list of ["initContainers", "containers"]) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) defaultContainer(c);
  }
}

function templateSpec(o: KubeObject): JsonObject | undefined {
  const spec = o.spec;
  if (!isObject(spec) || !isObject(spec.template)) return undefined;
  const tpl = spec.template;
  return obj(tpl, "spec");
}

/** Status is owned by the /status subresource: a create starts from an empty (or initial) status. */
function resetStatus(def: ResourceDef, o: KubeObject): void {
  if (!def.subresources.includes("status")) return;
  if (def.kind === "Pod" && def.group === "") o.status = { phase: "Pending", qosClass: "BestEffort" };
  else if (def.kind === "Namespace" && def.group === "") o.status = { phase: "Active" };
  else if (def.custom) delete o.status;
  else o.status = {};
}

function selectorErrors(o: KubeObject): FieldError[] {
  const spec = o.spec;
  if (!isObject(spec)) return [];
  const selector = spec.selector;
  const labels =
    isObject(spec.template) && isObject(spec.template.metadata) ? spec.template.metadata.labels : {};
  if (!isObject(selector)) {
    return [{ type: "FieldValueRequired", field: "spec.selector" }];
  }
  const ml = isObject(selector.matchLabels) ? selector.matchLabels : {};
  const ok = Object.entries(ml).every(([k, v]) => isObject(labels) && labels[k] === v);
  if (Object.keys(ml).length === 0 && !Array.isArray(selector.matchExpressions)) {
    return [
      {
        type: "FieldValueInvalid",
        field: "spec.selector",
        value:
          "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
        detail: "empty selector is invalid for deployment",
      },
    ];
  }
  return ok
    ? []
    : [
        {
          type: "FieldValueInvalid",
          field: "spec.template.metadata.labels",
          value: goStringMap(labels),
          detail: "`selector` does not match template `labels`",
        },
      ];
}

const WORKLOADS = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"]);

/** Defaulting and validation before a create; mutates `o` (already in storage form, system metadata set). */
export function prepareForCreate(def: ResourceDef, o: KubeObject): void {
  resetStatus(def, o);
  const core = def.group === "";
  if (core && (def.kind === "Secret" || def.kind === "ConfigMap")) {
    decodeData(def, o);
    if (def.kind === "Secret") o.type ??= "Opaque";
  }
  if (core && def.kind === "Namespace") {
    o.metadata.labels = { ...o.metadata.labels, "kubernetes.io/metadata.name": o.metadata.name };
    o.spec = { finalizers: ["kubernetes"], ...(isObject(o.spec) ? o.spec : {}) };
  }
  if (core && def.kind === "Pod") {
    const spec = obj(o, "spec");
    defaultPodSpec(spec);
    spec.serviceAccountName ??= "default";
    spec.serviceAccount ??= spec.serviceAccountName;
    spec.enableServiceLinks ??= true;
    spec.priority ??= 0;
    spec.preemptionPolicy ??= "PreemptLowerPriority";
    if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
      throw invalid("", "Pod", o.metadata.name, [{ type: "FieldValueRequired", field: "spec.containers" }]);
    }
  }
  if (def.group === "batch" && def.kind === "Job") prepareJob(o);
  if (def.group === "apps" && WORKLOADS.has(def.kind)) {
    const spec = obj(o, "spec");
    if (def.kind !== "DaemonSet") spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    if (def.kind === "Deployment") {
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } };
    }
    const ts = templateSpec(o);
    if (ts) defaultPodSpec(ts);
    const errs = selectorErrors(o);
    if (errs.length > 0) throw invalid(def.group, def.kind, o.metadata.name, errs);
  }
}

/** Job defaulting (batch/v1, Kubernetes 1.31): generated selector and the controller-uid labels. */
function prepareJob(o: KubeObject): void {
  const spec = obj(o, "spec");
  const uid = o.metadata.uid ?? "";
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= "TerminatingOrFailed";
  const tpl = obj(spec, "template");
  const meta = obj(tpl, "metadata");
  if (spec.manualSelector !== true) {
    spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
    meta.labels = {
      ...(isObject(meta.labels) ? meta.labels : {}),
      "batch.kubernetes.io/controller-uid": uid,
      "batch.kubernetes.io/job-name": o.metadata.name,
      "controller-uid": uid,
      "job-name": o.metadata.name,
    };
  }
  const ts = obj(tpl, "spec");
  defaultPodSpec(ts);
  const rp = ts.restartPolicy;
  if (rp !== "OnFailure" && rp !== "Never") {
    throw invalid("batch", "Job", o.metadata.name, [
      {
        type: "FieldValueNotSupported",
        field: "spec.template.spec.restartPolicy",
        value: JSON.stringify(rp),
        detail: 'supported values: "OnFailure", "Never"',
      },
    ]);
  }
}

function immutable(field: string, value: unknown, detail = "field is immutable"): FieldError {
  return { type: "FieldValueInvalid", field, value: JSON.stringify(value), detail };
}

/** Validation of an update (main resource): immutable fields of the kinds helm users trip over. */
export function prepareForUpdate(def: ResourceDef, current: KubeObject, next: KubeObject): void {
  const core = def.group === "";
  if (core && (def.kind === "Secret" || def.kind === "ConfigMap")) {
    decodeData(def, next);
    if (def.kind === "Secret") next.type ??= current.type ?? "Opaque";
    if (current.immutable === true) {
      const errs: FieldError[] = [];
      const why = "field is immutable when `immutable` is set";
      for (const f of def.kind === "Secret" ? ["data"] : ["data", "binaryData"]) {
        if (!deepEqual(current[f], next[f]))
          errs.push({ type: "FieldValueForbidden", field: f, detail: why });
      }
      if (next.immutable !== true)
        errs.push({ type: "FieldValueForbidden", field: "immutable", detail: why });
      if (errs.length > 0) throw invalid(def.group, def.kind, next.metadata.name, errs);
    }
    if (def.kind === "Secret" && current.type !== next.type) {
      throw invalid("", "Secret", next.metadata.name, [immutable("type", next.type)]);
    }
  }
  const cs = isObject(current.spec) ? current.spec : {};
  const ns = isObject(next.spec) ? next.spec : {};
  if (def.group === "batch" && def.kind === "Job") {
    const errs: FieldError[] = [];
    if (!deepEqual(cs.selector, ns.selector)) errs.push(immutable("spec.selector", ns.selector));
    if (!deepEqual(cs.template, ns.template)) errs.push(immutable("spec.template", ns.template));
    if (!deepEqual(cs.completions, ns.completions)) errs.push(immutable("spec.completions", ns.completions));
    if (errs.length > 0) throw invalid("batch", "Job", next.metadata.name, errs);
  }
  if (def.group === "apps" && WORKLOADS.has(def.kind)) {
    if (!deepEqual(cs.selector, ns.selector)) {
      throw invalid("apps", def.kind, next.metadata.name, [immutable("spec.selector", ns.selector)]);
    }
    const ts = templateSpec(next);
    if (ts) defaultPodSpec(ts);
  }
}
