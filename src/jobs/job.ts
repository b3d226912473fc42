import type { InteractionWebhook } from "../discord/index.js";
import type { Message } from "../i18n/index.js";
import type { VideoParams } from "../seedance/index.js";
import type { Estimate } from "../seedance/index.js";

/**
 * A job's life, each state written before the step that talks to the outside:
 * accepted → image_stored → submitting → submitted (fal request id known) → running →
 * delivering → delivered | failed | cancelled. "submitting" marks the one call whose outcome
 * a crash could hide; a job found there after a restart is refunded, never sent twice.
 */
export const JOB_STATES = ["accepted", "image_stored", "submitting", "submitted", "running", "delivering", "delivered", "failed", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINAL_STATES: ReadonlySet<JobState> = new Set(["delivered", "failed", "cancelled"]);

export interface Job {
  id: string;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  guildId: string | null;
  channelId: string;
  userId: string;
  /** The deferred interaction reply that shows progress (same id on the channel route). */
  progressMessageId: string | null;
  /** Until the picture is in fal storage: the Discord URLs to fetch it from again after a crash. */
  sourceUrls: { image: string; endImage?: string | undefined } | null;
  params: VideoParams;
  estimate: Estimate;
  /** The budget hold: planned before the job is first saved, then held, then closed (settled or refunded). */
  reservation: Reservation | null;
  /** What the member is charged for the delivered video (settled after `delivered` is written). */
  chargeMicros?: number | null;
  /** What fal billed for this job, once known (the operator's books), and how it was known. */
  falCost?: FalCost | null;
  /** fal still renders (and bills) this job although the bot ended it: it keeps its fal slot until fal is done. */
  falPending?: boolean;
  /** Largest upload the interaction allowed; bigger videos are posted as a link. */
  uploadLimitBytes: number;
  /**
   * The interaction's webhook while it lives (15 minutes), so a process that resumes the job can
   * still answer through it (the member's "thinking…", a channel the bot may not post in).
   * Cleared when the job ends.
   */
  webhook?: InteractionWebhook | null;
  /** When the picture reached fal's storage (fal keeps it 7 days); a take inherits its source's. */
  imageStoredAt?: number | null;
  /** When the video was ready to be delivered: delivery ends DELIVERY_TIMEOUT_MINUTES after. */
  deliveringSince?: number | null;
  /**
   * false until the member's card shows how the job ended (a process that dies between the end
   * and that edit leaves the job to whoever starts next, which shows it); absent on older records.
   */
  cardShown?: boolean;
  /** Failed tries at showing the end on the card (given up after a few). */
  cardAttempts?: number;
  falRequestId: string | null;
  /** When fal queued it (for its queue time). */
  submittedAt?: number | null;
  queuePosition: number | null;
  runningSince: number | null;
  lastLog: string | null;
  /** fal's video URL once the render is done (kept at fal at least 7 days). */
  videoUrl: string | null;
  resultMessageId: string | null;
  resultSeed: number | null;
  /** Why it failed or was cancelled, in words the progress message shows (old records: plain English). */
  error: Message | string | null;
  /** The language of its public messages (the server's locale, from the interaction). */
  locale?: string;
  /** The language of what only its member reads later (their own client's, from the interaction). */
  memberLocale?: string;
  /** The job this one regenerates, if any. */
  parentJobId: string | null;
  /** fal's NSFW probability for its pictures (the highest), when they were checked: its takes reuse it. */
  pictureScore?: number | null;
}

/**
 * fal's bill for a job: from the billed units fal reported ("billed_units"), computed from the
 * delivered video ("video"), assumed to be the estimate when fal may have rendered it but the
 * bot cannot tell ("assumed"), or nothing: fal never rendered it, or failed it ("none").
 */
export interface FalCost {
  micros: number;
  source: "billed_units" | "video" | "assumed" | "none";
}

/**
 * "planned": written with the job before the ledger is asked, so a crash between the two is
 * found; "held": the ledger holds it; "closed": settled or refunded. Records written before
 * the status existed were held.
 */
export interface Reservation {
  period: string;
  micros: number;
  status?: "planned" | "held" | "closed";
}

export function isFinal(job: Pick<Job, "state">): boolean {
  return FINAL_STATES.has(job.state);
}

export function reservationStatus(job: Pick<Job, "reservation">): "none" | "planned" | "held" | "closed" {
  return job.reservation ? (job.reservation.status ?? "held") : "none";
}

/**
 * Money or fal work still to settle, or an end not yet shown to the member: the job stays in the
 * active set (a restart picks it up) until then.
 */
export function hasOpenEnds(job: Pick<Job, "state" | "reservation" | "falPending" | "cardShown">): boolean {
  const books = reservationStatus(job);
  return !isFinal(job) || books === "planned" || books === "held" || job.falPending === true || job.cardShown === false;
}
