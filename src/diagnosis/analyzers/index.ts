// Importing an analyzer registers it; the order here is the tie-break order within a severity.
import "./release-record-corrupt.js";
import "./resource-moved-into-hook.js";
// group A: release state
// end group A
// group B: hook execution
// end group B
// group C: object transitions and live workloads
// end group C
import "./pod-mount-failed.js";
import "./pod-config-missing.js";
