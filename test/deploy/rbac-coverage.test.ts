// Least privilege, proven: the fake API server authorizes exactly the chart's rendered Roles (remediation and watch on),
// then the scenario of every failure mode is diagnosed live and the remediations run (rerun with Job and Pod hooks and
// history pruning, both storage drivers, restore, and a rollback that creates, patches and deletes every
// writable kind). Every (verb, resource, namespace) helm-doctor asked for must be allowed — nothing was
// forbidden — and every rule the chart grants must have been used. The watcher (`helm-doctor watch`) reaches the API
// only through RecordWatch: it lists and watches the release records of both storage drivers.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { KINDS } from "../../src/cluster/kube.js";
import { LiveSource } from "../../src/cluster/live.js";
import { type RecordResource, RecordWatch } from "../../src/cluster/records-watch.js";
import { KubeWriter } from "../../src/cluster/writer.js";
import { readRules, watchRules, writableKinds, writeRules } from "../../src/rbac/rules.js";
import { remediate } from "../../src/remediation/remediate.js";
import type { ExecutableAction } from "../../src/remediation/types.js";
import {
  type FakeApiServer,
  grantsFromObjects,
  type RbacGrant,
  type RequestRecord,
  rbacAllows,
  startFakeApiServer,
} from "../support/fake-apiserver/index.js";
import { manifests, renderChart, rendererUnavailable } from "../support/helm-render.js";
import { type Obj, Scenario } from "../support/scenario.js";
import { FAILURE_MODES } from "../support/scenarios/failure-modes.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { everyKindRollback, inventoryRelease } from "../support/scenarios/inventory.js";
import { foundingWithJobHook } from "../support/scenarios/remediation.js";

const unavailable = rendererUnavailable();
if (unavailable && process.env.CI) throw new Error(`the RBAC coverage test must run in CI: ${unavailable}`);

const USER = "system:serviceaccount:helm-doctor:helm-doctor";
const INVENTORY_NS = "inventory";
const dir = mkdtempSync(join(tmpdir(), "hd-rbac-"));

/** A release with a pre-upgrade hook Pod (Helm waits for a Pod hook to succeed by watching it). */
function podHookRelease(): Scenario {
  const s = new Scenario({ release: "hookpod", namespace: "default", chart: "hookpod" });
  const cm: Obj = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "hookpod-config" },
    data: { a: "1" },
  };
  const hook: Obj = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "hookpod-check",
      annotations: {
        "helm.sh/hook": "pre-upgrade",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
      },
    },
    spec: {
      restartPolicy: "Never",
      containers: [{ name: "check", image: "busybox:1.36", command: ["true"] }],
    },
  };
  s.revision({
    status: "deployed",
    at: 0,
    templates: [
      { path: "templates/config.yaml", object: cm },
      { path: "templates/check.yaml", object: hook },
    ],
    hookRuns: { "hookpod-check": { phase: "Succeeded", startedAt: 0, completedAt: 0 } },
  });
  s.add(s.owned(cm), 0);
  return s;
}

interface Flow {
  name: string;
  items: () => unknown[];
  run: (source: LiveSource, writer: KubeWriter, srv: FakeApiServer) => Promise<void>;
}

const diagnoseFlow = (name: string, sc: () => Scenario, now: string): Flow => ({
  name: `diagnose ${name}`,
  items: () => sc().bundle().items,
  run: async (source) => {
    const s = sc();
    await source.releases(s.namespace);
    const snap = await source.load(s.release, s.namespace, new Date(now));
    expect(snap.gaps, name).toEqual([]);
  },
});

const remediateFlow = (
  name: string,
  sc: () => Scenario,
  action: ExecutableAction,
  extra: { revision?: number; historyMax?: number; release?: string; namespace?: string } = {},
): Flow => ({
  name,
  items: () => sc().bundle().items,
  run: async (source, writer) => {
    const s = sc();
    const r = await remediate({
      release: extra.release ?? s.release,
      namespace: extra.namespace ?? s.namespace,
      action,
      revision: extra.revision,
      historyMax: extra.historyMax,
      requestedBy: "@ana",
      source,
      writer,
      hookTimeoutMs: 5000,
    });
    expect(r.errors, name).toEqual([]);
    expect(r.outcome, name).toBe("succeeded");
  },
});

