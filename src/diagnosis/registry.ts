// The analyzer registry: one line per finding code, in tie-break order within a severity. The finding codes
// are this object's keys. Adding an analyzer: its file in analyzers/, one line here, one test.
import type { Analyzer } from "./analyzer.js";
import admissionRejected from "./analyzers/admission-rejected.js";
import atomicRollbackMaskedFailure from "./analyzers/atomic-rollback-masked-failure.js";
import crdsNotUpgraded from "./analyzers/crds-not-upgraded.js";
import hookFailed from "./analyzers/hook-failed.js";
import hookLeftoverBlocks from "./analyzers/hook-leftover-blocks.js";
import hookObjectNeededByWorkload from "./analyzers/hook-object-needed-by-workload.js";
import hookOrderDependency from "./analyzers/hook-order-dependency.js";
import hookSidecarBlocksCompletion from "./analyzers/hook-sidecar-blocks-completion.js";
import hooksSkipped from "./analyzers/hooks-skipped.js";
import immutableFieldChange from "./analyzers/immutable-field-change.js";
import immutableJobInManifest from "./analyzers/immutable-job-in-manifest.js";
import noDeployedRelease from "./analyzers/no-deployed-release.js";
import podConfigMissing from "./analyzers/pod-config-missing.js";
import podCrashLoop from "./analyzers/pod-crash-loop.js";
import podCreateForbidden from "./analyzers/pod-create-forbidden.js";
import podImagePull from "./analyzers/pod-image-pull.js";
import podMountFailed from "./analyzers/pod-mount-failed.js";
import podNotReady from "./analyzers/pod-not-ready.js";
import podOomKilled from "./analyzers/pod-oom-killed.js";
import podPvcUnbound from "./analyzers/pod-pvc-unbound.js";
import podUnschedulable from "./analyzers/pod-unschedulable.js";
import postHookWaitDeadlock from "./analyzers/post-hook-wait-deadlock.js";
import preInstallHookNeedsManifestObject from "./analyzers/pre-install-hook-needs-manifest-object.js";
import releaseFailed from "./analyzers/release-failed.js";
import releasePendingStuck from "./analyzers/release-pending-stuck.js";
import releaseRecordCorrupt from "./analyzers/release-record-corrupt.js";
import releaseRecordMissing from "./analyzers/release-record-missing.js";
import releaseRecordSize from "./analyzers/release-record-size.js";
import releaseUninstallStuck from "./analyzers/release-uninstall-stuck.js";
import resourceMovedIntoHook from "./analyzers/resource-moved-into-hook.js";
import resourceMovedOutOfHook from "./analyzers/resource-moved-out-of-hook.js";
import resourceOwnershipConflict from "./analyzers/resource-ownership-conflict.js";
import rolloutStalled from "./analyzers/rollout-stalled.js";
import unknownHookDropped from "./analyzers/unknown-hook-dropped.js";

export const ANALYZERS = {
  "release-record-corrupt": releaseRecordCorrupt,
  "release-record-missing": releaseRecordMissing,
  "resource-moved-into-hook": resourceMovedIntoHook,
  "release-pending-stuck": releasePendingStuck,
  "release-uninstall-stuck": releaseUninstallStuck,
  "no-deployed-release": noDeployedRelease,
  "atomic-rollback-masked-failure": atomicRollbackMaskedFailure,
  "hooks-skipped": hooksSkipped,
  "unknown-hook-dropped": unknownHookDropped,
  "crds-not-upgraded": crdsNotUpgraded,
  "release-record-size": releaseRecordSize,
  "pre-install-hook-needs-manifest-object": preInstallHookNeedsManifestObject,
  "hook-order-dependency": hookOrderDependency,
  "hook-sidecar-blocks-completion": hookSidecarBlocksCompletion,
  "hook-leftover-blocks": hookLeftoverBlocks,
  "post-hook-wait-deadlock": postHookWaitDeadlock,
  "hook-failed": hookFailed,
  "resource-moved-out-of-hook": resourceMovedOutOfHook,
  "resource-ownership-conflict": resourceOwnershipConflict,
  "admission-rejected": admissionRejected,
  "hook-object-needed-by-workload": hookObjectNeededByWorkload,
  "immutable-job-in-manifest": immutableJobInManifest,
  "immutable-field-change": immutableFieldChange,
  "pod-image-pull": podImagePull,
  "pod-crash-loop": podCrashLoop,
  "pod-oom-killed": podOomKilled,
  "pod-unschedulable": podUnschedulable,
  "pod-pvc-unbound": podPvcUnbound,
  "pod-create-forbidden": podCreateForbidden,
  "pod-not-ready": podNotReady,
  "rollout-stalled": rolloutStalled,
  "pod-mount-failed": podMountFailed,
  "pod-config-missing": podConfigMissing,
  // Last: the fallback that quotes Helm's error when nothing more specific explains a failed revision.
  "release-failed": releaseFailed,
} satisfies Record<string, Analyzer>;

export type FindingCode = keyof typeof ANALYZERS;

export const FINDING_CODES = Object.keys(ANALYZERS) as FindingCode[];
