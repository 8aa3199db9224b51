// A positive cluster state of every failure mode helm-doctor recognises, with the clock it is judged at: one list so tests can
// run them all through each source (bundle and live cluster).
import type { Scenario } from "../scenario.js";
import { FOUNDING_NOW, foundingCase } from "./founding.js";
import * as H from "./hooks.js";
import * as R from "./release-state.js";
import * as T from "./transitions.js";

export interface FailureModeCase {
  name: string;
  build: () => Scenario;
  now: string;
}

export const FAILURE_MODES: FailureModeCase[] = [
  { name: "founding case (secret driver)", build: () => foundingCase(), now: FOUNDING_NOW },
  {
    name: "founding case (configmap driver)",
    build: () => foundingCase({ driver: "configmap" }),
    now: FOUNDING_NOW,
  },
  { name: "pending upgrade (Helm 4)", build: () => R.pendingUpgrade({ helm4: true }), now: R.PENDING_NOW },
  { name: "pending install", build: () => R.pendingInstall(), now: R.PENDING_NOW },
  { name: "atomic timeout", build: () => R.atomicTimeout(), now: R.ATOMIC_NOW },
  { name: "uninstall stuck", build: () => R.uninstallStuck(), now: R.UNINSTALL_NOW },
  { name: "uninstalled, history kept", build: () => R.uninstalledKeptHistory(), now: R.UNINSTALL_NOW },
  { name: "hooks skipped", build: () => R.installedWithNoHooks(), now: R.HOOKS_NOW },
  { name: "typo in hook event", build: () => R.typoHookConfigMap(), now: R.HOOKS_NOW },
  { name: "failed pre-upgrade migration", build: () => H.migrationFailed(), now: H.HOOKS_NOW },
  {
    name: "pre-install hook needs a manifest ServiceAccount",
    build: () => H.preInstallNeedsManifestObject(),
    now: H.HOOKS_NOW,
  },
  {
    name: "leftover hook already exists",
    build: () => H.leftoverHook({ mode: "already-exists" }),
    now: H.HOOKS_NOW,
  },
  { name: "sidecar blocks hook completion", build: () => H.sidecarHook(), now: H.HOOKS_NOW },
  { name: "post-hook wait deadlock", build: () => H.postHookDeadlock(), now: H.HOOKS_NOW },
  { name: "hook order dependency", build: () => H.hookOrder(), now: H.HOOKS_NOW },
  { name: "healthy release with hooks", build: () => H.healthyWithHooks(), now: H.HOOKS_NOW },
  { name: "moved out of a hook", build: () => T.movedOutOfHook(), now: T.TRANSITIONS_NOW },
  {
    name: "hook-succeeded Secret a Deployment needs",
    build: () => T.hookObjectNeeded(),
    now: T.TRANSITIONS_NOW,
  },
  { name: "immutable Job in the manifest", build: () => T.immutableJob(), now: T.TRANSITIONS_NOW },
  { name: "image pull failure", build: () => T.imagePullCase(), now: T.TRANSITIONS_NOW },
  { name: "crash loop", build: () => T.crashLoopCase(), now: T.TRANSITIONS_NOW },
  { name: "OOM killed", build: () => T.oomCase(), now: T.TRANSITIONS_NOW },
  { name: "unschedulable", build: () => T.unschedulableCase(), now: T.TRANSITIONS_NOW },
  { name: "PVC unbound", build: () => T.pvcCase(), now: T.TRANSITIONS_NOW },
  { name: "pod creation forbidden", build: () => T.forbiddenCase("quota"), now: T.TRANSITIONS_NOW },
  { name: "not ready", build: () => T.notReadyCase(), now: T.TRANSITIONS_NOW },
  { name: "rollout stalled", build: () => T.stalledCase(), now: T.TRANSITIONS_NOW },
  { name: "healthy release", build: () => T.healthyRelease(), now: T.TRANSITIONS_NOW },
];
