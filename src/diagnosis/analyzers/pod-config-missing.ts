import { register } from "../registry.js";
import { podAnalyzer } from "./pod-common.js";

export default register(
  podAnalyzer({
    code: "pod-config-missing",
    severity: "critical",
    what: "cannot start (CreateContainerConfigError)",
    why: (g) => {
      const m = g.problems.find((p) => p.missing)?.missing;
      return m
        ? `The container's environment refers to ${m.kind} ${m.name} (or a key in it) that does not exist, so the kubelet refuses to create the container.`
        : "The container's environment refers to a ConfigMap or Secret (or a key) that does not exist, so the kubelet refuses to create the container.";
    },
    remediations: (g) => {
      const m = g.problems.find((p) => p.missing)?.missing;
      return [
        {
          action: "manual",
          summary: m
            ? `Create ${m.kind} ${m.name} with the keys the pod needs, or fix the reference in the chart's values.`
            : "Create the missing ConfigMap/Secret or fix the reference.",
        },
      ];
    },
  }),
);
