// Helpers of the remediation CLI commands (rerun, rollback, restore-hooks): durations, the confirmation prompt
// and who is asking.
import { userInfo } from "node:os";
import { createInterface } from "node:readline";

/** Go-style durations as Helm's --timeout takes them: "300s", "5m", "1m30s", "1h", "500ms"; bare numbers are seconds. */
export function parseDuration(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) return undefined;
    consumed += m[0].length;
    const n = Number(m[1]);
    total += n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as "ms" | "s" | "m" | "h"];
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

/** Ask a yes/no question on the terminal; only "y" or "yes" is yes. */
export function ask(question: string, input: NodeJS.ReadableStream = process.stdin): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output: process.stderr, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      resolve(/^(y|yes)$/i.test(answer.trim()));
    });
    rl.on("close", () => resolve(false));
  });
}

/** The local user, named in the record description when run from the command line. */
export function localUser(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.USER ?? env.LOGNAME ?? env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
