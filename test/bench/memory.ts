// Memory of a diagnosis worker (not a test; figures vary by machine): peak resident set (VmHWM) of one
// `helm-doctor worker` process (the built CLI) against the fake API server, idle after its start (the floor), after
// diagnosing a release with 200 revisions (~280 KiB records) and 300 pods, then after four such releases at once
// (the default HELM_DOCTOR_WORKER_CONCURRENCY). Every diagnosis ends in its report in the fake Slack.
// serve's peak during the 1,000-command burst is printed by the `slack` benchmark.
// Run alone: npx tsx test/bench/memory.ts (after npm run build)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webApi } from "@slack/bolt";
import { spawnChild } from "../support/child.js";
import { ROOT } from "../support/cli.js";
import { startFakeApiServer } from "../support/fake-apiserver/index.js";
import { startFakeSlack } from "../support/fake-slack/index.js";
import { quietLog } from "../support/log.js";
import { startTestRedis, uniquePrefix } from "../support/redis.js";
import { startRequester } from "../support/requester.js";
import { eventually } from "../support/slack-app.js";
import { longHistory } from "./live.js";
import { workerArgs, workerEnv } from "./scale.js";
import { mib, peakRssKb } from "./slack.js";
import { runAlone } from "./table.js";

/** A worker's peak: half the chart's memory limit of a worker (768Mi), the other half for larger releases. */
export const WORKER_PEAK_BUDGET_MIB = 384;

export async function benchMemory(revisions = 200, pods = 300): Promise<{ rows: string[][] }> {
  const redis = await startTestRedis();
  const fake = await startFakeSlack();
  const api = await startFakeApiServer();
  const prefix = uniquePrefix("memory");
  const requester = startRequester({
    redisUrl: redis.url,
    fake,
    prefix,
    log: quietLog,
    client: { logLevel: webApi.LogLevel.ERROR },
  });
  const namespaces = ["big-0", "big-1", "big-2", "big-3", "big-4"];
  for (const ns of namespaces) api.seed(longHistory(revisions, pods, 900, ns));
  const kubeconfig = api.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-memory-")));
  const worker = spawnChild(workerArgs(), workerEnv({ fake, redisUrl: redis.url, prefix, kubeconfig }), ROOT);
  let n = 0;
  const diagnose = async (nss: string[]) => {
    const channels = await Promise.all(
      nss.map(async (ns) => {
        const channel = `C0MEM${String(n++).padStart(4, "0")}`;
        await requester.request(channel, undefined, ns);
        return channel;
      }),
    );
    await eventually(
      () =>
        channels.every((ch) =>
          fake.calls.some(
            (c) =>
              c.method === "chat.update" &&
              c.ok &&
              c.args.channel === ch &&
              JSON.stringify(c.args.blocks ?? "").includes("remediate-"),
          ),
        )
          ? true
          : undefined,
      120_000,
      `the reports of ${nss.join(", ")}`,
    );
  };
  try {
    await worker.waitFor(/waiting for jobs/, 60_000);
    const pid = worker.child.pid!;
    const idle = peakRssKb(pid);
    await diagnose([namespaces[0]!]);
    const one = peakRssKb(pid);
    await diagnose(namespaces.slice(1));
    const four = peakRssKb(pid);
    const within = (kb: number) => (kb / 1024 <= WORKER_PEAK_BUDGET_MIB ? "" : " — over budget");
    return {
      rows: [
        ["worker, idle after its start: peak RSS (the floor)", mib(idle)],
        [
          `worker diagnosing one release of ${revisions} revisions (~280 KiB records) and ${pods} pods: peak RSS (budget ≤ ${WORKER_PEAK_BUDGET_MIB} MiB)`,
          `${mib(one)}${within(one)}`,
        ],
        [
          `  then four such releases at once (default concurrency 4): peak RSS (budget ≤ ${WORKER_PEAK_BUDGET_MIB} MiB)`,
          `${mib(four)}${within(four)}`,
        ],
      ],
    };
  } finally {
    await worker.stop();
    await requester.close();
    await api.close();
    await fake.close();
    await redis.stop();
  }
}

await runAlone(import.meta.url, "Memory: a diagnosis worker's peak RSS", () => benchMemory());
