// Label and field selectors with the grammar and semantics of k8s.io/apimachinery/pkg/labels and
// pkg/fields (label: =, ==, !=, in, notin, exists, !key, >, <; field: =, ==, !=; comma means AND).
import type { ResourceDef } from "./resources.js";
import { badRequest } from "./status.js";
import type { KubeObject } from "./types.js";

type LabelOp = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

type Token =
  | { t: "id"; v: string }
  | { t: "op"; v: "=" | "==" | "!=" | "!" | ">" | "<" }
  | { t: "(" }
  | { t: ")" }
  | { t: "," };

function lexLabels(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      out.push({ t: c });
      i++;
    } else if (input.startsWith("==", i) || input.startsWith("!=", i)) {
      out.push({ t: "op", v: input.slice(i, i + 2) as "==" | "!=" });
      i += 2;
    } else if (c === "=" || c === "!" || c === ">" || c === "<") {
      out.push({ t: "op", v: c });
      i++;
    } else {
      const m = /^[^\s(),=!<>]+/.exec(input.slice(i));
      const v = m?.[0] ?? c;
      out.push({ t: "id", v });
      i += v.length;
    }
  }
  return out;
}

function describe(tok: Token | undefined): string {
  if (!tok) return "end of string";
  return tok.t === "id" || tok.t === "op" ? tok.v : tok.t;
}

/** Parses a labelSelector query value; throws the 400 the API server answers for a malformed one. */
export function parseLabelSelector(input: string): LabelSelector {
  const toks = lexLabels(input);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw badRequest(`unable to parse requirement: ${msg}`);
  };
  const expectId = (what: string): string => {
    const tok = toks[i];
    if (tok?.t !== "id") return fail(`found '${describe(tok)}', expected: ${what}`);
    i++;
    return tok.v;
  };
  while (i < toks.length) {
    const first = toks[i]!;
    if (first.t === "op" && first.v === "!") {
      i++;
      reqs.push({ key: expectId("identifier after '!'"), op: "!", values: [] });
    } else {
      const key = expectId("identifier");
      const next = toks[i];
      if (next === undefined || next.t === ",") {
        reqs.push({ key, op: "exists", values: [] });
      } else if (next.t === "op" && next.v !== "!") {
        i++;
        const op: LabelOp = next.v === "==" ? "=" : next.v;
        // An empty value is allowed after = and != ("key=" selects key with value "").
        const tok = toks[i];
        let value = "";
        if (tok?.t === "id") {
          value = tok.v;
          i++;
        } else if (op === ">" || op === "<") {
          fail(`found '${describe(tok)}', expected: an integer`);
        }
        if ((op === ">" || op === "<") && !/^-?\d+$/.test(value)) {
          fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        }
        reqs.push({ key, op, values: [value] });
      } else if (next.t === "id" && (next.v === "in" || next.v === "notin")) {
        i++;
        if (toks[i]?.t !== "(") fail(`found '${describe(toks[i])}', expected: '('`);
        i++;
        const values: string[] = [];
        while (toks[i]?.t !== ")") {
          const tok = toks[i];
          if (tok?.t === "id") {
            values.push(tok.v);
            i++;
          } else if (tok?.t === ",") {
            i++;
          } else {
            fail(`found '${describe(tok)}', expected: ',', ')' or identifier`);
          }
        }
        i++;
        if (next.v === "in" && values.length === 0)
          fail("for 'in', 'notin' operators, values set can't be empty");
        reqs.push({ key, op: next.v, values });
      } else {
        fail(`found '${describe(next)}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = toks[i];
    if (sep === undefined) break;
    if (sep.t !== ",") fail(`found '${describe(sep)}', expected: ',' or 'end of string'`);
    i++;
  }
  return reqs;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const ls = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(ls, r.key);
    const v = ls[r.key];
    switch (r.op) {
      case "exists":
        return has;
      case "!":
        return !has;
      case "=":
      case "in":
        return has && r.values.includes(v!);
      case "!=":
      case "notin":
        return !has || !r.values.includes(v!);
      case ">":
        return has && /^-?\d+$/.test(v!) && Number(v) > Number(r.values[0]);
      case "<":
        return has && /^-?\d+$/.test(v!) && Number(v) < Number(r.values[0]);
      default:
        return false;
    }
  });
}

interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Splits on unescaped commas and unescapes `\,` `\=` `\\` as fields.ParseSelector does. */
function splitTerms(input: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === "\\" && i + 1 < input.length) {
      cur += c + input[i + 1];
      i++;
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out.filter((t) => t.length > 0);
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}

/**
 * Parses a fieldSelector against a resource's field labels. Unknown labels are refused with the exact
 * message of the resource's field-label conversion function.
 */
export function parseFieldSelector(input: string, def: ResourceDef): FieldSelector {
  const reqs: FieldRequirement[] = [];
  for (const term of splitTerms(input)) {
    const m = /^(.*?)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    const field = m[1]!.trim();
    const op = m[2] === "!=" ? "!=" : "=";
    if (field !== "metadata.name" && field !== "metadata.namespace" && !(field in def.fields)) {
      throw badRequest(
        def.unknownField === "notSupported"
          ? `field label not supported: ${field}`
          : `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    reqs.push({ field, op, value: unescapeValue(m[3]!) });
  }
  return reqs;
}

/** Evaluates on the stored object; missing fields read as "" as in the registries' field sets. */
export function matchesFields(selector: FieldSelector, def: ResourceDef, obj: KubeObject): boolean {
  return selector.every((r) => {
    let actual: unknown;
    if (r.field === "metadata.name") actual = obj.metadata.name;
    else if (r.field === "metadata.namespace") actual = obj.metadata.namespace;
    else actual = def.fields[r.field]?.(obj);
    const s = actual === undefined || actual === null ? "" : String(actual);
    return r.op === "=" ? s === r.value : s !== r.value;
  });
}
