// `helm-doctor serve` or `worker` as a child process for shutdown and crash tests: config from the environment,
// the founding-case bundle as the snapshot source, default signal handling. Prints "ready <port>" when up and
// "active <jobId>" when its diagnose worker takes a job. HD_TEST_HANG=1: every diagnosis hangs (a job to hold
// while the process is stopped or killed); HD_TEST_LOAD_DELAY_MS=N: every diagnosis takes N ms longer.
// Usage: tsx test/support/serve-process.ts serve|worker
import { BundleSource } from "../../src/cluster/bundle.js";
import type { SnapshotSource } from "../../src/cluster/source.js";
import { loadConfig } from "../../src/config.js";
import { startWorker } from "../../src/queue/worker.js";
import { startServe } from "../../src/slack/serve.js";
import { FOUNDING_BUNDLE } from "./slack-app.js";

const mode = process.argv[2] === "worker" ? "worker" : "serve";
const config = loadConfig(process.env, mode);
const hang = process.env.HD_TEST_HANG === "1";
const delayMs = Number(process.env.HD_TEST_LOAD_DELAY_MS ?? 0);
const sourceFactory = async (): Promise<SnapshotSource> => {
  const inner = new BundleSource(FOUNDING_BUNDLE);
  if (delayMs > 0 && !hang)
    return {
      describe: () => inner.describe(),
      releases: (ns) => inner.releases(ns),
      load: (rel, ns, now) => new Promise((r) => setTimeout(r, delayMs)).then(() => inner.load(rel, ns, now)),
    };
  if (!hang) return inner;
  return {
    ...inner,
    describe: () => inner.describe(),
    releases: (ns) => inner.releases(ns),
    load: () => new Promise(() => {}),
  };
};
const w =
  mode === "serve"
    ? await startServe(config, { sourceFactory }).then((h) => {
        console.log(`ready ${h.port}`);
        return h.worker?.worker;
      })
    : await startWorker(config, { sourceFactory }).then((h) => {
        console.log("ready 0");
        return h.worker;
      });
w?.on("active", (job) => console.log(`active ${job.id}`));