/** `helm-doctor watch` in one namespace: the first list, then a watch that sees a record change. */
const watchFlow = (resource: RecordResource, sc: () => Scenario): Flow => ({
  name: `watch the release records (${resource})`,
  items: () => sc().bundle().items,
  run: async (source, _writer, srv) => {
    const s = sc();
    const seen: string[] = [];
    const w = new RecordWatch(source.kubeConfig, s.namespace, resource, {
      synced: (records) => seen.push(`synced ${records.length}`),
      changed: (type, r) => seen.push(`${type} ${r.name}`),
    });
    try {
      await w.start();
      expect(seen[0]).toBe("synced 2");
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("no watch request")), 5000);
        const look = setInterval(() => {
          if (!srv.requests.some((r) => r.verb === "watch" && r.resource === resource)) return;
          clearInterval(look);
          clearTimeout(t);
          resolve();
        }, 20);
      });
      const name = s.records()[1]!.metadata.name as string;
      srv.update(
        { kind: resource === "secrets" ? "Secret" : "ConfigMap", namespace: s.namespace, name },
        (o) => {
          o.metadata.labels = { ...o.metadata.labels, seen: "yes" };
        },
      );
      for (let i = 0; i < 100 && !seen.some((x) => x.startsWith("MODIFIED")); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(seen).toContain(`MODIFIED ${name}`);
      expect(w.stats.errors).toBe(0);
    } finally {
      await w.close();
    }
  },
});

const readKinds = Object.keys(KINDS).filter((k) => k !== "Event");
const writeKinds = Object.entries(KINDS)
  .filter(([, k]) => writableKinds().some((w) => w.resource === k.resource))
  .map(([kind]) => kind);

const FLOWS: Flow[] = [
  ...FAILURE_MODES.map((c) => diagnoseFlow(c.name, c.build, c.now)),
  diagnoseFlow(
    "one object of each kind",
    () => inventoryRelease("single", INVENTORY_NS, readKinds, 1),
    "2026-11-20T11:00:00Z",
  ),
  diagnoseFlow(
    "three objects of each kind",
    () => inventoryRelease("triple", INVENTORY_NS, readKinds, 3),
    "2026-11-20T11:00:00Z",
  ),
  watchFlow("secrets", () => foundingCase()),
  watchFlow("configmaps", () => foundingCase({ driver: "configmap" })),
  remediateFlow("rerun, secret driver, history pruned", () => foundingCase(), "rerun-upgrade", {
    historyMax: 2,
  }),
  remediateFlow(
    "rerun, configmap driver, history pruned",
    () => foundingCase({ driver: "configmap" }),
    "rerun-upgrade",
    {
      historyMax: 2,
    },
  ),
  remediateFlow("rerun with a pre-upgrade Job hook", () => foundingWithJobHook(), "rerun-upgrade"),
  remediateFlow("rerun with a pre-upgrade Pod hook", podHookRelease, "rerun-upgrade"),
  remediateFlow("restore the hook ConfigMap", () => foundingCase(), "restore-hook-resources", {
    revision: 2,
  }),
  remediateFlow(
    "rollback that writes every kind",
    () => everyKindRollback("everykind", INVENTORY_NS, writeKinds),
    "rollback",
    {
      revision: 1,
    },
  ),
];

/** Every namespace the flows touch: the chart is installed with `namespaces:` set to these. */
function namespacesOf(): string[] {
  const ns = new Set<string>(["default", INVENTORY_NS]);
  for (const c of FAILURE_MODES) ns.add(c.build().namespace);
  return [...ns].sort();
}

