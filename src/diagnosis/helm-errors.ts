// Helm's and the API server's error texts, as Helm records them in a failed revision's description and prints
// them on a failed command: `Upgrade "x" failed: cannot patch "db" with kind StatefulSet: StatefulSet.apps "db"
// is invalid: spec: Forbidden: …`. Each error is classified by what it says, with the object it names. Pure.
//
// Sources of the wording: pkg/action/{install,upgrade,rollback}.go (the prefixes), pkg/kube/client.go
// (`failed to create resource`, `cannot patch %q with kind %s`, `original object %s with the name %q not found`,
// `conflict occurred while applying %s/%s with kind %s`), and the API server's StatusError messages
// (`<Kind>.<group> "<name>" is invalid: <field>: <reason>`, `… is forbidden: …`, `admission webhook "…" denied
// the request: …`).

export type HelmErrorKind =
  /** An immutable field was changed: `field is immutable`, StatefulSet `Forbidden: updates to statefulset spec …`. */
  | "immutable"
  /** The object exists but Helm may not adopt it: `exists and cannot be imported into the current release`. */
  | "ownership"
  /** Helm 3 rollback / Helm 4 update: the object exists live but not in the manifest Helm compared against. */
  | "not-in-original"
  /** Server-side apply: another field manager owns a field (`Apply failed with N conflict(s)`). */
  | "ssa-conflict"
  /** The API server does not serve the kind: a missing CRD or a removed API version. */
  | "kind-missing"
  /** A validating or mutating admission webhook refused the object. */
  | "admission-denied"
  /** An admission webhook could not be called (its service is down or unreachable). */
  | "webhook-unavailable"
  /** A ResourceQuota refused it. */
  | "quota"
  /** Pod Security admission refused it. */
  | "pod-security"
  /** Helm's own credentials may not do this (RBAC). */
  | "rbac"
  /** Any other `is invalid` validation error. */
  | "invalid"
  /** A create found the object already there (leftover hook objects, races). */
  | "already-exists"
  /** A wait or hook timed out. */
  | "timeout"
  /** A hook failed (`pre-upgrade hooks failed`, `failed post-install`). */
  | "hook"
  /** Another operation holds the release's lock. */
  | "pending-lock"
  /** No base revision to upgrade. */
  | "no-deployed"
  /** The release record is larger than the API server accepts. */
  | "too-large"
  /** The chart did not render, or its values failed the schema. */
  | "render"
  | "unknown";

export interface ErrorObject {
  kind: string;
  /** API group, when the error names one (`StatefulSet.apps`, `jobs.batch`). */
  group?: string;
  name: string;
  namespace?: string;
}

export interface HelmError {
  kind: HelmErrorKind;
  /** The error text of this one error, without Helm's operation prefix. */
  text: string;
  object?: ErrorObject;
  /** The field paths an `is invalid` error names (`spec.selector`, `spec`). */
  fields?: string[];
  /** For admission and SSA conflicts: the webhook, policy, quota or field manager that refused. */
  by?: string;
  /** For kind-missing: the kind and its API version as the error names them. */
  missingKind?: { kind: string; apiVersion: string };
  /** The hook event when the error happened while running a hook (`pre-upgrade hooks failed: …`). */
  hookEvent?: string;
}

// Resource plurals Kubernetes prints in errors (`jobs.batch "x" already exists`), for the common kinds.
const PLURALS: Record<string, string> = {
  configmaps: "ConfigMap",
  secrets: "Secret",
  serviceaccounts: "ServiceAccount",
  services: "Service",
  pods: "Pod",
  persistentvolumeclaims: "PersistentVolumeClaim",
  deployments: "Deployment",
  statefulsets: "StatefulSet",
  daemonsets: "DaemonSet",
  replicasets: "ReplicaSet",
  jobs: "Job",
  cronjobs: "CronJob",
  ingresses: "Ingress",
  roles: "Role",
  rolebindings: "RoleBinding",
  clusterroles: "ClusterRole",
  clusterrolebindings: "ClusterRoleBinding",
  networkpolicies: "NetworkPolicy",
  poddisruptionbudgets: "PodDisruptionBudget",
  horizontalpodautoscalers: "HorizontalPodAutoscaler",
  customresourcedefinitions: "CustomResourceDefinition",
};

