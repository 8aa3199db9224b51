// deploy/Dockerfile checked statically (Docker cannot run here): it runs as the chart's non-root user, starts the
// built CLI on the port the chart probes, its build context holds what it copies, and the production-only install
// (`npm ci --omit=dev`) has every package the product imports.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../support/cli.js";

const dockerfile = readFileSync(join(ROOT, "deploy/Dockerfile"), "utf8");
const values = parse(readFileSync(join(ROOT, "deploy/chart/helm-doctor/values.yaml"), "utf8"));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

/** Instructions (continuation lines joined) of each stage. */
function stages(text: string): string[][] {
  const lines = text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.trim());
  const out: string[][] = [];
  for (const l of lines) {
    if (!l || l.startsWith("#")) continue;
    if (/^FROM\s/i.test(l)) out.push([]);
    out.at(-1)?.push(l);
  }
  return out;
}

describe("deploy/Dockerfile", () => {
  const all = stages(dockerfile);
  const final = all.at(-1)!;

  it("runs as the chart's non-root user, by number", () => {
    const user = final.find((l) => /^USER\s/i.test(l))!.split(/\s+/)[1]!;
    expect(user).toBe(`${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`);
    expect(user.startsWith("0")).toBe(false);
  });

  it("starts the built CLI on the port the chart probes, with JSON logs and /healthz as its health check", () => {
    expect(final).toContain('ENTRYPOINT ["node", "dist/bin.js"]');
    expect(final.find((l) => l.startsWith("EXPOSE"))).toBe(`EXPOSE ${values.serve.port}`);
    expect(final.find((l) => l.startsWith("ENV"))).toMatch(/PORT=3000.*LOG_FORMAT=json/);
    expect(final.find((l) => l.startsWith("HEALTHCHECK"))).toContain("/healthz");
    // Nothing is built or installed in the runtime stage: it only copies.
    expect(final.filter((l) => /^RUN\s/i.test(l))).toEqual([]);
  });

  it("copies only what its build context (Dockerfile.dockerignore) lets in", () => {
    const allowed = readFileSync(join(ROOT, "deploy/Dockerfile.dockerignore"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("!"))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ""));
    const sources = all
      .flat()
      .filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(3);
    for (const s of sources) expect(allowed, s).toContain(s.replace(/^\.\//, "").replace(/\/$/, ""));
  });

  it("every package the product imports is a production dependency (the image omits dev dependencies)", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }))
        e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(".ts") && files.push(join(d, e.name));
    };
    walk(join(ROOT, "src"));
    const imported = new Set<string>();
    for (const f of files)
      for (const m of readFileSync(f, "utf8").matchAll(/(?:from|import\()\s*"([^".][^"]*)"/g)) {
        const spec = m[1]!;
        if (spec.startsWith("node:")) continue;
        imported.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    expect([...imported].sort()).toEqual(expect.arrayContaining(["pino", "prom-client", "@slack/bolt"]));
    for (const p of imported) expect(Object.keys(pkg.dependencies), p).toContain(p);
  });
});
