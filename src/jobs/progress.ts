import { escapeMarkdown } from "discord.js";
import { formatUsd, type Estimate } from "../seedance/pricing.js";
import type { VideoParams } from "../seedance/input.js";
import type { JobState } from "./job.js";

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
  error: string | null;
  resultUrl?: string | null;
  now: number;
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

/** A member's text shown inert: no markdown, so no disguised links, headings or spoilers. */
export function inert(text: string): string {
  return escapeMarkdown(text, { heading: true, bulletedList: true, numberedList: true, maskedLink: true });
}

export function quotePrompt(prompt: string, max = PROMPT_PREVIEW): string {
  const oneLine = prompt.replace(/\s+/g, " ").trim();
  const cut = oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
  return `> ${inert(cut)}`;
}

export function describeParams(params: VideoParams): string {
  const parts = [
    params.duration === "auto" ? "auto length" : `${params.duration} s`,
    params.resolution,
    params.aspectRatio === "auto" ? "auto aspect" : params.aspectRatio,
    params.audio ? "with audio" : "no audio",
  ];
  if (params.seed !== undefined) parts.push(`seed ${params.seed}`);
  if (params.endImageUrl) parts.push("end frame");
  return parts.join(" · ");
}

export function costLine(estimate: Estimate): string {
  return estimate.upTo ? `Estimated cost: up to ${formatUsd(estimate.micros)}` : `Estimated cost: ${formatUsd(estimate.micros)}`;
}

function statusLine(v: ProgressView): string {
  switch (v.state) {
    case "accepted":
    case "image_stored":
      if (v.waitingPosition) return `⏳ Waiting for a free slot: number ${v.waitingPosition} in the bot's queue`;
      return "📤 Sending your picture to the model…";
    case "submitting":
      return "📤 Sending the job to the model…";
    case "submitted":
      return v.queuePosition && v.queuePosition > 0
        ? `⏳ Queued at fal: position ${v.queuePosition}`
        : "⏳ Queued at fal: next in line";
    case "running": {
      const since = v.runningSince ?? v.now;
      const fraction = Math.min(0.95, (v.now - since) / 1000 / typicalRunSeconds(v.params));
      const lines = [`🎞️ Rendering since <t:${Math.floor(since / 1000)}:R>`, progressBar(fraction)];
      if (v.lastLog) lines.push(`\`${v.lastLog.replace(/`/g, "'").slice(0, LOG_PREVIEW)}\``);
      return lines.join("\n");
    }
    case "delivering":
      return "📦 Rendered! Uploading the video…";
    case "delivered":
      return v.resultUrl ? `✅ Done: ${v.resultUrl}` : "✅ Done";
    case "failed":
      return `❌ ${v.error ?? "The job failed."}`;
    case "cancelled":
      return `🛑 ${v.error ?? "Cancelled."}`;
  }
}

export function renderProgress(v: ProgressView): string {
  return [`🎬 Video for <@${v.userId}>`, quotePrompt(v.params.prompt), describeParams(v.params), costLine(v.estimate), statusLine(v)].join("\n");
}

/**
 * A new state is worth an edit as soon as the rate allows; other changes (queue position,
 * log line, bar step) wait longer. "Uploading" usually lasts a moment, so it waits too and
 * is mostly replaced by "Done" before it would be shown: one edit saved per job.
 */
export function isMajorChange(before: ProgressView | undefined, after: ProgressView): boolean {
  return !before || (before.state !== after.state && after.state !== "delivering");
}
