// Small pieces the Slack listeners share: the "queue down" answer, Slack error codes, and authorization that
// fails closed.
import type { Log } from "../queue/redis.js";
import type { Decision } from "./policy.js";

export const QUEUE_DOWN =
  "helm-doctor cannot queue this request: its job queue (Redis) is unreachable. Nothing was started. Try again in a minute; if it keeps failing, tell whoever runs helm-doctor.";

export { slackError } from "../queue/delivery.js";

/** The policy's decision; an error while deciding (a user group lookup) refuses. */
export async function decide(p: Promise<Decision>, log: Log): Promise<Decision> {
  try {
    return await p;
  } catch (e) {
    log.error(`authorization failed: ${(e as Error).message}`);
    return { allowed: false, reason: `the authorization check failed (${(e as Error).message}).` };
  }
}
