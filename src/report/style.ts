// Terminal styling: colour only on a TTY and never when NO_COLOR is set (https://no-color.org).
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const wrap = (code: number, reset: number) => (s: string) => `\x1b[${code}m${s}\x1b[${reset}m`;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    const id = (s: string) => s;
    return { bold: id, dim: id, red: id, yellow: id, green: id, cyan: id };
  }
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    green: wrap(32, 39),
    cyan: wrap(36, 39),
  };
}

export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return !!stream.isTTY;
}

/** Word-wrap to `width`, indenting continuation lines. */
const JOIN = "\u0001"; // not matched by \s, unlike U+00A0
const TIME_SPACES = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/g;

export function wrapText(text: string, width: number, indent: string): string {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    // A time ("2026-11-24 11:28:01 UTC") is one word: never split across lines.
    const words = para.replace(TIME_SPACES, (m) => m.replace(/ /g, JOIN)).split(/\s+/);
    for (const raw of words.filter(Boolean)) {
      const word = raw.replaceAll(JOIN, " ");
      if (line && line.length + 1 + word.length > width) {
        out.push(indent + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(indent + line);
  }
  return out.join("\n");
}
