// `helm-doctor watch` at scale (not a test; figures vary by machine): the built CLI watches 20 namespaces holding
// 500 releases (1,000 release records, each with a 60 KiB chart file that gzips ~3:1) in the fake API server, on a local redis-server and a fake
// Slack. Measured from outside the process:
//  - list and watch requests per namespace (the API server's request log), before and after 200 records change;
//  - TCP connections the watch process holds open to the API server (its sockets in /proc/<pid>/net/tcp);
//  - bytes the lists and watches carried, against what a full (non-metadata) list of the same records weighs;
//  - peak RSS (VmHWM) of the watch process, against a bare Node process that only waits (the floor), side by side.
// Run alone: npx tsx test/bench/watch.ts (after npm run build)
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type CliDaemon, startCliDaemon } from "../support/cli-daemon.js";
import { startFakeApiServer } from "../support/fake-apiserver/index.js";
import { startFakeSlack } from "../support/fake-slack/index.js";
import { cleanPrefix, startTestRedis, uniquePrefix } from "../support/redis.js";
import type { Obj } from "../support/scenario.js";
import { eventually } from "../support/slack-app.js";
import { releaseHistory } from "../support/watch-rig.js";
import { mib, peakRssKb } from "./slack.js";

/** The README's budget for the watch process's peak RSS. */
export const WATCH_RSS_BUDGET_MIB = 256;

/** Established TCP connections of `pid` to `port` on 127.0.0.1 (its own sockets, from /proc). */
export function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the fd closed meanwhile
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let n = 0;
  for (const file of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [, , rem, st, , , , , , inode] = f;
      if (st === "01" && rem!.endsWith(`:${hexPort}`) && inodes.has(inode!)) n++;
    }
  }
  return n;
}

/** A chart file of `kb` KiB that compresses like real ones (~3:1), so each record weighs what real ones do. */
function padding(kb: number, seed: number): { name: string; data: string }[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s;
  };
  let t = "";
  while (t.length < kb * 1024) t += `{"id":${rnd() % 100000},"expr":"sum(rate(m_${rnd() % 5000}[5m]))"},`;
  return [{ name: "files/dashboard.json", data: Buffer.from(t.slice(0, kb * 1024)).toString("base64") }];
}

export async function benchWatch(
  namespaces = 20,
  releases = 500,
  recordKb = 60,
): Promise<{ rows: string[][] }> {
  const rows: string[][] = [];
  const redis = await startTestRedis();
  const fake = await startFakeSlack();
  const api = await startFakeApiServer();
  const dir = mkdtempSync(join(tmpdir(), "hd-bench-watch-"));
  const prefix = uniquePrefix("bench-watch");
  const nsNames = Array.from({ length: namespaces }, (_, i) => `team-${String(i).padStart(2, "0")}`);
  let watch: CliDaemon | undefined;
  const floor = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    // 500 releases spread over the namespaces, each with a superseded and a deployed revision.
    const records: Obj[] = [];
    for (const ns of nsNames) api.seed([{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }]);
    for (let i = 0; i < releases; i++) {
      const h = releaseHistory(`app-${i}`, nsNames[i % namespaces]!);
      h.revision("deployed", 0);
      h.set(1, "superseded");
      h.revision("deployed", 60);
      for (const r of h.s.releases) r.chart!.files = padding(recordKb, i + 1);
      records.push(...h.s.records());
    }
    api.seed(records);
    const fullBytes = records.reduce((a, o) => a + JSON.stringify(o).length, 0);
    const kubeconfig = api.writeKubeconfig(dir);

    api.resetCounters();
    watch = await startCliDaemon({
      mode: "watch",
      env: {
        SLACK_BOT_TOKEN: fake.token,
        SLACK_API_URL: fake.apiUrl,
        REDIS_URL: redis.url,
        HELM_DOCTOR_QUEUE_PREFIX: prefix,
        HELM_DOCTOR_CLUSTER: "bench",
        HELM_DOCTOR_WATCH_NAMESPACES: nsNames.join(","),
        HELM_DOCTOR_ALERT_CHANNEL: "C0ALERTS01",
        KUBECONFIG: kubeconfig,
        LOG_LEVEL: "warn",
      },
      readyTimeoutMs: 60_000,
    });
    const pid = watch.child.pid!;
    const perNs = () =>
      nsNames.map((ns) => ({
        lists: api.requestsMatching({ verb: "list", resource: "secrets", namespace: ns }).length,
        watches: api.requestsMatching({ verb: "watch", resource: "secrets", namespace: ns }).length,
      }));
    await eventually(
      () => (perNs().every((c) => c.watches >= 1) ? true : undefined),
      30_000,
      "a watch in every namespace",
    );
    const port = Number(new URL(api.url).port);
    const connsAfterSync = connectionsTo(pid, port);
    const listBytes = api
      .requestsMatching({ verb: "list", resource: "secrets" })
      .reduce((a, r) => a + r.bytes, 0);

    // 200 records change (a label, as Helm's Update rewrites them): watch events, no relist.
    for (let i = 0; i < 200; i++) {
      const r = records[(i * 5) % records.length]!;
      api.update({ kind: "Secret", namespace: r.metadata.namespace, name: r.metadata.name }, (o) => {
        o.metadata.labels = { ...o.metadata.labels, touched: String(i) };
      });
    }
    await new Promise((r) => setTimeout(r, 2000));
    const counts = perNs();
    const connsAfterChurn = connectionsTo(pid, port);
    const watchBytes = api
      .requestsMatching({ verb: "watch", resource: "secrets" })
      .reduce((a, r) => a + r.bytes, 0);
    const watchRss = peakRssKb(pid);
    const floorRss = peakRssKb(floor.pid!);
    const uniform = (k: "lists" | "watches") => {
      const v = [...new Set(counts.map((c) => c[k]))];
      return v.length === 1 ? String(v[0]) : `${Math.min(...v)}–${Math.max(...v)}`;
    };

    rows.push([
      `watched: ${namespaces} namespaces, ${releases} releases, ${records.length} records`,
      `${mib(fullBytes / 1024)} as full objects (${(fullBytes / records.length / 1024).toFixed(0)} KiB a record)`,
    ]);
    rows.push([
      "list / watch requests per namespace, after 200 record changes",
      `${uniform("lists")} / ${uniform("watches")}`,
    ]);
    rows.push([
      "TCP connections to the API server: after the first sync / after the changes",
      `${connsAfterSync} / ${connsAfterChurn}`,
    ]);
    rows.push([
      "bytes the lists carried (metadata only) vs the same records as full objects",
      `${(listBytes / 1024).toFixed(0)} KiB vs ${mib(fullBytes / 1024)} (${((100 * listBytes) / fullBytes).toFixed(2)}%); watch events ${(watchBytes / 1024).toFixed(0)} KiB`,
    ]);
    rows.push([
      `peak RSS: helm-doctor watch / floor (bare node) (budget ≤ ${WATCH_RSS_BUDGET_MIB} MiB)`,
      `${mib(watchRss)} / ${mib(floorRss)} (×${(watchRss / floorRss).toFixed(2)})${watchRss / 1024 > WATCH_RSS_BUDGET_MIB ? " — budget missed" : ""}`,
    ]);
    rows.push(["Slack calls (healthy releases: none expected)", String(fake.calls.length)]);
  } finally {
    await watch?.stop();
    floor.kill();
    await api.close();
    await fake.close();
    await cleanPrefix(redis.url, prefix);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { rows } = await benchWatch();
  for (const [k, v] of rows) console.log(`${k}  ${v}`);
}
