import { register } from "../registry.js";
import { podAnalyzer } from "./pod-common.js";

export default register(
  podAnalyzer({
    code: "pod-mount-failed",
    severity: "critical",
    what: "stuck in ContainerCreating",
    why: (g) => {
      const m = g.problems.find((p) => p.missing)?.missing;
      return m
        ? `The kubelet cannot mount a volume because ${m.kind} ${m.name} does not exist, so the containers never start. Pods that were already running keep their mounted copy until they restart; new pods wait until the ${m.kind} appears.`
        : "The kubelet cannot mount one of the pod's volumes, so its containers never start.";
    },
    remediations: (g) => {
      const m = g.problems.find((p) => p.missing)?.missing;
      return [
        {
          action: "manual",
          summary: m
            ? `Find out why ${m.kind} ${m.name} is missing (is it a hook object, or created by another chart?) and create it; the pods start on their own once it exists.`
            : "Check the volume sources of the pod spec against the objects that exist.",
        },
      ];
    },
  }),
);
