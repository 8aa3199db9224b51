// /readyz's answer for a process that runs but is not ready for a reason other than Redis (a watch refused by
// RBAC, a watcher still starting): the message is the operator's to read, served as is.
export class NotReadyError extends Error {
  override name = "NotReadyError";
}
