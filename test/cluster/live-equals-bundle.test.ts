// The cluster state of every failure mode gives the same findings through the live source (fake API server) as
// from its bundle.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LiveSource } from "../../src/cluster/live.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis } from "../../src/diagnosis/types.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { Scenario } from "../support/scenario.js";
import {
  ATOMIC_OWNERSHIP_OUTPUT,
  atomicOwnership,
  CAUSES_NOW,
  foreignRecords,
  neighbourHookCollision,
  neighbourRecords,
  OWNERSHIP_OUTPUT,
  ownershipFromOutput,
  recordDeleted,
  sharedObject,
} from "../support/scenarios/causes.js";
import { FAILURE_MODES } from "../support/scenarios/failure-modes.js";
import { bigChart, RECORD_TOO_LARGE } from "../support/scenarios/release-state.js";

function summary(d: Diagnosis) {
  return d.findings.map((f) => ({
    code: f.code,
    severity: f.severity,
    resources: f.resources.map((r) => `${r.kind}/${r.name}`).sort(),
    remediations: f.remediations.map((r) => `${r.action}:${r.revision ?? ""}`),
  }));
}

// A fresh cluster per scenario (the payloads name their namespace, so they cannot share one).
let srv: FakeApiServer;
let kubeconfig: string;
const dir = mkdtempSync(join(tmpdir(), "hd-cat-"));
beforeEach(async () => {
  srv = await startFakeApiServer();
  kubeconfig = srv.writeKubeconfig(dir);
  srv.jobs.enabled = false; // the scenarios' Jobs already carry their outcome
});
afterEach(async () => {
  await srv.close();
});

describe("live source = bundle, for every failure mode's scenario", () => {
  for (const c of FAILURE_MODES) {
    it(c.name, async () => {
      const sc = c.build();
      const ns = sc.namespace;
      const items = sc.bundle().items;
      srv.seed(items);
      const now = new Date(c.now);
      const fromBundle = diagnose(
        buildSnapshot({ release: sc.release, namespace: ns, objects: items, now, source: "bundle" }),
      );
      const live = await LiveSource.fromKubeconfig({ kubeconfig, env: {} });
      const fromLive = diagnose(await live.load(sc.release, ns, now));
      expect(summary(fromLive)).toEqual(summary(fromBundle));
      // Not vacuous: every broken state is found (healthy ones have nothing at warning or above).
      const serious = fromBundle.findings.filter((f) => f.severity !== "info");
      if (c.name.startsWith("healthy")) expect(serious).toEqual([]);
      else expect(serious.length).toBeGreaterThan(0);
      expect(fromLive.gaps).toEqual([]);
    });
  }
});

/** The same cluster state diagnosed from its bundle and through the live source (the fake API server). */
async function bothWays(
  sc: Scenario,
  helmOutput?: string,
): Promise<{ fromBundle: Diagnosis; fromLive: Diagnosis }> {
  const items = sc.bundle().items;
  srv.seed(items);
  const now = new Date(CAUSES_NOW);
  const hints = helmOutput ? { helmOutput } : {};
  const fromBundle = diagnose(
    buildSnapshot({
      release: sc.release,
      namespace: sc.namespace,
      objects: items,
      now,
      source: "bundle",
      ...hints,
    }),
  );
  const live = await LiveSource.fromKubeconfig({ kubeconfig, env: {} });
  const fromLive = diagnose(await live.load(sc.release, sc.namespace, now, hints));
  return { fromBundle, fromLive };
}

