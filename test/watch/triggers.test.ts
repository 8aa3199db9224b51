// The watcher's pure decisions: when release-record labels ask for a diagnosis (and the near misses that must stay
// quiet), what a finished diagnosis does to the release's report, and where the routing file sends it.
import { describe, expect, it } from "vitest";
import {
  type AlertState,
  decideAlert,
  NOT_DIAGNOSED,
  problemCodes,
  resolvedReply,
  resolvedReport,
  unaskedReport,
} from "../../src/watch/alerts.js";
import { parseRoutes, RoutesError, routeFor } from "../../src/watch/routes.js";
import { evaluate, type RecordMeta, recordMeta, type TriggerSettings } from "../../src/watch/triggers.js";
import { validateBlocks } from "../support/fake-slack/index.js";

const MIN = 60_000;
const T0 = Date.parse("2026-11-20T10:00:00Z");
const settings = (now: number, epoch = T0): TriggerSettings => ({
  now,
  epoch,
  stuckMs: 10 * MIN,
  unreadyMs: 10 * MIN,
});

function rec(revision: number, status: string, at: number, extra: Partial<RecordMeta> = {}): RecordMeta {
  return {
    namespace: "shop",
    name: `sh.helm.release.v1.yahoo.v${revision}`,
    release: "yahoo",
    revision,
    status,
    labelledAt: at,
    resourceVersion: `${100 + revision}`,
    labels: {},
    ...extra,
  };
}

describe("recordMeta", () => {
  it("reads Helm's labels: release, revision, status, and the time of the status (modifiedAt, else createdAt)", () => {
    const m = recordMeta({
      metadata: {
        name: "sh.helm.release.v1.yahoo.v3",
        namespace: "shop",
        resourceVersion: "42",
        creationTimestamp: "2026-11-20T09:00:00Z",
        labels: {
          name: "yahoo",
          owner: "helm",
          status: "failed",
          version: "3",
          modifiedAt: String(T0 / 1000),
          team: "payments",
        },
      },
    });
    expect(m).toMatchObject({ release: "yahoo", revision: 3, status: "failed", labelledAt: T0 });
    expect(m!.labels).toEqual({ team: "payments" });
    const created = recordMeta({
      metadata: {
        name: "sh.helm.release.v1.yahoo.v4",
        labels: { owner: "helm", status: "pending-upgrade", createdAt: String(T0 / 1000 + 60) },
      },
    });
    expect(created).toMatchObject({ release: "yahoo", revision: 4, labelledAt: T0 + MIN });
  });

  it("ignores objects that are not release records", () => {
    expect(recordMeta({ metadata: { name: "db-password", labels: { app: "db" } } })).toBeUndefined();
    expect(
      recordMeta({ metadata: { name: "x", labels: { owner: "helm", name: "x", version: "abc" } } }),
    ).toBeUndefined();
  });
});

