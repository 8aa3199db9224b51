// Importing an analyzer registers it; the order here is the tie-break order within a severity.
import "./release-record-corrupt.js";
import "./resource-moved-into-hook.js";
import "./pod-mount-failed.js";
import "./pod-config-missing.js";
