// Test helpers for code that talks to the fake API server through client-node.
import { ApiException } from "@kubernetes/client-node";

export interface StatusBody {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  status: string;
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<Record<string, string>> };
  code: number;
}

/**
 * Runs `fn`, expects an ApiException and returns its code and Status body. client-node 1.x puts the raw
 * response text in `body` (undefined for 401, whose body the generated clients drop).
 */
export async function apiError(fn: () => Promise<unknown>): Promise<{ code: number; status?: StatusBody }> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = err.body as unknown;
    const status =
      typeof body === "string" && body.startsWith("{") ? (JSON.parse(body) as StatusBody) : undefined;
    return status ? { code: err.code, status } : { code: err.code };
  }
  throw new Error("expected an ApiException");
}

/** Polls `check` until it returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
