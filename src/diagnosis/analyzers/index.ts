// Importing an analyzer registers it; the order here is the tie-break order within a severity.
import "./release-record-corrupt.js";
import "./resource-moved-into-hook.js";
// group A: release state
import "./release-pending-stuck.js";
import "./release-uninstall-stuck.js";
import "./no-deployed-release.js";
import "./atomic-rollback-masked-failure.js";
import "./hooks-skipped.js";
import "./unknown-hook-dropped.js";
import "./release-record-size.js";
// end group A
// group B: hook execution
import "./pre-install-hook-needs-manifest-object.js";
import "./hook-order-dependency.js";
import "./hook-sidecar-blocks-completion.js";
import "./hook-leftover-blocks.js";
import "./post-hook-wait-deadlock.js";
import "./hook-failed.js";
// end group B
// group C: object transitions and live workloads
import "./resource-moved-out-of-hook.js";
import "./hook-object-needed-by-workload.js";
import "./immutable-job-in-manifest.js";
import "./pod-image-pull.js";
import "./pod-crash-loop.js";
import "./pod-oom-killed.js";
import "./pod-unschedulable.js";
import "./pod-pvc-unbound.js";
import "./pod-create-forbidden.js";
import "./pod-not-ready.js";
import "./rollout-stalled.js";
// end group C
import "./pod-mount-failed.js";
import "./pod-config-missing.js";
