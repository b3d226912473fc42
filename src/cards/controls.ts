import { DEFAULT_LOCALE, t } from "../i18n/index.js";
import type { JobState } from "../jobs/index.js";

/** Buttons carry the job id only; everything else is looked up in the store (so they outlive a restart). */
export type ControlAction = "regen" | "loop" | "remix" | "cancel";

export const REGENERATE_EMOJI = "🔁";
export const DELETE_EMOJI = "❌";

export function controlId(action: ControlAction, jobId: string): string {
  return `${action}:${jobId}`;
}

export function parseControlId(customId: string): { action: ControlAction; jobId: string } | null {
  const match = /^(regen|loop|remix|cancel):([0-9a-f-]{36})$/.exec(customId);
  return match ? { action: match[1] as ControlAction, jobId: match[2]! } : null;
}

/** fal can cancel only what has not started rendering. */
export function isCancellable(state: JobState): boolean {
  return state === "accepted" || state === "image_stored" || state === "submitted";
}

const row = (...buttons: Array<Record<string, unknown>>) => [{ type: 1, components: buttons.map((b) => ({ type: 2, ...b })) }];

export function progressComponents(jobId: string, state: JobState, locale?: string): unknown[] {
  return isCancellable(state) ? row({ style: 4, label: t(locale ?? DEFAULT_LOCALE, "buttons.cancel"), custom_id: controlId("cancel", jobId) }) : [];
}

/** Report is anyone's button (the safety feature answers it), apart from the requester's controls. */
export const REPORT_PREFIX = "report";

export function reportId(jobId: string): string {
  return `${REPORT_PREFIX}:${jobId}`;
}

/** The job a Report button names; null for anything else. */
export function parseReportId(customId: string): string | null {
  return /^report:([0-9a-f-]{36})$/.exec(customId)?.[1] ?? null;
}

/**
 * Another take (new seed), a loop (the picture as the end frame too), a remix (a new prompt);
 * and Report, for anyone who finds the video harmful.
 */
export function resultComponents(jobId: string, locale?: string): unknown[] {
  const tr = (key: string) => t(locale ?? DEFAULT_LOCALE, key);
  return row(
    { style: 2, label: tr("buttons.regenerate"), emoji: { name: REGENERATE_EMOJI }, custom_id: controlId("regen", jobId) },
    { style: 2, label: tr("buttons.loop"), emoji: { name: "🔂" }, custom_id: controlId("loop", jobId) },
    { style: 2, label: tr("buttons.remix"), emoji: { name: "✏️" }, custom_id: controlId("remix", jobId) },
    { style: 2, label: tr("buttons.report"), emoji: { name: "🚩" }, custom_id: reportId(jobId) },
  );
}
