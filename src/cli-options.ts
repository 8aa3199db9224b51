// Command-line options with messages a person can act on: an unknown option names the command's valid ones and
// the closest, a missing value says which option needs one (Node's parser speaks of positionals and '--').
import { parseArgs } from "node:util";
import { closest } from "./didyoumean.js";

export class OptionsError extends Error {}

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
      const close = bare.length < 2 ? [] : closest(bare, Object.keys(spec));
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
