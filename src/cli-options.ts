// Command-line options with messages a person can act on: an unknown option names the command's valid ones and
// the closest, a missing value says which option needs one (Node's parser speaks of positionals and '--').
import { parseArgs } from "node:util";

export class OptionsError extends Error {}

export function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function flagName(name: string, spec: { short?: string }): string {
  return spec.short ? `-${spec.short}/--${name}` : `--${name}`;
}

/**
 * parseArgs with our own messages: an unknown option names the command's valid ones (and the closest), a
 * missing value says which option needs one.
 */
export function parseOptions<
  S extends Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>,
>(command: string, spec: S, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'(-{1,2}[^'\s,]+)/.exec(err.message)?.[1] ?? "";
    const valid = Object.entries(spec).map(([n, s]) => flagName(n, s));
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const bare = flag.replace(/^-+/, "");
      const close =
        bare.length < 2
          ? []
          : Object.keys(spec).filter((n) => levenshtein(n, bare) <= 2 || n.startsWith(bare));
      throw new OptionsError(
        `${command} has no option ${flag}${close.length > 0 ? ` (did you mean ${close.map((n) => `--${n}`).join(" or ")}?)` : ""}\n  its options: ${valid.join(", ")}`,
      );
    }
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const name = /--([a-z-]+)/.exec(err.message)?.[1];
      const s = name ? spec[name] : undefined;
      throw new OptionsError(
        s?.type === "boolean"
          ? `--${name} takes no value`
          : `${name ? flagName(name, s ?? {}) : "an option"} needs a value`,
      );
    }
    throw new OptionsError(err.message);
  }
}
