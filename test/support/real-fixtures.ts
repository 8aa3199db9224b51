// The real release records in test/fixtures/real-releases (written by the real helm CLI or Helm's library;
// where each comes from is in its SOURCES.md).
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import type { RecordObject } from "../../src/helm/codec.js";

export const REAL_DIR = fileURLToPath(new URL("../fixtures/real-releases/", import.meta.url));

export function realRecordFiles(): string[] {
  return readdirSync(REAL_DIR)
    .filter((f) => f.endsWith(".json") || f.endsWith(".yaml"))
    .sort();
}

export function readRealRecord(file: string): RecordObject {
  const text = readFileSync(REAL_DIR + file, "utf8");
  return (file.endsWith(".json") ? JSON.parse(text) : parseAllDocuments(text)[0]!.toJS()) as RecordObject;
}
