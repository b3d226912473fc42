import { DEFAULT_LOCALE, money, translator } from "../i18n/index.js";
import type { Job } from "../jobs/index.js";
import { accentOf, quotePrompt } from "./progress.js";

export interface ResultFacts {
  seed: number | null;
  seconds: number;
  costMicros: number;
  /** Set when the file was too large to upload and is linked instead. */
  link?: string;
}

export function renderResult(job: Pick<Job, "userId" | "params" | "locale">, facts: ResultFacts): string {
  const p = job.params;
  const locale = job.locale ?? DEFAULT_LOCALE;
  const tr = translator(locale);
  const details = [
    facts.seed !== null ? tr("progress.seed", { seed: facts.seed }) : null,
    tr("progress.seconds", { seconds: facts.seconds }),
    p.resolution,
    p.aspectRatio === "auto" ? tr("progress.autoAspect") : p.aspectRatio,
    tr("result.cost", { cost: money(locale, facts.costMicros, "up") }),
  ].filter(Boolean);
  const lines = [tr("result.ready", { userId: job.userId }), quotePrompt(p.prompt, 900), details.join(" · ")];
  if (facts.link) lines.push(tr("result.link", { url: facts.link }));
  return lines.join("\n");
}

/**
 * The result card (Components V2): what happened and the facts first (a notification shows
 * them), the video itself in a media gallery (the uploaded file, played inline), or a link to
 * fal's copy when it was too large to upload; then the buttons.
 */
export function resultCard(job: Pick<Job, "userId" | "params" | "locale">, facts: Omit<ResultFacts, "link">, media: { file: string } | { link: string }, buttons: unknown[]): unknown[] {
  const tr = translator(job.locale ?? DEFAULT_LOCALE);
  const text = renderResult(job, "link" in media ? { ...facts, link: media.link } : facts);
  const gallery = "file" in media ? [{ type: 12, items: [{ media: { url: `attachment://${media.file}` }, description: tr("result.videoAlt", { prompt: job.params.prompt.slice(0, 900) }) }] }] : [];
  return [{ type: 17, accent_color: accentOf("delivered"), components: [{ type: 10, content: text }, ...gallery, ...buttons] }];
}
