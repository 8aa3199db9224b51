// What helm-doctor adds to the records it writes (operation annotations, which Helm ignores and drops the
// next time it rewrites the record) and how a written revision reads in `helm history`.
import { appVersion, chartRef, type Release } from "../helm/types.js";

export const OPERATION_ANNOTATION = "helm-doctor/operation-id";
export const ACTION_ANNOTATION = "helm-doctor/action";
export const REQUESTED_BY_ANNOTATION = "helm-doctor/requested-by";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's ANSIC layout ("Mon Jan _2 15:04:05 2006"), as `helm history` prints UPDATED (local time). */
export function ansic(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

/** One `helm history` row: REVISION, UPDATED, STATUS, CHART, APP VERSION, DESCRIPTION (tab-separated). */
export function historyLine(rel: Release): string {
  return [
    String(rel.version),
    ansic(rel.info.last_deployed),
    rel.info.status,
    chartRef(rel),
    appVersion(rel),
    rel.info.description ?? "",
  ].join("\t");
}
