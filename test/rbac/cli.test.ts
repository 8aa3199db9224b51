// `helm-doctor rbac` as a user types it: the Roles for two namespaces, the ClusterRole for all, and clear usage
// errors for what it cannot mean.
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { main } from "../../src/cli.js";

async function rbac(...args: string[]) {
  let out = "";
  let err = "";
  const code = await main(["rbac", ...args], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    env: {},
    stdoutIsTTY: false,
  });
  // biome-ignore lint/suspicious/noExplicitAny: printed Kubernetes objects are free-form
  return { code, out, err, docs: parseAllDocuments(out).map((d) => d.toJSON() as Record<string, any>) };
}

describe("helm-doctor rbac", () => {
  it("-n shop,payments: a read Role and its binding per namespace, for the helm-doctor service account", async () => {
    const r = await rbac("-n", "shop,payments");
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      "Role shop/helm-doctor-read",
      "RoleBinding shop/helm-doctor-read",
      "Role payments/helm-doctor-read",
      "RoleBinding payments/helm-doctor-read",
    ]);
    const role = r.docs[0]!;
    expect(role.rules).toContainEqual({ apiGroups: [""], resources: ["events"], verbs: ["list"] });
    expect(JSON.stringify(role.rules)).not.toMatch(/"\*"|create|delete|patch|update/);
    expect(r.docs[1]!.subjects).toEqual([
      { kind: "ServiceAccount", name: "helm-doctor", namespace: "helm-doctor" },
    ]);
  });

  it("--remediation adds the write Role; -n '*' makes ClusterRoles; names and subjects are settable", async () => {
    const r = await rbac(
      "-n",
      "*",
      "--remediation",
      "--name",
      "hd",
      "--service-account",
      "bot",
      "--service-account-namespace",
      "ops",
    );
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual([
      "ClusterRole hd-read",
      "ClusterRoleBinding hd-read",
      "ClusterRole hd-remediate",
      "ClusterRoleBinding hd-remediate",
    ]);
    expect(r.docs[2]!.rules).toContainEqual({
      apiGroups: ["batch"],
      resources: ["jobs"],
      verbs: ["watch", "create", "patch", "delete"],
    });
    expect(r.docs[3]!.subjects).toEqual([{ kind: "ServiceAccount", name: "bot", namespace: "ops" }]);
  });

  it("--extra-resource adds one rule per kind, with get when the read Role lacks it", async () => {
    const r = await rbac("-n", "shop", "--remediation", "--extra-resource", "networking.k8s.io/ingresses");
    const write = r.docs.find((d) => d.metadata.name === "helm-doctor-remediate" && d.kind === "Role")!;
    expect(write.rules.at(-1)).toEqual({
      apiGroups: ["networking.k8s.io"],
      resources: ["ingresses"],
      verbs: ["get", "create", "patch", "delete"],
    });
  });

  it.each([
    [[], /needs -n/],
    [["-n", "*,shop"], /give it alone/],
    [["-n", "Shop"], /invalid namespace "Shop"/],
    [["-n", "shop", "--extra-resource", "ingresses"], /only widens the remediation Role/],
    [["-n", "shop", "--remediation", "--extra-resource", "*"], /is not a resource/],
    [["-n", "shop", "--bogus"], /rbac has no option --bogus/],
  ])("rbac %j is a usage error", async (args, message) => {
    const r = await rbac(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe("");
  });
});
