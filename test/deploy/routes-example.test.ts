// The routing file as an operator meets it: deploy/routes.example.yaml and the example in deploy/README.md load
// with the product's own loader and route as their comments say, and the chart accepts the same YAML as its
// `routes:` value and mounts it unchanged.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  DEFAULT_RATE_LIMIT,
  loadRoutes,
  parseRoutes,
  type Routes,
  routeFor,
} from "../../src/watch/routes.js";
import { manifests, renderChart, rendererUnavailable } from "../support/helm-render.js";

const EXAMPLE = fileURLToPath(new URL("../../deploy/routes.example.yaml", import.meta.url));
const README = fileURLToPath(new URL("../../deploy/README.md", import.meta.url));

/** The YAML block of deploy/README.md's routing file section. */
function readmeExample(): string {
  const md = readFileSync(README, "utf8");
  const at = md.indexOf("### Routing file (`HELM_DOCTOR_ROUTES`)");
  expect(at, "deploy/README.md has the routing file section").toBeGreaterThan(0);
  const block = /```yaml\n([\s\S]*?)```/.exec(md.slice(at));
  expect(block, "the section has a YAML example").not.toBeNull();
  return block![1]!;
}

function routesAsDocumented(r: Routes): void {
  const to = (cluster: string, namespace: string, labels: Record<string, string> = {}) =>
    routeFor(r, { cluster, namespace, labels });
  // The first matching route wins: a payments release in prod/shop goes to payments, not to prod's channel.
  expect(to("prod", "shop", { team: "payments" })).toBe("C0PAYMENTS");
  expect(to("prod", "shop")).toBe("C0PRODOPS1");
  expect(to("prod", "team-checkout")).toBe("C0PRODOPS1");
  // Near misses: another cluster's team-* namespace, a namespace merely starting with "shop", another label value.
  expect(to("staging", "team-checkout")).toBe("C0ALERTS01");
  expect(to("staging", "shop")).toBe("C0SHOPOPS1");
  expect(to("staging", "shopping")).toBe("C0ALERTS01");
  expect(to("staging", "web", { team: "pay" })).toBe("C0ALERTS01");
  expect(r.channelClusters).toEqual({ C0PRODOPS1: "prod", C0STAGING1: "staging" });
  // The file states the default limit: it must be the one the product applies when the key is omitted.
  expect(r.rateLimit).toEqual(DEFAULT_RATE_LIMIT);
  expect(parseRoutes("version: 1", "r.yaml").rateLimit).toEqual({ messages: 10, minutes: 10 });
}

describe("the routing file's documented examples", () => {
  it("deploy/routes.example.yaml loads and routes as its comments say", async () => {
    const r = await loadRoutes(EXAMPLE, "C0ENVCHANNEL");
    // The file's `default` wins over HELM_DOCTOR_ALERT_CHANNEL.
    expect(r.defaultChannel).toBe("C0ALERTS01");
    routesAsDocumented(r);
  });

  it("deploy/README.md's example is the same file", async () => {
    const fromReadme = parseRoutes(readmeExample(), "README");
    routesAsDocumented(fromReadme);
    const fromFile = await loadRoutes(EXAMPLE);
    expect({ ...fromReadme, source: "" }).toEqual({ ...fromFile, source: "" });
  });

  it("the README's invalid-file message is the product's", () => {
    const md = readFileSync(README, "utf8");
    let message = "";
    try {
      parseRoutes("routes:\n  - channel: '#shop'\n    namespaces: [shop]", "/etc/helm-doctor/routes.yaml");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("routes[0].channel: is not a Slack channel ID");
    expect(md.replace(/\s+/g, " ")).toContain(message.replace(/\s+/g, " "));
  });

  const unavailable = rendererUnavailable();
  it.skipIf(unavailable !== undefined)("the chart takes the example as its `routes:` value", async () => {
    const values = parse(readFileSync(EXAMPLE, "utf8")) as Record<string, unknown>;
    const r = renderChart({
      values: [
        { slack: { botToken: "xoxb-test-bot-token", signingSecret: "test-signing-secret" } },
        { watch: { enabled: true, alertChannel: "C0ALERTS01" }, routes: values },
      ],
    });
    if (!r.ok) throw new Error(r.error);
    const cm = manifests(r.files)
      .map((m) => m.object)
      .find((o) => o.kind === "ConfigMap" && o.metadata.name === "helm-doctor-routes");
    expect(cm).toBeDefined();
    const mounted = parseRoutes(cm!.data["routes.yaml"], "/etc/helm-doctor-routes/routes.yaml");
    expect({ ...mounted, source: "" }).toEqual({ ...(await loadRoutes(EXAMPLE)), source: "" });
  });
});
