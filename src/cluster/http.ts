// Kubernetes REST requests as the API's own JSON, through @kubernetes/client-node's public API only: the
// KubeConfig authenticates a RequestContext (token, client certificate, exec and OIDC plugins, basic auth) and
// makes its TLS or proxy agent (`applySecurityAuthentication`); the request itself is sent here, so an
// AbortSignal cancels it (client-node's fetch takes none). Typed models are not used: they drop fields they do
// not know and turn times into Date objects. Errors are client-node's ApiException, with the Status body.
import http from "node:http";
import https from "node:https";
import { ApiException, HttpMethod, type KubeConfig, RequestContext } from "@kubernetes/client-node";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Aborting it cancels the request (its socket is destroyed). */
  signal?: AbortSignal | undefined;
}

export interface ApiResource {
  /** The plural resource name of the path ("deployments"). */
  name: string;
  namespaced: boolean;
}

/** The path prefix of an apiVersion: /api/v1 for the core group, else /apis/<group>/<version>. */
export function apiPrefix(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class KubeHttp {
  private readonly discovery = new Map<string, Promise<Map<string, ApiResource> | undefined>>();

  constructor(readonly kc: KubeConfig) {}

  /** One request; the parsed JSON body of a 2xx answer ({} when empty), else an ApiException. */
  async request(method: Method, path: string, o: RequestOptions = {}): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    ctx.setHeaderParam("Accept", o.accept ?? "application/json");
    if (o.body !== undefined) {
      ctx.setHeaderParam("Content-Type", o.contentType ?? "application/json");
      ctx.setBody(typeof o.body === "string" ? o.body : JSON.stringify(o.body));
    }
    await this.kc.applySecurityAuthentication(ctx);
    const res = await send(ctx, o.signal);
    if (res.status >= 200 && res.status <= 299) return res.text ? JSON.parse(res.text) : {};
    throw new ApiException(res.status, `HTTP ${res.status} ${method} ${path}`, res.text, res.headers);
  }

  /** The resource serving `kind` in `apiVersion`, from discovery (cached); undefined when none does. */
  async resource(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ApiResource | undefined> {
    let list = this.discovery.get(apiVersion);
    if (!list) {
      list = this.discover(apiVersion, signal);
      this.discovery.set(apiVersion, list);
      list.catch(() => this.discovery.delete(apiVersion)); // a failed discovery is asked again next time
    }
    return (await list)?.get(kind);
  }

  private async discover(
    apiVersion: string,
    signal?: AbortSignal,
  ): Promise<Map<string, ApiResource> | undefined> {
    let body: { resources?: { name: string; kind: string; namespaced: boolean }[] };
    try {
      body = (await this.request("GET", apiPrefix(apiVersion), { signal })) as typeof body;
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return undefined;
      throw e;
    }
    const out = new Map<string, ApiResource>();
    for (const r of body.resources ?? [])
      if (!r.name.includes("/")) out.set(r.kind, { name: r.name, namespaced: r.namespaced });
    return out;
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function send(ctx: RequestContext, signal: AbortSignal | undefined): Promise<RawResponse> {
  const url = new URL(ctx.getUrl());
  const request = url.protocol === "https:" ? https.request : http.request;
  const body = ctx.getBody();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: ctx.getHttpMethod(),
        headers: ctx.getHeaders(),
        ...(ctx.getAgent() ? { agent: ctx.getAgent() } : {}),
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    req.on("error", reject);
    if (typeof body === "string") req.end(body);
    else req.end();
  });
}
