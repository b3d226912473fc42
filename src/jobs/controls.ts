import { DEFAULT_LOCALE, t } from "../i18n/index.js";
import type { JobState } from "./job.js";

/** Buttons carry the job id only; everything else is looked up in the store. */
export type ControlAction = "regen" | "cancel";

export const REGENERATE_EMOJI = "🔁";
export const DELETE_EMOJI = "❌";

export function controlId(action: ControlAction, jobId: string): string {
  return `${action}:${jobId}`;
}

export function parseControlId(customId: string): { action: ControlAction; jobId: string } | null {
  const match = /^(regen|cancel):([0-9a-f-]{36})$/.exec(customId);
  return match ? { action: match[1] as ControlAction, jobId: match[2]! } : null;
}

/** fal can cancel only what has not started rendering. */
export function isCancellable(state: JobState): boolean {
  return state === "accepted" || state === "image_stored" || state === "submitted";
}

const row = (button: Record<string, unknown>) => [{ type: 1, components: [{ type: 2, ...button }] }];

export function progressComponents(jobId: string, state: JobState, locale?: string): unknown[] {
  return isCancellable(state) ? row({ style: 4, label: t(locale ?? DEFAULT_LOCALE, "buttons.cancel"), custom_id: controlId("cancel", jobId) }) : [];
}

export function resultComponents(jobId: string, locale?: string): unknown[] {
  return row({ style: 2, label: t(locale ?? DEFAULT_LOCALE, "buttons.regenerate"), emoji: { name: REGENERATE_EMOJI }, custom_id: controlId("regen", jobId) });
}
