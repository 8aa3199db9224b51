import type { Analyzer } from "../analyzer.js";
import { backSince, missingRef, podAnalyzer } from "../pod-analyzer.js";

const analyzer: Analyzer = podAnalyzer({
  code: "pod-mount-failed",
  // The missing object exists again (someone fixed it): pods recover on the kubelet's next retry.
  severity: (g, ix) => (missingRef(g, ix)?.live ? "warning" : "critical"),
  what: "stuck in ContainerCreating",
  why: (g, ix) => {
    const m = missingRef(g, ix);
    if (m?.live) {
      return `The kubelet could not mount a volume because ${m.kind} ${m.name} did not exist, so the containers did not start. ${backSince(ix, m)}`;
    }
    return m
      ? `The kubelet cannot mount a volume because ${m.kind} ${m.name} does not exist, so the containers never start. Pods that were already running keep their mounted copy until they restart; new pods wait until the ${m.kind} appears.`
      : "The kubelet cannot mount one of the pod's volumes, so its containers never start.";
  },
  remediations: (g, ix) => {
    const m = missingRef(g, ix);
    return [
      {
        action: "manual",
        summary: m?.live
          ? `Wait a few minutes for the pods to start; if they still do not, delete them (\`kubectl delete pod -n ${g.workload.namespace} <pod>\`) so their controller creates new ones.`
          : m
            ? `Find out why ${m.kind} ${m.name} is missing (is it a hook object, or created by another chart?) and create it; the pods start on their own once it exists.`
            : "Check the volume sources of the pod spec against the objects that exist.",
      },
    ];
  },
});

export default analyzer;