/** `StatefulSet.apps "db"` / `jobs.batch "x"` / `Service "y"` → kind, group, name. */
function objectFrom(kindText: string, name: string): ErrorObject {
  const dot = kindText.indexOf(".");
  const head = dot < 0 ? kindText : kindText.slice(0, dot);
  const group = dot < 0 ? undefined : kindText.slice(dot + 1);
  const kind = PLURALS[head] ?? (/^[a-z]/.test(head) ? head : head);
  return { kind, ...(group ? { group } : {}), name };
}

/**
 * What --atomic (Helm 4: --rollback-on-failure) wraps around the error it rolled back or uninstalled for
 * (pkg/action/upgrade.go failRelease, install.go failRelease).
 */
export const ATOMIC =
  /release \S+ failed, and has been (rolled back|uninstalled) due to (?:atomic|rollback-on-failure) being set:\s*/;

/**
 * Helm's wrapping: `Upgrade "x" failed: `, `Release "x" failed: `, `Rollback "x" failed: `, `UPGRADE FAILED: `, and
 * --atomic's `release x failed, and has been rolled back due to atomic being set: `.
 */
export function stripPrefix(text: string): string {
  return text
    .trim()
    .replace(/^Error:\s*/, "")
    .replace(/^(INSTALLATION|UPGRADE|ROLLBACK|UNINSTALLATION) FAILED:\s*/, "")
    .replace(new RegExp(`^${ATOMIC.source}`), "")
    .replace(/^(Upgrade|Release|Rollback|Install) "[^"]*" failed:\s*/, "")
    .trim();
}

/** A hook prefix with nothing after it heads the errors that follow; it is not an error itself. */
const BARE_HOOK_PREFIX =
  /^(?:(?:pre|post)-\w+ hooks failed:?\s*|failed (?:pre|post)-\w+:?\s*)?(?:warning: Hook \S+ \S+ failed:?\s*)?$/;

/**
 * Splits errors Helm joined: ` && ` between objects (Helm 3's update), `N errors occurred:\n\t* a\n\t* b`
 * (hashicorp/go-multierror), and one per line (Go's errors.Join, Helm 4's waits: `resource Deployment/… not
 * ready…\nresource …\ncontext deadline exceeded`).
 */
export function splitErrors(text: string): string[] {
  const t = stripPrefix(text).replace(/\d+ errors? occurred:[ \t]*/g, "");
  const parts = t
    .split(/\s+&&\s+|\n\s*\*\s*|\n(?=resource \w+\/|context deadline exceeded|timed out waiting)/)
    .map((s) => s.replace(/^\*\s*/, "").trim())
    .filter((s) => s && !BARE_HOOK_PREFIX.test(s));
  return parts.length > 0 ? parts : [t];
}

const INVALID = /([A-Za-z][\w]*(?:\.[\w.-]+)?) "([^"]+)" is invalid: ([\s\S]*)$/;
const FORBIDDEN = /([A-Za-z][\w]*(?:\.[\w.-]+)?) "([^"]+)" is forbidden: ([\s\S]*)$/;
const EXISTS = /([A-Za-z][\w]*(?:\.[\w.-]+)?) "([^"]+)" already exists/;
const CANNOT_PATCH = /cannot patch "([^"]+)" with kind (\w+)/;
const OWNERSHIP =
  /(\w+) "([^"]+)" in namespace "([^"]*)" exists and cannot be imported into the current release/;
const NOT_IN_ORIGINAL = /(?:\bno|original object) (\w+) with the name "([^"]+)" (?:not )?found/;
const SSA_CONFLICT =
  /conflict occurred while applying (?:object )?([^\s/]*)\/(\S+?)(?: with kind (\w+)|\s+[\w./]+, Kind=(\w+))?:\s*([\s\S]*)$/;
