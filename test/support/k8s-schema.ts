// Validates Kubernetes objects against the OpenAPI schema of their kind, as carried by the kubernetes-models
// packages (types, formats, required fields, enums), and rejects unknown fields: kubernetes-models' validators
// accept extra properties, so every property the validator never looked at — it reads each one its schema
// declares, and enumerates the keys of maps — is reported as unknown, as the API server's strict field
// validation would.

interface ModelClass {
  prototype: { validate(): void };
}

async function modelOf(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const path =
    group === "monitoring.coreos.com"
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
      : `kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`;
  try {
    const mod = (await import(path)) as Record<string, ModelClass>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

export interface SchemaProblem {
  path: string;
  message: string;
}

interface Seen {
  value: object;
  path: string;
  read: Set<string>;
  enumerated: boolean;
}

export async function validateObject(o: { apiVersion?: string; kind?: string }): Promise<SchemaProblem[]> {
  if (!o.apiVersion || !o.kind) return [{ path: "", message: "apiVersion and kind are required" }];
  const model = await modelOf(o.apiVersion, o.kind);
  if (!model) return [{ path: "", message: `no schema for ${o.apiVersion} ${o.kind}` }];
  const seen = new Map<object, Seen>();
  const wrap = (v: unknown, path: string): unknown => {
    if (v === null || typeof v !== "object") return v;
    let s = seen.get(v);
    if (!s) {
      s = { value: v, path, read: new Set(), enumerated: false };
      seen.set(v, s);
    }
    const rec = s;
    return new Proxy(v, {
      get(t, k, r) {
        const x = Reflect.get(t, k, r);
        if (typeof k !== "string") return x;
        rec.read.add(k);
        return Object.hasOwn(t, k) ? wrap(x, `${path}/${k}`) : x;
      },
      has(t, k) {
        if (typeof k === "string") rec.read.add(k);
        return Reflect.has(t, k);
      },
      ownKeys(t) {
        rec.enumerated = true;
        return Reflect.ownKeys(t);
      },
    });
  };
  const problems: SchemaProblem[] = [];
  try {
    model.prototype.validate.call(wrap(o, ""));
  } catch (e) {
    problems.push({ path: "", message: (e as Error).message });
  }
  for (const s of seen.values()) {
    if (Array.isArray(s.value) || s.enumerated) continue;
    for (const k of Object.keys(s.value))
      if (!s.read.has(k)) problems.push({ path: `${s.path}/${k}`, message: `unknown field "${k}"` });
  }
  return problems;
}
