// Discovery documents (/api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>) and /version, in the
// shapes of the legacy (unaggregated) discovery API that client-node's KubernetesObjectApi reads.
import { apiVersionOf, type Registry, type ResourceDef } from "./resources.js";
import type { JsonObject } from "./types.js";

export interface VersionInfo {
  gitVersion: string;
}

export function versionDocument(v: VersionInfo): JsonObject {
  const m = /^v(\d+)\.(\d+)/.exec(v.gitVersion);
  return {
    major: m?.[1] ?? "1",
    minor: m?.[2] ?? "31",
    gitVersion: v.gitVersion,
    gitCommit: "9e0a3a8c1a7f5b2c0e1e3a4f0d7c8b6a5e4d3c2b",
    gitTreeState: "clean",
    buildDate: "2024-08-13T07:28:49Z",
    goVersion: "go1.22.5",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupsOf(registry: Registry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const d of registry.all()) {
    if (!d.group) continue;
    const versions = groups.get(d.group) ?? [];
    if (!versions.includes(d.version)) versions.push(d.version);
    groups.set(d.group, versions);
  }
  return groups;
}

function groupEntry(name: string, versions: string[]): JsonObject {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(registry: Registry): JsonObject {
  const groups = [...groupsOf(registry)].map(([name, versions]) => groupEntry(name, versions));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function apiGroup(registry: Registry, group: string): JsonObject | undefined {
  const versions = groupsOf(registry).get(group);
  if (!versions) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group, versions) };
}

function resourceEntry(d: ResourceDef): JsonObject {
  const e: JsonObject = {
    name: d.resource,
    singularName: d.singular,
    namespaced: d.namespaced,
    kind: d.kind,
    verbs: d.verbs,
  };
  if (d.shortNames.length > 0) e.shortNames = d.shortNames;
  if (d.categories.length > 0) e.categories = d.categories;
  return e;
}

function subresourceEntry(d: ResourceDef, sub: string): JsonObject {
  return {
    name: `${d.resource}/${sub}`,
    singularName: "",
    namespaced: d.namespaced,
    kind: d.kind,
    verbs: sub === "log" ? ["get"] : ["get", "patch", "update"],
  };
}

/**
 * APIResourceList of one group/version. The core list has no apiVersion field; the group lists have
 * "apiVersion":"v1" (a quirk of the real server that clients do not care about).
 */
export function apiResourceList(registry: Registry, group: string, version: string): JsonObject | undefined {
  const defs = registry.all().filter((d) => d.group === group && d.version === version);
  if (defs.length === 0) return undefined;
  const resources = defs.flatMap((d) => [
    resourceEntry(d),
    ...d.subresources.map((s) => subresourceEntry(d, s)),
  ]);
  const groupVersion = apiVersionOf({ group, version });
  return group
    ? { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources }
    : { kind: "APIResourceList", groupVersion, resources };
}
