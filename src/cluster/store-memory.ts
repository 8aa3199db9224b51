// In-memory ReleaseStore (Helm's driver.Memory), for tests of the remediation actions: releases kept as
// values, with their record labels and annotations, and the Helm dialect each was written in.
import { recordLabels } from "../helm/codec.js";
import { type Dialect, dialectOf, markDialect, storedDialect } from "../helm/gojson.js";
import type { Release } from "../helm/types.js";
import {
  ReleaseExistsError,
  type ReleaseHead,
  ReleaseNotFoundError,
  type ReleaseStore,
  type StoreWriteOptions,
} from "./store.js";

interface Entry {
  rel: Release;
  dialect: Dialect;
  annotations: Record<string, string>;
}

export class MemoryReleaseStore implements ReleaseStore {
  readonly driver = "memory" as const;
  private readonly entries = new Map<string, Entry>();
  /** "create v3 pending-upgrade", "update v3 deployed", "delete v1", … in order. */
  readonly writes: string[] = [];

  constructor(releases: Release[] = []) {
    // Seeded releases stand for stored records: their JSON shape says which Helm wrote them.
    for (const r of releases) this.entries.set(key(r.name, r.version), entry(r, {}, storedDialect(r)));
  }

  describe(): string {
    return "in-memory release store";
  }

  private read(e: Entry): Release {
    const rel = structuredClone(e.rel);
    markDialect(rel, e.dialect);
    return rel;
  }

  async get(name: string, revision: number): Promise<Release> {
    const e = this.entries.get(key(name, revision));
    if (!e) throw new ReleaseNotFoundError();
    return this.read(e);
  }

  /** The stored annotations of a revision (what a test checks). */
  annotations(name: string, revision: number): Record<string, string> | undefined {
    return this.entries.get(key(name, revision))?.annotations;
  }

  async list(name: string): Promise<ReleaseHead[]> {
    return [...this.entries.values()]
      .filter((e) => e.rel.name === name)
      .map((e) => ({
        name,
        revision: e.rel.version,
        status: e.rel.info.status,
        labels: recordLabels(e.rel, e.rel.labels),
        annotations: { ...e.annotations },
      }))
      .sort((a, b) => a.revision - b.revision);
  }

  async history(name: string): Promise<Release[]> {
    return [...this.entries.values()]
      .filter((e) => e.rel.name === name)
      .map((e) => this.read(e))
      .sort((a, b) => a.version - b.version);
  }

  async create(rel: Release, opts: StoreWriteOptions = {}): Promise<void> {
    const k = key(rel.name, rel.version);
    if (this.entries.has(k)) throw new ReleaseExistsError(`revision ${rel.version} exists`);
    this.entries.set(k, entry(rel, opts));
    this.writes.push(`create v${rel.version} ${rel.info.status}`);
  }

  async update(rel: Release, opts: StoreWriteOptions = {}): Promise<void> {
    const k = key(rel.name, rel.version);
    const old = this.entries.get(k);
    if (!old) throw new ReleaseNotFoundError();
    this.entries.set(k, entry(rel, { annotations: opts.annotations ?? old.annotations }));
    this.writes.push(`update v${rel.version} ${rel.info.status}`);
  }

  async delete(name: string, revision: number): Promise<void> {
    if (!this.entries.delete(key(name, revision))) throw new ReleaseNotFoundError();
    this.writes.push(`delete v${revision}`);
  }
}

function key(name: string, revision: number): string {
  return `${name}.v${revision}`;
}

function entry(rel: Release, opts: StoreWriteOptions, dialect = dialectOf(rel)): Entry {
  return { rel: structuredClone(rel), dialect, annotations: { ...(opts.annotations ?? {}) } };
}
