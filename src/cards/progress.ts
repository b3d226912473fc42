import { inertPreview } from "../discord/index.js";
import { money, render, translator, type Message, type Translate } from "../i18n/index.js";
import type { Estimate } from "../seedance/index.js";
import type { VideoParams } from "../seedance/index.js";
import type { JobState } from "../jobs/index.js";

/** Everything the progress message shows; rendering is pure so it tests without Discord. */
export interface ProgressView {
  userId: string;
  state: JobState;
  params: VideoParams;
  estimate: Estimate;
  queuePosition: number | null;
  /** Position in the bot's own queue, before anything is sent to fal. */
  waitingPosition?: number | null;
  runningSince: number | null;
  lastLog: string | null;
  error: Message | string | null;
  resultUrl?: string | null;
  now: number;
  /** The language it is shown in (the server's). */
  locale?: string | undefined;
}

const PROMPT_PREVIEW = 300;
const LOG_PREVIEW = 120;
const BAR_CELLS = 10;

/** Seconds a render usually takes: a rough guide for the bar, never a promise. */
export function typicalRunSeconds(params: Pick<VideoParams, "resolution" | "duration">): number {
  const seconds = params.duration === "auto" ? 10 : Number(params.duration);
  const factor = params.resolution === "480p" ? 0.6 : params.resolution === "1080p" ? 2 : 1;
  return Math.round((45 + seconds * 10) * factor);
}

export function progressBar(fraction: number): string {
  const clamped = Math.max(0, Math.min(1, fraction));
  const filled = Math.floor(clamped * BAR_CELLS);
  return `${"▰".repeat(filled)}${"▱".repeat(BAR_CELLS - filled)} ${filled * 10}%`;
}

/** The prompt as a quote line, inert (see discord/markdown.ts): what the member typed, and no markup. */
export function quotePrompt(prompt: string, max = PROMPT_PREVIEW): string {
  return `> ${inertPreview(prompt, max)}`;
}

export function describeParams(params: VideoParams, tr: Translate): string {
  const parts = [
    params.duration === "auto" ? tr("progress.autoLength") : tr("progress.seconds", { seconds: params.duration }),
    params.resolution,
    params.aspectRatio === "auto" ? tr("progress.autoAspect") : params.aspectRatio,
    params.audio ? tr("progress.withAudio") : tr("progress.noAudio"),
  ];
  if (params.seed !== undefined) parts.push(tr("progress.seed", { seed: params.seed }));
  if (params.endImageUrl) parts.push(tr("progress.endFrame"));
  return parts.join(" · ");
}

export function costLine(estimate: Estimate, locale: string): string {
  return translator(locale)(estimate.upTo ? "progress.estimateUpTo" : "progress.estimate", { cost: money(locale, estimate.micros, "up") });
}

/** Places up to this are shown exactly; beyond, as "about N ahead". */
const EXACT_PLACES = 20;

/**
 * How a place in the bot's queue is shown: exactly up to 20, beyond as the number ahead rounded
 * to one significant figure (about 40, 300, 9,000, 10,000 ahead). In a queue of 10,000, a job
 * handed a slot changes what about 46 cards show, not 10,000 (each card still edited at most
 * once per minor-edit interval). The same text means the same card: no edit.
 */
export function shownPlace(place: number): { place: number } | { ahead: number } {
  if (place <= EXACT_PLACES) return { place };
  const ahead = place - 1;
  const unit = 10 ** Math.floor(Math.log10(ahead));
  return { ahead: Math.round(ahead / unit) * unit };
}

function statusLine(v: ProgressView, tr: Translate, locale: string): string {
  switch (v.state) {
    case "accepted":
    case "image_stored":
      if (v.waitingPosition) {
        const shown = shownPlace(v.waitingPosition);
        if ("place" in shown) return tr("progress.waitingSlot", shown);
        return tr("progress.waitingSlotAbout", { ahead: new Intl.NumberFormat(locale).format(shown.ahead) });
      }
      return tr("progress.sendingPicture");
    case "submitting":
      return tr("progress.sendingJob");
    case "submitted":
      return v.queuePosition && v.queuePosition > 0 ? tr("progress.queued", { position: v.queuePosition }) : tr("progress.queuedNext");
    case "running": {
      const since = v.runningSince ?? v.now;
      const fraction = Math.min(0.95, (v.now - since) / 1000 / typicalRunSeconds(v.params));
      const lines = [tr("progress.rendering", { since: `<t:${Math.floor(since / 1000)}:R>` }), progressBar(fraction)];
      if (v.lastLog) lines.push(`\`${v.lastLog.replace(/`/g, "'").slice(0, LOG_PREVIEW)}\``);
      return lines.join("\n");
    }
    case "delivering":
      return tr("progress.uploading");
    case "delivered":
      return v.resultUrl ? tr("progress.done", { link: v.resultUrl }) : tr("progress.doneNoLink");
    case "failed":
      return v.error ? tr("progress.failed", { reason: render(locale, v.error) }) : tr("progress.failedNoReason");
    case "cancelled":
      return v.error ? tr("progress.cancelled", { reason: render(locale, v.error) }) : tr("progress.cancelledNoReason");
  }
}

export function renderProgress(v: ProgressView): string {
  const locale = v.locale ?? "en-US";
  const tr = translator(locale);
  return [tr("progress.header", { userId: v.userId }), quotePrompt(v.params.prompt), describeParams(v.params, tr), costLine(v.estimate, locale), statusLine(v, tr, locale)].join("\n");
}

const MAX_MEDIA_URL = 2048;

/** The card's edge colour says the state at a glance: blurple while it works, green, red, grey. */
const ACCENT = { working: 0x5865f2, delivered: 0x57f287, failed: 0xed4245, cancelled: 0x99aab5 } as const;

export function accentOf(state: JobState): number {
  return state === "delivered" || state === "failed" || state === "cancelled" ? ACCENT[state] : ACCENT.working;
}

/**
 * The progress card (Components V2): who and what happens now first, so a notification and a
 * screen reader start with it; then the prompt, the options and the estimate beside a
 * thumbnail of the picture; then the buttons.
 */
export function progressCard(v: ProgressView, buttons: unknown[]): unknown[] {
  const locale = v.locale ?? "en-US";
  const tr = translator(locale);
  const headline = `${tr("progress.header", { userId: v.userId })}\n${statusLine(v, tr, locale)}`;
  const details = [quotePrompt(v.params.prompt), describeParams(v.params, tr), costLine(v.estimate, locale)].join("\n");
  return [
    {
      type: 17,
      accent_color: accentOf(v.state),
      components: [
        { type: 10, content: headline },
        // Discord takes media URLs up to 2048 characters (a linked picture's proxy URL wraps its own)
        v.params.imageUrl.length <= MAX_MEDIA_URL
          ? { type: 9, components: [{ type: 10, content: details }], accessory: { type: 11, media: { url: v.params.imageUrl }, description: tr("progress.pictureAlt") } }
          : { type: 10, content: details },
        ...buttons,
      ],
    },
  ];
}

/**
 * A new state is worth an edit as soon as the rate allows; other changes (queue position,
 * log line, bar step) wait longer. "Uploading" usually lasts a moment, so it waits too and
 * is mostly replaced by "Done" before it would be shown: one edit saved per job.
 */
export function isMajorChange(before: ProgressView | undefined, after: ProgressView): boolean {
  return !before || (before.state !== after.state && after.state !== "delivering");
}