const NO_MATCHES = /no matches for kind "(\w+)" in version "([^"]+)"/;
const MAPPING = /resource mapping not found for name: "([^"]*)" namespace: "([^"]*)"/;
const WEBHOOK_DENIED = /admission webhook "([^"]+)" denied the request:?\s*([\s\S]*)$/;
const WEBHOOK_CALL = /failed calling webhook "([^"]+)"/;
const QUOTA = /exceeded quota: ([\w.-]+)|failed quota: ([\w.-]+)/;
const POD_SECURITY = /violates PodSecurity "([^"]+)"/;
const RBAC = /cannot (\w+) resource "([^"]+)" in API group "([^"]*)"/;
const TOO_LARGE =
  /Too long: (?:must have at most|may not be (?:longer|more) than) \d+ bytes|request entity too large|status code 413\b|etcdserver: request is too large/i;
/** Helm's release record objects: `sh.helm.release.v1.<release>.v<revision>` (pkg/storage/driver/util.go). */
export const RECORD_NAME = /^sh\.helm\.release\.v1\.[^"\s]+\.v\d+$/;
const STORAGE_WRITE = /\b(?:create: failed to create|update: failed to update)\b/;

/** Field paths of an `is invalid` message: `spec.selector: Invalid value…`, `[a: …, b: …]`. */
function invalidFields(rest: string): string[] {
  const body = rest.trim().replace(/^\[/, "").replace(/\]$/, "");
  const out: string[] = [];
  for (const m of body.matchAll(
    /(?:^|, )([\w.[\]-]+): (?:Invalid value|Forbidden|Required value|Unsupported value|Duplicate value|Too long|Too many|Not found)/g,
  ))
    if (!out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

const HOOK_EVENT =
  /\b(pre|post)-(install|upgrade|rollback|delete) hooks failed|\bfailed (pre|post)-(install|upgrade|rollback|delete)\b|warning: Hook ((?:pre|post)-(?:install|upgrade|rollback|delete)|test)\b/;

// Helm 4 applies with server-side apply and names the object first: `server-side apply failed for object
// <ns>/<name> <group>/<version>, Kind=<Kind>: <the API server's error>` (pkg/kube/client.go).
const SSA_FAILED =
  /server-side apply failed for object (?:([^\s/]+)\/)?(\S+) (\S*), Kind=(\w+):\s*([\s\S]*)$/;
// Helm 4's kstatus wait: `resource Deployment/<ns>/<name> not ready. status: InProgress, message: …`.
const NOT_READY = /resource (\w+)\/([^/\s]+)\/(\S+) not ready\. status: (\w+)(?:, message: ([^\n]*))?/;

/** Classifies one error (already split from its neighbours). */
export function classifyOne(text: string, context = ""): HelmError {
  const applied = SSA_FAILED.exec(text);
  if (applied && !/^conflict occurred while applying/.test(applied[5] ?? "")) {
    // Classify the API server's error, and name the object Helm names when the error itself does not.
    const inner = classifyOne(applied[5]!, context);
    return {
      ...inner,
      text: text.trim(),
      object: inner.object ?? {
        kind: applied[4]!,
        name: applied[2]!,
        ...(applied[1] ? { namespace: applied[1] } : {}),
      },
    };
  }
  const t = text.trim();
  const hm = HOOK_EVENT.exec(`${context} ${t}`);
  const hookEvent = hm ? (hm[1] ? `${hm[1]}-${hm[2]}` : hm[3] ? `${hm[3]}-${hm[4]}` : hm[5]) : undefined;
  const e = (kind: HelmErrorKind, extra: Partial<HelmError> = {}): HelmError => ({
    kind,
    text: t,
    ...(hookEvent ? { hookEvent } : {}),
    ...extra,
  });

  const own = OWNERSHIP.exec(t);
  if (own) return e("ownership", { object: { kind: own[1]!, name: own[2]!, namespace: own[3]! } });
  const noOrig = NOT_IN_ORIGINAL.exec(t);
  if (noOrig) return e("not-in-original", { object: { kind: noOrig[1]!, name: noOrig[2]! } });
  const ssa = SSA_CONFLICT.exec(t);
  if (ssa) {
    const by = /conflicts? with "([^"]+)"/.exec(ssa[5] ?? "")?.[1];
    const fields = [...(ssa[5] ?? "").matchAll(/(?:^|:\s|\n-\s*)(\.[\w.[\]="-]+)/g)].map((m) => m[1]!);
    return e("ssa-conflict", {
      object: {
        kind: ssa[3] ?? ssa[4] ?? "object",
        name: ssa[2]!,
        ...(ssa[1] ? { namespace: ssa[1] } : {}),
      },
      ...(by ? { by } : {}),
      ...(fields.length ? { fields } : {}),
    });
  }
  const nm = NO_MATCHES.exec(t);
  if (nm || /ensure CRDs are installed first|the server could not find the requested resource/.test(t)) {
    const mapping = MAPPING.exec(t);
    const extra: Partial<HelmError> = {};
    if (nm) extra.missingKind = { kind: nm[1]!, apiVersion: nm[2]! };
    if (mapping && nm)
      extra.object = {
        kind: nm[1]!,
        name: mapping[1]!,
        ...(mapping[2] ? { namespace: mapping[2] } : {}),
      };
    return e("kind-missing", extra);
  }
  // Helm's storage driver could not write the release record (pkg/storage/driver/secrets.go, cfgmaps.go wrap
  // `create: failed to create`): the record is over what the API server or etcd accepts. A chart object that is
  // too big (a ConfigMap of dashboards, a CRD's annotations) is the API server refusing that object instead.
  if (TOO_LARGE.test(t)) {
    const inv0 = INVALID.exec(t);
    const rec = inv0 && RECORD_NAME.test(inv0[2]!) ? objectFrom(inv0[1]!, inv0[2]!) : undefined;
    if (rec || (!inv0 && STORAGE_WRITE.test(t))) return e("too-large", rec ? { object: rec } : {});
  }
  const patch = CANNOT_PATCH.exec(t);
  const inv = INVALID.exec(t);
  if (inv) {
    const object = objectFrom(inv[1]!, inv[2]!);
    if (patch) object.kind = patch[2]!;
    const fields = invalidFields(inv[3]!);
    const immutable =
      /field is immutable|Forbidden: updates to statefulset spec for fields other than|spec is immutable|may not change once set|is immutable/i.test(
        inv[3]!,
      );
    return e(immutable ? "immutable" : "invalid", { object, ...(fields.length ? { fields } : {}) });
  }
  const denied = WEBHOOK_DENIED.exec(t);
  if (denied) {
    const obj = FORBIDDEN.exec(t) ?? INVALID.exec(t);
    return e("admission-denied", {
      by: denied[1]!,
      ...(obj ? { object: objectFrom(obj[1]!, obj[2]!) } : {}),
    });
  }
  const call = WEBHOOK_CALL.exec(t);
  if (call) return e("webhook-unavailable", { by: call[1]! });
  const forb = FORBIDDEN.exec(t);
  if (forb) {
    const object = objectFrom(forb[1]!, forb[2]!);
    const q = QUOTA.exec(t);
    if (q) return e("quota", { object, by: (q[1] ?? q[2])! });
    const ps = POD_SECURITY.exec(t);
    if (ps) return e("pod-security", { object, by: ps[1]! });
    const r = RBAC.exec(t);
    if (r) return e("rbac", { object, by: `${r[1]} ${r[2]}${r[3] ? `.${r[3]}` : ""}` });
    return e("invalid", { object });
  }
  const rb = RBAC.exec(t);
  if (rb) return e("rbac", { by: `${rb[1]} ${rb[2]}${rb[3] ? `.${rb[3]}` : ""}` });
  const ex = EXISTS.exec(t);
  if (ex) return e("already-exists", { object: objectFrom(ex[1]!, ex[2]!) });
  if (hookEvent) return e("hook");
  const nr = NOT_READY.exec(t);
  if (nr) return e("timeout", { object: { kind: nr[1]!, namespace: nr[2]!, name: nr[3]! } });
  if (/timed out waiting for the condition|context deadline exceeded/.test(t)) return e("timeout");
  if (/another operation \(install\/upgrade\/rollback\) is in progress/.test(t)) return e("pending-lock");
  if (/has no deployed releases/.test(t)) return e("no-deployed");
  if (/Too long: must have at most \d+ bytes|request entity too large/i.test(t)) return e("too-large");
  if (
    /parse error|template: |execution error at|values don't meet the specifications of the schema|error converting YAML to JSON/.test(
      t,
    )
  )
    return e("render");
  return e("unknown");
}

/** Every error a Helm error text holds, classified. */
export function classifyHelmError(text: string | undefined): HelmError[] {
  if (!text?.trim()) return [];
  // A hook prefix applies to every error after it (`pre-upgrade hooks failed: 2 errors occurred: * a * b`).
  return splitErrors(text).map((part) => classifyOne(part, stripPrefix(text).slice(0, 200)));
}
