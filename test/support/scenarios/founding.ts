// The founding case: ConfigMap basic-app-config is a regular resource in revision 1 and a
// pre-install,pre-upgrade hook in revision 2; the upgrade deletes it and the new pods hang in ContainerCreating.
import type { StorageDriver } from "../../../src/helm/types.js";
import { type Obj, Scenario } from "../scenario.js";
import { replicaSet } from "./workloads.js";

export const FOUNDING_NOW = "2026-11-20T11:10:00Z";

export function basicAppConfigMap(hook: boolean): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "basic-app-config",
      labels: { "app.kubernetes.io/name": "basic-app", "app.kubernetes.io/instance": "yahoo" },
      ...(hook
        ? {
            annotations: {
              "helm.sh/hook": "pre-install,pre-upgrade",
              "helm.sh/hook-weight": "-5",
              "helm.sh/hook-delete-policy": "before-hook-creation",
            },
          }
        : {}),
    },
    data: { "app.properties": "greeting=hello\nlog.level=info\n" },
  };
}

export function basicAppDeployment(podAnnotations: Record<string, string> = {}): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "yahoo-basic-app",
      labels: { "app.kubernetes.io/name": "basic-app", "app.kubernetes.io/instance": "yahoo" },
    },
    spec: {
      replicas: 1,
      selector: {
        matchLabels: { "app.kubernetes.io/name": "basic-app", "app.kubernetes.io/instance": "yahoo" },
      },
      template: {
        metadata: {
          labels: { "app.kubernetes.io/name": "basic-app", "app.kubernetes.io/instance": "yahoo" },
          annotations: podAnnotations,
        },
        spec: {
          containers: [
            {
              name: "basic-app",
              image: "nginx:1.16.0",
              ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
              volumeMounts: [{ name: "foo", mountPath: "/etc/foo", readOnly: true }],
            },
          ],
          volumes: [{ name: "foo", configMap: { name: "basic-app-config" } }],
        },
      },
    },
  };
}

export function basicAppService(): Obj {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "yahoo-basic-app",
      labels: { "app.kubernetes.io/name": "basic-app", "app.kubernetes.io/instance": "yahoo" },
    },
    spec: {
      type: "ClusterIP",
      ports: [{ port: 80, targetPort: "http", protocol: "TCP", name: "http" }],
      selector: { "app.kubernetes.io/name": "basic-app", "app.kubernetes.io/instance": "yahoo" },
    },
  };
}

export interface FoundingOptions {
  driver?: StorageDriver;
  /** Leave the ConfigMap live (e.g. kept or recreated): the near miss. */
  configMapLive?: boolean;
  helm4?: boolean;
  /** The release's namespace (default "default"): many distinct releases of the same case, one per namespace. */
  namespace?: string;
}

export function foundingCase(o: FoundingOptions = {}): Scenario {
  const s = new Scenario({
    release: "yahoo",
    namespace: o.namespace ?? "default",
    chart: "basic-app",
    driver: o.driver ?? "secret",
  });
  s.revision({
    status: "superseded",
    at: 0,
    helm4: o.helm4,
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
    helm4: o.helm4,
    templates: [
      { path: "templates/configmap.yaml", object: basicAppConfigMap(true) },
      { path: "templates/deployment.yaml", object: rev2Deploy },
      { path: "templates/service.yaml", object: basicAppService() },
    ],
    hookRuns: { "basic-app-config": { phase: "Succeeded", startedAt: 60, completedAt: 60 } },
  });
  // Live state ten minutes after the upgrade.
  const deploy = s.add(s.owned(rev2Deploy), 0);
  deploy.metadata.generation = 2;
  deploy.status = {
    observedGeneration: 2,
    replicas: 2,
    updatedReplicas: 1,
    readyReplicas: 1,
    availableReplicas: 1,
    unavailableReplicas: 1,
    conditions: [
      { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
      {
        type: "Progressing",
        status: "True",
        reason: "ReplicaSetUpdated",
        message: 'ReplicaSet "yahoo-basic-app-7d9c6b5f4" is progressing.',
      },
    ],
  };
  s.add(s.owned(basicAppService()), 0);
  if (o.configMapLive) s.add(s.owned(basicAppConfigMap(false)), 60);
  replicaSet(
    s,
    { ...deploy, spec: { ...deploy.spec, template: basicAppDeployment().spec.template } },
    "6c8f7d9b8",
    1,
    [{ state: "running" }],
    0,
  );
  if (o.configMapLive) {
    // Nothing went wrong: the new pods run.
    replicaSet(s, deploy, "7d9c6b5f4", 2, [{ state: "running" }], 60);
    return s;
  }
  const { pods } = replicaSet(s, deploy, "7d9c6b5f4", 2, [{ state: "container-creating" }], 60);
  s.event(
    pods[0]!,
    "Warning",
    "FailedMount",
    'MountVolume.SetUp failed for volume "foo" : configmap "basic-app-config" not found',
    9,
    61,
    69,
  );
  s.event(
    pods[0]!,
    "Normal",
    "Scheduled",
    `Successfully assigned ${s.namespace}/${pods[0]!.metadata.name} to node-1`,
    1,
    60,
    60,
  );
  return s;
}
