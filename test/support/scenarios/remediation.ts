// Cluster states for the remediation tests: the founding case with a pre-upgrade hook Job next to the ConfigMap
// hook, and a rollback whose diff deletes one object and keeps another (helm.sh/resource-policy: keep).
import type { StorageDriver } from "../../../src/helm/types.js";
import { type Obj, Scenario } from "../scenario.js";
import { basicAppConfigMap, basicAppDeployment, basicAppService } from "./founding.js";

/** A pre-upgrade hook Job; its command holds "&&" (Go's JSON writes it as \u0026\u0026). */
export function migrateJob(policies = "before-hook-creation,hook-succeeded"): Obj {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "yahoo-migrate",
      annotations: {
        "helm.sh/hook": "pre-upgrade",
        "helm.sh/hook-weight": "0",
        "helm.sh/hook-delete-policy": policies,
      },
    },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [
            { name: "migrate", image: "busybox:1.36", command: ["sh", "-c", "echo migrating && true"] },
          ],
        },
      },
    },
  };
}

/** The founding case (revision 1 superseded, revision 2 deployed, ConfigMap deleted) plus a pre-upgrade Job. */
export function foundingWithJobHook(o: { driver?: StorageDriver; policies?: string } = {}): Scenario {
  const s = new Scenario({
    release: "yahoo",
    namespace: "default",
    chart: "basic-app",
    driver: o.driver ?? "secret",
  });
  s.revision({
    status: "superseded",
    at: 0,
    templates: [
      { path: "templates/configmap.yaml", object: basicAppConfigMap(false) },
      { path: "templates/deployment.yaml", object: basicAppDeployment() },
      { path: "templates/service.yaml", object: basicAppService() },
    ],
  });
  const rev2Deploy = basicAppDeployment({ "checksum/config": "5f1c0b7e" });
  s.revision({
    status: "deployed",
    at: 60,
    templates: [
      { path: "templates/configmap.yaml", object: basicAppConfigMap(true) },
      { path: "templates/deployment.yaml", object: rev2Deploy },
      { path: "templates/migrate-job.yaml", object: migrateJob(o.policies) },
      { path: "templates/service.yaml", object: basicAppService() },
    ],
    hookRuns: {
      "basic-app-config": { phase: "Succeeded", startedAt: 60, completedAt: 60 },
      "yahoo-migrate": { phase: "Succeeded", startedAt: 60, completedAt: 61 },
    },
  });
  s.add(s.owned(rev2Deploy), 0);
  s.add(s.owned(basicAppService()), 0);
  return s;
}

function extraConfigMap(name: string): Obj {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v" } };
}

/**
 * Revision 1: ConfigMap basic-app-config, Deployment, Service. Revision 2 (deployed) drops basic-app-config and
 * adds ConfigMaps yahoo-extra and yahoo-extra-kept; the live yahoo-extra-kept carries resource-policy: keep
 * (set by hand after the upgrade, which is what Helm's deletion checks).
 */
export function rollbackWithExtras(): Scenario {
  const s = new Scenario({ release: "yahoo", namespace: "default", chart: "basic-app" });
  s.revision({
    status: "superseded",
    at: 0,
    templates: [
      { path: "templates/configmap.yaml", object: basicAppConfigMap(false) },
      { path: "templates/deployment.yaml", object: basicAppDeployment() },
      { path: "templates/service.yaml", object: basicAppService() },
    ],
  });
  s.revision({
    status: "deployed",
    at: 60,
    templates: [
      { path: "templates/deployment.yaml", object: basicAppDeployment() },
      { path: "templates/extra.yaml", object: extraConfigMap("yahoo-extra") },
      { path: "templates/extra-kept.yaml", object: extraConfigMap("yahoo-extra-kept") },
      { path: "templates/service.yaml", object: basicAppService() },
    ],
  });
  s.add(s.owned(basicAppDeployment()), 0);
  s.add(s.owned(basicAppService()), 0);
  s.add(s.owned(extraConfigMap("yahoo-extra")), 60);
  const kept = s.owned(extraConfigMap("yahoo-extra-kept"));
  kept.metadata.annotations["helm.sh/resource-policy"] = "keep";
  s.add(kept, 60);
  return s;
}