describe.skipIf(!!unavailable)(
  "RBAC coverage: the chart's Roles allow what helm-doctor does, and nothing more",
  () => {
    const requests: RequestRecord[] = [];
    let grants: RbacGrant[];
    let chartRoles: {
      name: string;
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    }[];

    beforeAll(() => {
      const r = renderChart({
        values: [
          { slack: { existingSecret: "helm-doctor-slack" } },
          {
            namespaces: namespacesOf(),
            remediation: { enabled: true },
            watch: { enabled: true, alertChannel: "C0ALERTS01" },
          },
        ],
      });
      if (!r.ok) throw new Error(r.error);
      const rbac = manifests(r.files)
        .map((m) => m.object)
        .filter((o) => o.apiVersion.startsWith("rbac.authorization.k8s.io/"));
      grants = grantsFromObjects(rbac, USER);
      chartRoles = rbac
        .filter((o) => o.kind === "Role")
        .map((o) => ({ name: o.metadata.name, rules: o.rules }));
      expect(grants.length).toBe(namespacesOf().length * 3);
    });

    for (const f of FLOWS) {
      it(f.name, async () => {
        const srv = await startFakeApiServer({ user: USER });
        try {
          srv.seed(f.items());
          // A tiny kubelet: a hook Pod runs to completion once helm-doctor watches it, as Helm does (the watch
          // replays the change from the resourceVersion it starts at), so the watch rule is used on every run.
          srv.onRequest((r) => {
            if (
              r.verb === "watch" &&
              r.resource === "pods" &&
              r.query.fieldSelector === "metadata.name=hookpod-check"
            )
              srv.update({ kind: "Pod", namespace: r.namespace, name: "hookpod-check" }, (o) => {
                o.status = { phase: "Succeeded" };
              });
          });
          srv.authorize(grants);
          srv.resetCounters();
          const kubeconfig = srv.writeKubeconfig(mkdtempSync(join(dir, "k-")));
          const source = await LiveSource.fromKubeconfig({
            kubeconfig,
            env: {},
            retry: { baseDelayMs: 5, maxDelayMs: 20 },
          });
          const writer = new KubeWriter(source.kubeConfig, {
            baseDelayMs: 5,
            maxDelayMs: 20,
            pollIntervalMs: 20,
          });
          await f.run(source, writer, srv);
          requests.push(...srv.requests);
        } finally {
          await srv.close();
        }
      });
    }

    it("nothing helm-doctor asked for was forbidden, and every request is allowed by the chart's rules", () => {
      const resourceRequests = requests.filter((r) => r.verb !== undefined);
      expect(resourceRequests.length).toBeGreaterThan(200);
      expect(resourceRequests.filter((r) => r.fault === "forbidden").map(show)).toEqual([]);
      for (const r of resourceRequests)
        expect(
          rbacAllows(grants, {
            verb: r.verb!,
            group: r.group ?? "",
            resource: r.resource!,
            subresource: r.subresource,
            namespace: r.namespace,
          }),
          show(r),
        ).toBe(true);
    });

    it("every rule of the chart's read and remediate Roles was used, and none has a wildcard", () => {
      const used = new Set(
        requests.filter((r) => r.verb).map((r) => `${r.verb} ${r.group ?? ""}/${r.resource}`),
      );
      for (const [roleName, expected] of [
        ["helm-doctor-read", readRules()],
        ["helm-doctor-remediate", writeRules()],
        ["helm-doctor-watch", watchRules()],
      ] as const) {
        const role = chartRoles.find((r) => r.name === roleName)!;
        expect(role.rules).toEqual(expected);
        const unused: string[] = [];
        for (const rule of role.rules)
          for (const g of rule.apiGroups)
            for (const res of rule.resources)
              for (const v of rule.verbs) {
                expect([g, res, v]).not.toContain("*");
                if (!used.has(`${v} ${g}/${res}`)) unused.push(`${v} ${g}/${res}`);
              }
        expect(unused, `${roleName}: granted but never used`).toEqual([]);
      }
    });
  },
);

function show(r: RequestRecord): string {
  return `${r.verb} ${r.group ?? ""}/${r.resource}${r.subresource ? `/${r.subresource}` : ""} in ${r.namespace ?? "(cluster)"} → ${r.status}`;
}

describe.skipIf(!!unavailable)("the authorizer of this test is not vacuous", () => {
  it("without the remediation Role a rollback is refused by the API server (403 on the record write)", async () => {
    const r = renderChart({ values: [{ slack: { existingSecret: "s" } }, { namespaces: ["default"] }] });
    if (!r.ok) throw new Error(r.error);
    const rbac = manifests(r.files)
      .map((m) => m.object)
      .filter((o) => o.apiVersion.startsWith("rbac.authorization.k8s.io/"));
    const srv = await startFakeApiServer({ user: USER });
    try {
      srv.seed(foundingCase().bundle().items);
      srv.authorize(grantsFromObjects(rbac, USER));
      const kubeconfig = srv.writeKubeconfig(mkdtempSync(join(dir, "k-")));
      const source = await LiveSource.fromKubeconfig({ kubeconfig, env: {} });
      const writer = new KubeWriter(source.kubeConfig, { baseDelayMs: 5, maxDelayMs: 20 });
      const res = await remediate({
        release: "yahoo",
        namespace: "default",
        action: "rollback",
        revision: 1,
        source,
        writer,
      });
      expect(res.outcome).not.toBe("succeeded");
      expect(res.errors.join()).toMatch(/forbidden/i);
      expect(srv.requests.filter((q) => q.fault === "forbidden").map(show)[0]).toMatch(
        /^create \/secrets in default → 403/,
      );
    } finally {
      await srv.close();
    }
  });
});
