// Kubernetes REST requests as the API's own JSON, through @kubernetes/client-node's public API only: the
// KubeConfig authenticates a RequestContext (token, client certificate, exec and OIDC plugins, basic auth) and
// makes its TLS or proxy agent (`applySecurityAuthentication`); the request itself is sent here, so an
// AbortSignal cancels it (client-node's fetch takes none). Typed models are not used: they drop fields they do
// not know and turn times into Date objects. Errors are client-node's ApiException, with the Status body.
// Connections are reused: client-node makes a new agent (without keep-alive) on every call, which would cost a
// TCP connection — and against a real cluster a TLS handshake — per request; its TLS options pick a keep-alive
// agent shared by the process instead.
import { createHash } from "node:crypto";
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

/** The TLS settings client-node puts on the agents it makes (KubeConfig.applySecurityAuthentication). */
const AGENT_OPTIONS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;
const agents = new Map<string, http.Agent>();

/**
 * The process's keep-alive agent with the same TLS settings as `made`, the agent client-node made for one
 * request. A proxy agent (another class) is used as it is.
 */
export function keepAliveAgent(made: http.Agent): http.Agent {
  const Kind = made.constructor;
  if (Kind !== http.Agent && Kind !== https.Agent) return made;
  // Node keeps an agent's constructor options on it (not in its typings).
  const o = (made as unknown as { options?: Record<string, unknown> }).options ?? {};
  const hash = createHash("sha256").update(Kind === https.Agent ? "https" : "http");
  for (const k of AGENT_OPTIONS) {
    const v = o[k];
    hash.update(`\0${k}=`).update(v === undefined ? "" : Buffer.isBuffer(v) ? v : String(v));
  }
  const key = hash.digest("hex");
  let agent = agents.get(key);
  if (!agent) {
    // Idle connections stay until the server closes them (a reused one it closed meanwhile is an ECONNRESET,
    // which KubeReader retries).
    const options: https.AgentOptions = { keepAlive: true };
    for (const k of AGENT_OPTIONS) if (o[k] !== undefined) Object.assign(options, { [k]: o[k] });
    agent = Kind === https.Agent ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
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
  const made = ctx.getAgent() as http.Agent | undefined;
  const agent = made ? keepAliveAgent(made) : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: ctx.getHttpMethod(),
        headers: ctx.getHeaders(),
        ...(agent ? { agent } : {}),
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
