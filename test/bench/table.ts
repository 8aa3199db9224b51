// One way to print a benchmark's table: its title, the load average (1 min) when printed (the machine may be
// shared), then one aligned row per figure.
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";

export function table(title: string, rows: string[][]): void {
  const w = Math.max(...rows.map((r) => r[0]!.length));
  console.log(`\n## ${title} (load average ${loadavg()[0]!.toFixed(1)})`);
  for (const [k, v] of rows) console.log(`${k!.padEnd(w)}  ${v}`);
}

/** A benchmark file run on its own (`npx tsx test/bench/<name>.ts`): run it and print its table. */
export async function runAlone(
  moduleUrl: string,
  title: string,
  bench: () => Promise<{ rows: string[][] }>,
): Promise<void> {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? "").href) return;
  table(title, (await bench()).rows);
}
