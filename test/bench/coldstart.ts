// Cold start of the command line: `helm-doctor diagnose yahoo -n default --bundle <founding case>` (the built
// dist/bin.js, a new process each time) against the floor of starting Node itself (`node -e 0`). The two run
// interleaved, so load from other work on the machine falls on both alike; the ratio of the medians is the figure.
// Run alone: npx tsx test/bench/coldstart.ts (after npm run build)
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BIN, ROOT } from "../support/cli.js";

const FOUNDING = fileURLToPath(new URL("../fixtures/founding-case.json", import.meta.url));

/** Wall time of one process run, in ms; throws if it fails. */
function run(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export interface ColdStart {
  rows: string[][];
  ratio: number;
}

export function benchColdStart(runs = 20): ColdStart {
  const cli = [BIN, "diagnose", "yahoo", "-n", "default", "--bundle", FOUNDING];
  const floor = ["-e", "0"];
  for (let i = 0; i < 2; i++) {
    run(cli); // page cache warm
    run(floor);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(run(cli));
    b.push(run(floor));
  }
  const ratio = median(a) / median(b);
  return {
    ratio,
    rows: [
      [
        `helm-doctor diagnose --bundle, founding case (median of ${runs})`,
        `${median(a).toFixed(0)} ms (fastest ${Math.min(...a).toFixed(0)} ms)`,
      ],
      [
        `floor: node -e 0 (median of ${runs}, interleaved)`,
        `${median(b).toFixed(0)} ms (fastest ${Math.min(...b).toFixed(0)} ms)`,
      ],
      ["ratio (target ≤ 2.5×)", `${ratio.toFixed(2)}×${ratio <= 2.5 ? "" : " — target missed"}`],
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const [k, v] of benchColdStart().rows) console.log(`${k}  ${v}`);
}
