import type { Analyzer } from "../analyzer.js";
import { backSince, missingRef, podAnalyzer } from "../pod-analyzer.js";

const analyzer: Analyzer = podAnalyzer({
  code: "pod-config-missing",
  // The missing object exists again (someone fixed it): the kubelet creates the container on its next retry.
  severity: (g, ix) => (missingRef(g, ix)?.live ? "warning" : "critical"),
  what: "cannot start (CreateContainerConfigError)",
  why: (g, ix) => {
    const m = missingRef(g, ix);
    if (m?.live) {
      return `The container's environment referred to ${m.kind} ${m.name} (or a key in it) that did not exist, so the kubelet refused to create the container. ${backSince(ix, m)} If a key is what is missing, check that the ${m.kind} has it.`;
    }
    return m
      ? `The container's environment refers to ${m.kind} ${m.name} (or a key in it) that does not exist, so the kubelet refuses to create the container.`
      : "The container's environment refers to a ConfigMap or Secret (or a key) that does not exist, so the kubelet refuses to create the container.";
  },
  remediations: (g, ix) => {
    const m = missingRef(g, ix);
    return [
      {
        action: "manual",
        summary: m?.live
          ? `Wait a minute for the containers to start; if they still do not, check the keys the pod needs in ${m.kind} ${m.name}, or delete the pods so their controller creates new ones.`
          : m
            ? `Create ${m.kind} ${m.name} with the keys the pod needs, or fix the reference in the chart's values.`
            : "Create the missing ConfigMap/Secret or fix the reference.",
      },
    ];
  },
});

export default analyzer;