describe("triggers", () => {
  it("a latest revision that turned failed asks once per record version", () => {
    const ev = evaluate([rec(1, "deployed", T0), rec(2, "failed", T0 + MIN)], settings(T0 + 2 * MIN));
    expect(ev.trigger).toMatchObject({
      kind: "failed",
      revision: 2,
      key: "2:failed:102",
      reason: "revision 2 turned failed",
    });
    // The same revision changed again (a new record version): another key.
    const again = evaluate([rec(2, "failed", T0 + MIN, { resourceVersion: "150" })], settings(T0 + 3 * MIN));
    expect(again.trigger?.key).toBe("2:failed:150");
  });

  it("near miss: a failed revision that is not the latest asks nothing", () => {
    expect(
      evaluate([rec(2, "failed", T0 + MIN), rec(3, "deployed", T0 - 60 * MIN)], settings(T0 + 90 * MIN))
        .trigger,
    ).toBeUndefined();
  });

  it("near miss: a release that failed before the watcher first ran is backlog, not news", () => {
    expect(evaluate([rec(2, "failed", T0 - 60 * MIN)], settings(T0 + MIN)).trigger).toBeUndefined();
    // …unless its report is open and it changed since.
    const open = evaluate([rec(2, "failed", T0 - 60 * MIN)], settings(T0 + MIN), { revision: 1 });
    expect(open.trigger?.kind).toBe("failed");
  });

  it("a change seen live counts from when it was seen, not from the Helm client's clock", () => {
    const skewed = rec(2, "failed", T0 - 120 * MIN, { observedAt: T0 + MIN });
    expect(evaluate([skewed], settings(T0 + MIN)).trigger?.kind).toBe("failed");
  });

  it("a pending revision waits for the stuck threshold, then asks once", () => {
    const young = evaluate(
      [rec(1, "deployed", T0), rec(2, "pending-upgrade", T0 + MIN)],
      settings(T0 + 5 * MIN),
    );
    expect(young).toEqual({ recheckAt: T0 + 11 * MIN });
    const stuck = evaluate([rec(2, "pending-upgrade", T0 + MIN)], settings(T0 + 11 * MIN));
    expect(stuck.trigger).toMatchObject({
      kind: "stuck",
      key: "2:stuck",
      reason: "revision 2 has been pending-upgrade for 10 min",
    });
    expect(evaluate([rec(5, "uninstalling", T0)], settings(T0 + 30 * MIN)).trigger?.kind).toBe("stuck");
    // An upgrade under way with an open report of an earlier revision still waits.
    expect(evaluate([rec(2, "pending-upgrade", T0 + MIN)], settings(T0 + 2 * MIN), { revision: 1 })).toEqual({
      recheckAt: T0 + 11 * MIN,
    });
  });

  it("a deployed revision is checked once, the configured time after it deployed, while it is recent", () => {
    const recs = [rec(1, "superseded", T0 - 60 * MIN), rec(2, "deployed", T0 + MIN)];
    expect(evaluate(recs, settings(T0 + 2 * MIN))).toEqual({ recheckAt: T0 + 11 * MIN });
    expect(evaluate(recs, settings(T0 + 11 * MIN)).trigger).toMatchObject({
      kind: "unready",
      key: "2:unready",
    });
    // Near miss: deployed long ago (a restart of the watcher does not check every release again).
    expect(evaluate(recs, settings(T0 + 25 * MIN))).toEqual({});
  });

  it("an open report is rechecked when its release changes: a new revision, or a new version of its record", () => {
    const recs = [rec(2, "failed", T0), rec(3, "deployed", T0 + MIN)];
    expect(
      evaluate(recs, settings(T0 + 2 * MIN), { revision: 2, resourceVersion: "102" }).trigger,
    ).toMatchObject({
      kind: "recheck",
      key: "3:recheck:103",
    });
    // Near miss: the report already shows this record version.
    expect(
      evaluate(recs, settings(T0 + 2 * MIN), { revision: 3, resourceVersion: "103" }).trigger,
    ).toBeUndefined();
  });
});

