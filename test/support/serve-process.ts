// `helm-doctor serve` or `worker` as a child process for shutdown tests: config from the environment, the
// founding-case bundle as the snapshot source, default signal handling. Prints "ready <port>" when up.
// Usage: tsx test/support/serve-process.ts serve|worker
import { BundleSource } from "../../src/cluster/bundle.js";
import { loadConfig } from "../../src/config.js";
import { startWorker } from "../../src/queue/worker.js";
import { startServe } from "../../src/slack/serve.js";
import { FOUNDING_BUNDLE } from "./slack-app.js";

const mode = process.argv[2] === "worker" ? "worker" : "serve";
const config = loadConfig(process.env, mode);
const sourceFactory = async () => new BundleSource(FOUNDING_BUNDLE);
if (mode === "serve") {
  const h = await startServe(config, { sourceFactory });
  console.log(`ready ${h.port}`);
} else {
  await startWorker(config, { sourceFactory });
  console.log("ready 0");
}
