// The CLI's presentation choices as a user meets them: --brief, --output slack, list, the history of a diagnosis
// with an undecodable record, messages for unknown options and commands and for a bundle without Helm records,
// and progress on a slow cluster read.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { visibleText } from "../../src/report/blockkit.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { KubeObject } from "../../src/snapshot/types.js";
import { runMain } from "../support/cli.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { validateBlocks } from "../support/fake-slack/block-kit.js";
import { FIXTURE_DIR } from "../support/fixtures.js";
import { ALL_SCENARIOS } from "../support/scenarios/all.js";

const FOUNDING = `${FIXTURE_DIR}founding-case.json`;

function snapshotOf(release: string, namespace: string, items: unknown[], now: string) {
  return buildSnapshot({
    release,
    namespace,
    objects: items as KubeObject[],
    now: new Date(now),
    source: "test",
    gaps: [],
  });
}
const NOW = "2026-11-20T11:10:00Z";
const dir = mkdtempSync(join(tmpdir(), "hd-cli-present-"));

function bundleOf(items: unknown[]): string {
  const f = join(dir, `b-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  return f;
}

describe("diagnose presentations", () => {
  it("--brief prints one line per finding with the fix's command", async () => {
    const r = await runMain(["diagnose", "yahoo", "--bundle", FOUNDING, "--now", NOW, "--brief"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toEqual([
      expect.stringMatching(
        /^CRITICAL default\/yahoo resource-moved-into-hook: ConfigMap basic-app-config .* — fix: helm-doctor restore-hooks yahoo -n default --revision 2$/,
      ),
    ]);
    // A state with nothing to report: one line that says so.
    const calm = ALL_SCENARIOS.find((c) => {
      const s = c.build();
      return diagnose(snapshotOf(s.release, s.namespace, s.bundle().items, c.now)).findings.length === 0;
    })!;
    const quietState = calm.build();
    const healthy = await runMain([
      "diagnose",
      ...[quietState.release, "-n", quietState.namespace, "--brief", "--bundle"],
      bundleOf(quietState.bundle().items),
      ...["--now", calm.now],
    ]);
    expect(healthy.stdout).toBe(`OK ${quietState.namespace}/${quietState.release}: no problems found\n`);
    const both = await runMain(["diagnose", "yahoo", "--bundle", FOUNDING, "--brief", "-o", "json"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--brief prints text");
  });

  it("--output slack prints the channel message and its thread, valid Block Kit within budget", async () => {
    const r = await runMain(["diagnose", "yahoo", "--bundle", FOUNDING, "--now", NOW, "--output", "slack"]);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as { text: string; blocks: unknown[]; thread: { blocks: unknown[] }[] };
    expect(validateBlocks(m.blocks, "message")).toEqual([]);
    expect(m.blocks.length).toBeLessThanOrEqual(10);
    expect([...visibleText(m.blocks as never)].length).toBeLessThanOrEqual(700);
    const buttons = (m.blocks as { type: string; elements?: { text: { text: string } }[] }[])
      .filter((b) => b.type === "actions")
      .flatMap((b) => b.elements!.map((e) => e.text.text));
    expect(buttons).toEqual([
      "Restore ConfigMap basic-app-config",
      "Re-run the upgrade (revision 2)",
      "Roll back to revision 1",
    ]);
    expect(m.thread.length).toBeGreaterThan(0);
    for (const t of m.thread) expect(validateBlocks(t.blocks, "message")).toEqual([]);
    expect(JSON.stringify(m.thread)).toContain("helm-doctor rollback yahoo 1 -n default");
  });

  it("lists an undecodable revision in the report's history and JSON, as history does", async () => {
    const bundle = JSON.parse(readFileSync(FOUNDING, "utf8"));
    bundle.items.push({
      apiVersion: "v1",
      kind: "Secret",
      type: "helm.sh/release.v1",
      metadata: {
        name: "sh.helm.release.v1.yahoo.v3",
        namespace: "default",
        labels: { name: "yahoo", owner: "helm", status: "pending-upgrade", version: "3" },
      },
      data: { release: Buffer.from("H4sIAAAA-broken").toString("base64") },
    });
    const f = bundleOf(bundle.items);
    const text = await runMain(["diagnose", "yahoo", "--bundle", f, "--now", NOW]);
    expect(text.stdout).toMatch(/^\s+3\s+pending-upgrade\s+undecodable record: /m);
    const json = JSON.parse(
      (await runMain(["diagnose", "yahoo", "--bundle", f, "--now", NOW, "-o", "json"])).stdout,
    );
    const row = json.revisions.find((x: { revision: number }) => x.revision === 3);
    expect(row).toMatchObject({ status: "pending-upgrade", record: "sh.helm.release.v1.yahoo.v3" });
    expect(row.error).toMatch(/base64|gzip|decode/i);
  });
});

describe("list", () => {
  it("shows every release, the ones needing attention first, as text and JSON", async () => {
    const pick = (name: string) => ALL_SCENARIOS.find((c) => c.name === name)!.build();
    const states = [pick("crash loop"), pick("pending install"), pick("immutable Job in the manifest")];
    const records = states.flatMap((s) =>
      (s.bundle().items as { metadata?: { labels?: Record<string, string> } }[]).filter(
        (o) => o.metadata?.labels?.owner === "helm",
      ),
    );
    const f = bundleOf(records);
    const r = await runMain(["list", "-A", "--bundle", f]);
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n").slice(1, 4);
    expect(rows.map((l) => l.split(/\s+/)[3])).toEqual(["failed", "pending-install", "deployed"]);
    expect(r.stdout).toContain("2 of 3 are not deployed (failed, stuck or uninstalled)");
    const json = JSON.parse((await runMain(["list", "-A", "--bundle", f, "-o", "json"])).stdout);
    expect(json.map((x: { status: string; attention: boolean }) => [x.status, x.attention])).toEqual([
      ["failed", true],
      ["pending-install", true],
      ["deployed", false],
    ]);
    const one = await runMain(["list", "-n", "billing", "--bundle", f]);
    expect(one.stdout.split("\n")[1]).toMatch(/^billing\s+billing\s+2\s+failed/);
    const none = await runMain(["list", "-n", "nowhere", "--bundle", f]);
    expect(none.stdout).toBe('no Helm releases in namespace "nowhere"\n');
  });
});

describe("errors say one thing once", () => {
  it("an unknown option names the command's options and the closest", async () => {
    const r = await runMain(["diagnose", "yahoo", "--bundle", FOUNDING, "--outptu", "json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("diagnose has no option --outptu (did you mean --output?)");
    expect(r.stderr).toContain("its options: -n/--namespace, --bundle");
    expect(r.stderr).not.toMatch(/positional|To specify/);
    const missing = await runMain(["history", "yahoo", "--bundle"]);
    expect(missing.stderr).toContain("--bundle needs a value");
    const cmd = await runMain(["histroy", "yahoo"]);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('unknown command "histroy" (did you mean history?)');
  });

  it("a bundle without Helm records says so instead of 'not found'", async () => {
    const empty = bundleOf([
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" } },
    ]);
    const r = await runMain(["diagnose", "yahoo", "--bundle", empty]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("holds no Helm release records");
    expect(r.stderr).not.toContain("not found");
  });
});

describe("progress on a slow cluster read", () => {
  let api: FakeApiServer;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    api = await startFakeApiServer();
    api.seed(JSON.parse(readFileSync(FOUNDING, "utf8")).items);
    env = { KUBECONFIG: api.writeKubeconfig(dir) };
  });
  afterAll(() => api.close());

  // The progress clock is injected: each reading of `slow` is a second later than the one before.
  const slow = () => {
    let t = 0;
    return () => (t += 1000);
  };

  it("shows what it reads on a terminal once a second has passed, and clears the line; quiet otherwise", async () => {
    const tty = await runMain(["diagnose", "yahoo", "-n", "default", "--now", NOW], env, {
      stderrIsTTY: true,
      now: slow(),
    });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/… reading /);
    expect(tty.stderr.endsWith("\r\x1b[2K")).toBe(true);
    expect(tty.stdout).toContain("basic-app-config");
    const quiet = await runMain(["diagnose", "yahoo", "-n", "default", "-q"], env, {
      stderrIsTTY: true,
      now: slow(),
    });
    expect(quiet.stderr).toBe("");
    const piped = await runMain(["diagnose", "yahoo", "-n", "default"], env, { now: slow() });
    expect(piped.stderr).toBe("");
  });

  it("says nothing on a terminal when the read takes less than a second", async () => {
    const fast = await runMain(["diagnose", "yahoo", "-n", "default"], env, {
      stderrIsTTY: true,
      now: () => 0,
    });
    expect(fast.code).toBe(0);
    expect(fast.stderr).toBe("");
  });
});
