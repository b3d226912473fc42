import { randomUUID } from "node:crypto";
import type { InteractionWebhook, MessageBody } from "../discord/messages.js";
import type { ReserveOutcome } from "../quota/ledger.js";
import type { VideoParams } from "../seedance/input.js";
import { estimate, formatUsd } from "../seedance/pricing.js";
import type { Services } from "../services.js";
import { progressComponents } from "./controls.js";
import type { Job, JobState } from "./job.js";
import { renderProgress } from "./progress.js";
import type { JobStartExtras } from "./runner.js";

/** Where a new job talks to its member: an interaction (/video, a button) or a channel reply (a reaction). */
export interface Presenter {
  /** Says no to the member only (ephemeral where Discord allows it). */
  refuse(text: string): Promise<void>;
  /** Shows the first progress message and returns its id. */
  show(body: MessageBody): Promise<string>;
  webhook: InteractionWebhook | null;
}

export interface NewJob {
  guildId: string | null;
  channelId: string;
  userId: string;
  params: VideoParams;
  uploadLimitBytes: number;
  state: Extract<JobState, "accepted" | "image_stored">;
  sourceUrls: Job["sourceUrls"];
  parentJobId?: string;
}

export function newJob(s: Services, fields: NewJob): Job {
  const now = Date.now();
  const { params } = fields;
  return {
    id: randomUUID(),
    createdAt: now,
    updatedAt: now,
    progressMessageId: null,
    estimate: estimate(s.tier, params.resolution, params.aspectRatio, params.duration),
    reservation: null,
    falRequestId: null,
    queuePosition: null,
    runningSince: null,
    lastLog: null,
    videoUrl: null,
    resultMessageId: null,
    resultSeed: null,
    error: null,
    parentJobId: fields.parentJobId ?? null,
    ...fields,
  };
}

export async function refusalText(outcome: Exclude<ReserveOutcome, { ok: true }>, job: Job, s: Services): Promise<string> {
  const resets = `<t:${Math.floor(s.budget.period().end / 1000)}:R>`;
  const cost = `${job.estimate.upTo ? "up to " : ""}${formatUsd(job.estimate.micros)}`;
  if (outcome.reason === "in_flight") {
    return `You already have ${outcome.inFlight} ${outcome.inFlight === 1 ? "video" : "videos"} in progress, the most this server allows at once. Please wait for one to finish; nothing was charged.`;
  }
  if (outcome.reason === "spend_cap") {
    return `The bot's overall budget for this period is used up (${formatUsd(outcome.remainingMicros)} left, this video needs ${cost}). It resets ${resets}. Nothing was charged.`;
  }
  const status = await s.budget.status(job.guildId ?? "dm", job.userId);
  return `This video would cost ${cost}, but you have ${formatUsd(outcome.remainingMicros)} left of your ${formatUsd(status.limitMicros)} budget. It resets ${resets}. Nothing was charged.`;
}

/**
 * Records the job, holds its budget (refusing when it cannot), shows the first progress
 * message and hands the job to the runner. The job exists before its hold, so a crash in
 * between is found and finished on restart.
 */
export async function launchJob(s: Services, job: Job, presenter: Presenter, images?: JobStartExtras["images"]): Promise<boolean> {
  await s.runner.claim(job.id);
  try {
    return await recordAndStart(s, job, presenter, images);
  } catch (err) {
    await s.runner.unclaim(job.id);
    throw err;
  }
}

async function recordAndStart(s: Services, job: Job, presenter: Presenter, images?: JobStartExtras["images"]): Promise<boolean> {
  await s.repo.save(job);
  const held = await s.budget.reserve(job);
  if (!held.ok) {
    images?.release?.();
    await s.runner.unclaim(job.id);
    await s.repo.save(Object.assign(job, { state: "failed", error: "refused by the budget" }));
    await presenter.refuse(await refusalText(held, job, s));
    return false;
  }
  await s.repo.save(job);

  const content = renderProgress({ ...job, now: Date.now() });
  let shown: string | undefined;
  try {
    const id = await presenter.show({ content, allowed_mentions: { parse: [] }, components: progressComponents(job.id, job.state) });
    job.progressMessageId = id;
    shown = content;
    await s.repo.linkMessage(id, job.id);
    await s.repo.save(job);
  } catch (err) {
    s.log.warn({ job: job.id, err }, "could not show the estimate; the runner will retry");
  }
  s.runner.start(job, { webhook: presenter.webhook, ...(images ? { images } : {}), ...(shown ? { shownContent: shown } : {}) });
  return true;
}