describe("alerts", () => {
  const open: AlertState = {
    cluster: "default",
    namespace: "shop",
    release: "yahoo",
    channel: "C0ALERTS",
    ts: "1.000001",
    revision: 2,
    problems: ["release-failed"],
    state: "open",
    headline: "shop/yahoo: The upgrade to revision 2 failed",
    postedAt: "2026-11-20T10:00:00.000Z",
    updatedAt: "2026-11-20T10:00:00.000Z",
  };
  const outcome = (revision: number, problems: string[]) => ({
    revision,
    status: problems.length ? "failed" : "deployed",
    problems,
    headline: "h",
  });

  it("posts a new problem, keeps quiet on the same one, updates a changed one, resolves a healthy one", () => {
    expect(decideAlert(undefined, outcome(2, ["release-failed"])).kind).toBe("post");
    expect(decideAlert(undefined, outcome(2, [])).kind).toBe("none");
    expect(decideAlert(open, outcome(2, ["release-failed"])).kind).toBe("none");
    expect(decideAlert(open, outcome(2, ["admission-rejected"])).kind).toBe("update");
    expect(decideAlert(open, outcome(3, ["release-failed"])).kind).toBe("update");
    expect(decideAlert(open, outcome(3, [])).kind).toBe("resolve");
    expect(decideAlert({ ...open, state: "resolved" }, outcome(4, ["release-failed"])).kind).toBe("post");
  });

  it("a message saying the diagnosis could not run: kept on the same failure, replaced by a report, resolved when healthy", () => {
    const failedOnce = { ...open, problems: [NOT_DIAGNOSED] };
    expect(decideAlert(undefined, outcome(2, [NOT_DIAGNOSED])).kind).toBe("post");
    expect(decideAlert(failedOnce, outcome(2, [NOT_DIAGNOSED])).kind).toBe("none");
    expect(decideAlert(failedOnce, outcome(2, ["release-failed"])).kind).toBe("update");
    expect(decideAlert(failedOnce, outcome(3, [])).kind).toBe("resolve");
  });

  it("counts findings at warning or worse, once each", () => {
    expect(
      problemCodes([
        { code: "pod-not-ready", severity: "warning" },
        { code: "hooks-skipped", severity: "info" },
        { code: "release-failed", severity: "critical" },
        { code: "pod-not-ready", severity: "warning" },
      ]),
    ).toEqual(["pod-not-ready", "release-failed"]);
  });

  it("says why a report was posted unasked, names a named cluster, and resolves without buttons", () => {
    const report = {
      text: "shop/yahoo: x",
      blocks: [{ type: "header", text: { type: "plain_text", text: "x" } }],
    };
    const trigger = {
      kind: "failed" as const,
      namespace: "shop",
      release: "yahoo",
      revision: 2,
      status: "failed",
      key: "k",
      at: T0,
      reason: "revision 2 turned failed",
      labels: {},
    };
    const m = unaskedReport(report as never, trigger, "prod");
    expect(JSON.stringify(m.blocks)).toContain(
      "prod · posted by helm-doctor watch: revision 2 turned failed",
    );
    expect(JSON.stringify(unaskedReport(report as never, trigger, "default").blocks)).not.toContain(
      "default ·",
    );
    const r = resolvedReport(open, outcome(3, []), "default", new Date(T0));
    expect(validateBlocks(r.blocks as unknown[], "message")).toEqual([]);
    expect(JSON.stringify(r.blocks)).not.toContain("actions");
    expect(r.text).toBe("shop/yahoo: resolved with revision 3 (deployed)");
    // A named cluster is named in the notification texts of the resolution and its thread reply.
    const prodOpen = { ...open, cluster: "prod" };
    expect(resolvedReport(prodOpen, outcome(3, []), "prod", new Date(T0)).text).toBe(
      "prod · shop/yahoo: resolved with revision 3 (deployed)",
    );
    expect(resolvedReply(prodOpen, outcome(3, []), "fixed").text).toBe("Resolved: prod · shop/yahoo");
    expect(resolvedReply(open, outcome(3, []), "fixed").text).toBe("Resolved: shop/yahoo");
  });
});

describe("routing file", () => {
  const file = `
version: 1
default: C0ALERTS
routes:
  - channel: C0PAY
    releaseLabels: { team: payments }
  - channel: C0PRODSHOP
    clusters: [prod]
    namespaces: [shop, "team-*"]
  - channel: C0SHOP
    namespaces: [shop]
channels:
  C0PRODSHOP: { cluster: prod }
rateLimit: { messages: 3, minutes: 5 }
`;
  const routes = parseRoutes(file, "routes.yaml");

  it("sends a release to the first matching route, else to the default channel", () => {
    expect(routeFor(routes, { cluster: "prod", namespace: "shop", labels: { team: "payments" } })).toBe(
      "C0PAY",
    );
    expect(routeFor(routes, { cluster: "prod", namespace: "team-a", labels: {} })).toBe("C0PRODSHOP");
    expect(routeFor(routes, { cluster: "staging", namespace: "shop", labels: {} })).toBe("C0SHOP");
    expect(routeFor(routes, { cluster: "staging", namespace: "web", labels: { team: "web" } })).toBe(
      "C0ALERTS",
    );
    expect(routes.channelClusters).toEqual({ C0PRODSHOP: "prod" });
    expect(routes.rateLimit).toEqual({ messages: 3, minutes: 5 });
  });

  it("falls back to HELM_DOCTOR_ALERT_CHANNEL when the file has no default", () => {
    expect(parseRoutes("routes: []", "r.yaml", "C0ENV").defaultChannel).toBe("C0ENV");
  });

  it("refuses an invalid file, naming the path and the problem", () => {
    const bad = (t: string) => {
      try {
        parseRoutes(t, "r.yaml");
      } catch (e) {
        expect(e).toBeInstanceOf(RoutesError);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(bad("routes:\n  - channel: '#shop'\n    namespaces: [shop]")).toContain(
      "routes[0].channel: is not a Slack channel ID",
    );
    expect(bad("routes:\n  - channel: C0SHOP")).toContain("matches everything");
    expect(bad("rout: []")).toContain('Unrecognized key: "rout"');
    expect(bad("routes: [")).toContain("not valid YAML");
  });
});
