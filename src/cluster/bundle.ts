// BundleSource: a snapshot from a file — a Kubernetes List as `kubectl get -o json` prints it, or
// multi-document YAML of the same objects.
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { buildSnapshot, listReleases, type ReleaseListing } from "../snapshot/build.js";
import type { Gap, KubeObject, Snapshot } from "../snapshot/types.js";
import { type LoadHints, type SnapshotSource, SourceError } from "./source.js";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || typeof v === "string";

/**
 * A Kubernetes object as far as a bundle must be one: `kind` and `apiVersion` strings when present, `metadata` a
 * mapping whose `name` and `namespace` are strings when present. Checked by hand rather than with zod: this is the
 * only check on the command line's path, and zod's code is most of what a `diagnose --bundle` run would load.
 */
function kubeObject(v: unknown): KubeObject | undefined {
  if (!isRecord(v) || !optionalString(v.kind) || !optionalString(v.apiVersion)) return undefined;
  const m = v.metadata;
  if (m !== undefined && !(isRecord(m) && optionalString(m.name) && optionalString(m.namespace)))
    return undefined;
  return v as unknown as KubeObject;
}

export interface ParsedBundle {
  objects: KubeObject[];
  gaps: Gap[];
}

/** Flatten Lists (kubectl prints `List`, `SecretList`, …) into objects; items without a kind are reported. */
export function parseBundleText(text: string, file = "bundle"): ParsedBundle {
  const docs: unknown[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      const v = JSON.parse(text) as unknown;
      docs.push(...(Array.isArray(v) ? v : [v]));
    } catch (e) {
      throw new SourceError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
  } else {
    for (const d of parseAllDocuments(text, { uniqueKeys: false })) {
      if ("errors" in d && d.errors.length > 0) {
        throw new SourceError(`${file}: not valid YAML: ${d.errors[0]!.message.split("\n")[0]}`);
      }
      const v = d.toJS({ maxAliasCount: 1000 }) as unknown;
      if (v !== null && v !== undefined) docs.push(v);
    }
  }
  const objects: KubeObject[] = [];
  let kindless = 0;
  const visit = (v: unknown, listKind?: string) => {
    const o = kubeObject(v);
    if (!o) {
      kindless++;
      return;
    }
    if (Array.isArray((o as { items?: unknown }).items) && (!o.kind || o.kind.endsWith("List"))) {
      for (const it of (o as { items: unknown[] }).items) visit(it, o.kind);
      return;
    }
    if (!o.kind) {
      // Items of a typed list (SecretList) have no kind of their own on the wire: infer it.
      if (listKind && listKind !== "List" && listKind.endsWith("List")) o.kind = listKind.slice(0, -4);
      else {
        kindless++;
        return;
      }
    }
    objects.push(o);
  };
  for (const d of docs) {
    if (typeof d !== "object" || d === null || Array.isArray(d)) {
      throw new SourceError(
        `${file}: not a Kubernetes object or List (found ${Array.isArray(d) ? "an array" : typeof d})`,
      );
    }
    visit(d);
  }
  const gaps: Gap[] = [];
  if (kindless > 0)
    gaps.push({
      what: "bundle objects",
      reason: "error",
      detail: `${kindless} item(s) without a kind were ignored`,
    });
  if (docs.length === 0) throw new SourceError(`${file}: the bundle is empty`);
  return { objects, gaps };
}

export class BundleSource implements SnapshotSource {
  private parsed?: ParsedBundle;

  constructor(private readonly file: string) {}

  describe(): string {
    return `bundle ${this.file}`;
  }

  private async read(): Promise<ParsedBundle> {
    if (this.parsed) return this.parsed;
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SourceError(
        code === "ENOENT"
          ? `bundle file not found: ${this.file}`
          : `cannot read bundle ${this.file}: ${(e as Error).message}`,
      );
    }
    this.parsed = parseBundleText(text, this.file);
    return this.parsed;
  }

  async releases(namespace?: string): Promise<ReleaseListing[]> {
    return listReleases((await this.read()).objects, namespace);
  }

  async load(release: string, namespace: string, now: Date, opts: LoadHints = {}): Promise<Snapshot> {
    const { objects, gaps } = await this.read();
    return buildSnapshot({
      release,
      namespace,
      objects,
      now,
      gaps,
      source: this.describe(),
      ...(opts.helmOutput ? { helmOutput: opts.helmOutput } : {}),
    });
  }
}