// Evidence beyond the release's own records, through the live source: the namespace's other releases, and the
// objects a failed helm command's output names (which no stored manifest has).
describe("live source = bundle, beyond one release's records", () => {
  const cases = [
    {
      name: "a neighbour's hook deletes our ConfigMap",
      build: () => neighbourHookCollision(),
      code: "resource-ownership-conflict",
    },
    {
      name: "a neighbour's hook deletes our Secret",
      build: () => neighbourHookCollision({ kind: "Secret" }),
      code: "resource-ownership-conflict",
      title: /^Secret app-config of shop is also a hook of release shop-jobs/,
    },
    {
      name: "a neighbour's hook replaces our Secret",
      build: () => neighbourHookCollision({ kind: "Secret", replaced: true }),
      code: "resource-ownership-conflict",
      title: /its pre-upgrade hook replaces it on every run/,
    },
    {
      name: "an object two releases render",
      build: () => sharedObject(),
      code: "resource-ownership-conflict",
    },
    {
      name: "an upgrade's output names an object nobody owns",
      build: () => ownershipFromOutput({ owner: "kubectl" }),
      output: OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web"),
      code: "resource-ownership-conflict",
    },
    {
      name: "an upgrade's output names our leftover hook copy",
      build: () => ownershipFromOutput(),
      output: OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web"),
      code: "resource-moved-out-of-hook",
    },
    {
      name: "an upgrade's output names an object an uninstalled release kept",
      build: () => ownershipFromOutput({ owner: "search", keep: true }),
      output: OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web"),
      code: "resource-ownership-conflict",
      title: /left behind by release search, which no longer exists/,
    },
    {
      name: "the owner release is read even when 21 other releases were written after it",
      build: () => {
        const s = ownershipFromOutput({ owner: "search" });
        for (const r of neighbourRecords("search")) s.add(r, 0);
        for (let i = 0; i < 21; i++) {
          const n = new Scenario({ release: `app-${i}`, namespace: "shop", chart: "app" });
          n.revision({ status: "deployed", at: 10 + i, templates: [] });
          for (const r of foreignRecords(n)) s.add(r, 10 + i);
        }
        return s;
      },
      output: OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web"),
      code: "resource-ownership-conflict",
      title: /belongs to release search/,
    },
    {
      name: "an atomic rollback masking an ownership conflict",
      build: () => atomicOwnership({ stored: true }),
      output: ATOMIC_OWNERSHIP_OUTPUT("web", "cache"),
      code: "resource-ownership-conflict",
    },
    {
      name: "every record deleted, the objects' ownership left",
      build: () => recordDeleted("all"),
      code: "release-record-missing",
      title: /^Release notify has no records, but 2 objects in shop carry its ownership/,
    },
    {
      name: "an upgrade's output says the record is too large",
      build: () => bigChart(640),
      output: RECORD_TOO_LARGE("Secret", "grafana-stack", 3),
      code: "release-record-size",
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { fromBundle, fromLive } = await bothWays(c.build(), c.output);
      expect(fromLive.findings[0]?.code).toBe(c.code);
      if (c.title) expect(fromLive.findings[0]?.title).toMatch(c.title);
      expect(summary(fromLive)).toEqual(summary(fromBundle));
      expect(fromLive.gaps).toEqual([]);
    });
  }
});

// Near misses beyond the release's records stay quiet through the live source as from the bundle.
describe("live source = bundle, near misses beyond one release's records", () => {
  const cases = [
    {
      name: "a neighbour's hook of the same name but another kind",
      build: () => neighbourHookCollision({ kind: "Secret", theirKind: "ConfigMap" }),
    },
    {
      name: "an uninstall that kept one object",
      build: () => recordDeleted("uninstalled-kept"),
    },
    {
      name: "objects with the chart's labels but not Helm's ownership",
      build: () => recordDeleted("label-only"),
    },
    {
      name: "a same-named release in another namespace with a hook of that name",
      build: () =>
        neighbourHookCollision({ kind: "Secret", neighbourNamespace: "staging", neighbourRelease: "shop" }),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { fromBundle, fromLive } = await bothWays(c.build());
      expect(summary(fromLive)).toEqual(summary(fromBundle));
      expect(fromLive.findings.filter((f) => f.severity !== "info")).toEqual([]);
    });
  }
});
