// Run the CLI as a user would, capturing output and exit code: in this process (`runCli`, `main(argv, io)`) or as
// the built binary (`spawnCli`, dist/bin.js) for what only a process shows (exit on signals, a real stdin, startup).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../dist/bin.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** `runMain` with the arguments of `spawnCli`: standard input given whole. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return runMain(args, env, input !== undefined ? { stdin: input } : {});
}

/**
 * Run the CLI in this process (`main(argv, io)`), as fast as a function call: for tests of what a command
 * prints and returns. `spawnCli` (a real process) stays for what only a process shows (signals, stdin, startup).
 */
export async function runMain(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  o: { stdin?: string; stderrIsTTY?: boolean; now?: () => number } = {},
): Promise<CliResult> {
  const { main } = await import("../../src/cli.js");
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
    stdoutIsTTY: false,
    stderrIsTTY: !!o.stderrIsTTY,
    ...(o.stdin !== undefined ? { stdin: async () => o.stdin! } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  return { code, stdout, stderr };
}
