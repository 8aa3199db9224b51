// Helm's ownership metadata: since Helm 3.2 every object it applies carries the label
// app.kubernetes.io/managed-by=Helm and the annotations meta.helm.sh/release-name and
// meta.helm.sh/release-namespace (pkg/action/validate.go setMetadataVisitor). Pure.

interface Meta {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
}

/** Does the object carry release `release`'s (of `namespace`) ownership, label and annotations alike? */
export function ownedBy(o: Meta, release: string, namespace: string): boolean {
  const a = o.metadata?.annotations ?? {};
  return (
    o.metadata?.labels?.["app.kubernetes.io/managed-by"] === "Helm" &&
    a["meta.helm.sh/release-name"] === release &&
    a["meta.helm.sh/release-namespace"] === namespace
  );
}

/** Kept on uninstall: `helm.sh/resource-policy: keep` (pkg/action/uninstall.go leaves such objects behind). */
export function keptOnUninstall(o: Meta): boolean {
  return o.metadata?.annotations?.["helm.sh/resource-policy"] === "keep";
}

/**
 * Proof that the release is installed: an object with its ownership that its uninstall would have deleted (not
 * kept by resource-policy, not being deleted right now).
 */
export function provesInstalled(o: Meta, release: string, namespace: string): boolean {
  return ownedBy(o, release, namespace) && !keptOnUninstall(o) && !o.metadata?.deletionTimestamp;
}
