#!/usr/bin/env node
import { isatty } from "node:tty";
import { main } from "./cli.js";

const code = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  stdoutIsTTY: !!process.stdout.isTTY,
  // isatty(), not process.stdin/stderr.isTTY: touching those opens a stream on the descriptor (~2 ms for stdin)
  // in every start, though most commands never read stdin nor write to stderr.
  stderrIsTTY: isatty(2),
  stdinIsTTY: isatty(0),
});
process.exitCode = code;
