// Releases holding one object of every kind helm-doctor reads, for the RBAC coverage test: a diagnosis then
// gets or lists each kind, and a rollback creates, patches and deletes each kind a remediation may write.
import { type Obj, Scenario } from "../scenario.js";

const pod = (app: string) => ({
  metadata: { labels: { app } },
  spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36", command: ["true"] }] },
});

/** One object of `kind` named `name`, with a `generation` label that differs between revisions. */
export function objectOf(kind: string, name: string, generation: string): Obj {
  const labels = { "example.com/generation": generation };
  const sel = { matchLabels: { app: name } };
  const workload = {
    selector: sel,
    template: { ...pod(name), spec: { ...pod(name).spec, restartPolicy: "Always" } },
  };
  switch (kind) {
    case "ConfigMap":
      return { apiVersion: "v1", kind, metadata: { name, labels }, data: { k: "v" } };
    case "Secret":
      return { apiVersion: "v1", kind, metadata: { name, labels }, type: "Opaque", data: { k: "dg==" } };
    case "ServiceAccount":
      return { apiVersion: "v1", kind, metadata: { name, labels } };
    case "PersistentVolumeClaim":
      return {
        apiVersion: "v1",
        kind,
        metadata: { name, labels },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      };
    case "Service":
      return {
        apiVersion: "v1",
        kind,
        metadata: { name, labels },
        spec: { selector: { app: name }, ports: [{ port: 80 }] },
      };
    case "Pod":
      return {
        apiVersion: "v1",
        kind,
        metadata: { name, labels: { ...labels, app: name } },
        spec: pod(name).spec,
      };
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
      return {
        apiVersion: "apps/v1",
        kind,
        metadata: { name, labels },
        spec: kind === "StatefulSet" ? { ...workload, serviceName: name } : workload,
      };
    case "Job":
      return {
        apiVersion: "batch/v1",
        kind,
        metadata: { name, labels },
        spec: { backoffLimit: 0, template: pod(name) },
      };
    case "CronJob":
      return {
        apiVersion: "batch/v1",
        kind,
        metadata: { name, labels },
        spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: pod(name) } } },
      };
    default:
      throw new Error(`no example object of kind ${kind}`);
  }
}

const slug = (kind: string) => kind.toLowerCase();

/**
 * Diagnosis only: `perKind` objects of each kind (1: each is read with GET; 3: with one list of the kind).
 * ReplicaSets are included: a chart may ship one, though no remediation writes it.
 */
export function inventoryRelease(
  release: string,
  namespace: string,
  kinds: string[],
  perKind: number,
): Scenario {
  const s = new Scenario({ release, namespace, chart: "inventory" });
  const templates = kinds.flatMap((k) =>
    Array.from({ length: perKind }, (_, i) => ({
      path: `templates/${slug(k)}-${i}.yaml`,
      object: objectOf(k, `${release}-${slug(k)}-${i}`, "1"),
    })),
  );
  s.revision({ status: "deployed", at: 0, templates });
  for (const t of templates) s.add(s.owned(structuredClone(t.object)), 0);
  return s;
}

/**
 * For a rollback to 1 that writes each kind three ways: objects "kept-*" differ between revisions 1 and 2 (patched
 * back), "added-*" exist only in revision 2 (deleted), "lost-*" are in both revisions but missing live (created).
 */
export function everyKindRollback(release: string, namespace: string, kinds: string[]): Scenario {
  const s = new Scenario({ release, namespace, chart: "inventory" });
  const t = (prefix: string, gen: string) =>
    kinds.map((k) => ({
      path: `templates/${prefix}-${slug(k)}.yaml`,
      object: objectOf(k, `${prefix}-${slug(k)}`, gen),
    }));
  s.revision({ status: "superseded", at: 0, templates: [...t("kept", "1"), ...t("lost", "1")] });
  s.revision({
    status: "deployed",
    at: 60,
    templates: [...t("kept", "2"), ...t("lost", "2"), ...t("added", "2")],
  });
  for (const x of [...t("kept", "2"), ...t("added", "2")]) s.add(s.owned(x.object), 60);
  return s;
}
