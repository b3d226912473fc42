import { ApiError } from "@fal-ai/client";
import { msg, type Message } from "../i18n/index.js";
import { isCancellable } from "../cards/index.js";
import { backoffMs, isTransient } from "../jobs/index.js";
import { costFromUnits, followable, inferFalCost } from "../jobs/index.js";
import { isFinal, reservationStatus, type FalCost, type Job, type JobState } from "../jobs/index.js";
import type { LiveJob } from "./live.js";
import type { RunnerOptions } from "./options.js";
import type { Fence } from "../store/index.js";

type Transition = (live: LiveJob, state: JobState, patch?: Partial<Job>) => Promise<void>;

/** How long the bot keeps following fal's work on a job it ended, at most; then it books the estimate. */
const FOLLOW_FAL_LIMIT_MS = 6 * 3_600_000;
/** fal's answer about an ended job stays unknown after this many failed asks in a row: the estimate is booked. */
const UNANSWERED_LIMIT = 10;

/**
 * How jobs end. The final state is written first, and the money follows it: a crash in
 * between leaves a final job whose books are open, which the next start closes (settling and
 * refunding are idempotent). A job the bot ended while fal had it (cancelled, timed out, gone)
 * keeps its fal slot and is followed until fal says it ended, since fal's cancel is only a
 * request: what fal billed then goes on the operator's books. Only fal's own word that it did
 * not render the job books $0.
 */
export class JobEndings {
  constructor(
    private readonly o: RunnerOptions,
    private readonly transition: Transition,
    private readonly halted: (live: LiveJob) => boolean,
  ) {}

  /** Writes the final state (with `patch` and what fal billed, as far as known), then refunds: in that order. */
  async finish(live: LiveJob, state: "failed" | "cancelled", message: Message, patch: Partial<Job> = {}): Promise<void> {
    const falCost = inferFalCost(live.job, live.job.state, patch.falPending ?? live.job.falPending ?? false);
    await this.transition(live, state, { ...patch, falCost, error: message });
    await this.closeBooksAndShow(live);
  }

  /** Closes a final job's books, then shows its end: the member never reads "done" before the money is. */
  async closeBooksAndShow(live: LiveJob): Promise<void> {
    await this.closeBooks(live.job, live.fence);
    live.refresh();
  }

  /**
   * Settles a delivered job's charge or refunds any other final job, once, booking what fal
   * billed (left open while fal still has it); then marks the books closed.
   */
  async closeBooks(job: Job, fence: Fence): Promise<void> {
    const books = reservationStatus(job);
    if (!isFinal(job) || books === "closed" || books === "none") return;
    if (job.state === "delivered") {
      const charge = job.chargeMicros ?? job.reservation!.micros;
      await this.o.accounting.settle(job, charge, job.falCost?.micros ?? charge);
    } else {
      await this.o.accounting.refund(job, job.falPending ? null : (job.falCost?.micros ?? 0));
    }
    job.reservation!.status = "closed";
    await this.o.repo.save(job, fence);
  }

  /** Asks fal to stop a job the bot is ending (a signal only: it is followed to its end either way). */
  private async signalCancel(job: Job): Promise<void> {
    if (!followable(job)) return;
    const answer = await this.o.seedance.cancel(job.falRequestId!);
    this.o.log.info({ job: job.id, requestId: job.falRequestId, answer }, "asked fal to cancel; following the request until fal says it ended");
  }

  /**
   * Runs a requested cancel inside the job's own loop, so it never races a state change. A job
   * not at fal yet stops at once; a job queued at fal is cancelled when fal takes the request
   * (the member is refunded and told, and fal is followed for its bill); a render that started
   * cannot be stopped.
   */
  async handleCancel(live: LiveJob): Promise<boolean> {
    const { job } = live;
    const request = live.cancel!;
    live.cancel = null;
    await this.o.repo.clearCancel(job.id).catch(() => undefined);
    if (!isCancellable(job.state)) {
      request.resolve(isFinal(job) ? "finished" : "too_late");
      return false;
    }
    const atFal = job.state === "submitted";
    if (atFal) {
      const answer = await this.o.seedance.cancel(job.falRequestId!);
      if (answer !== "requested") {
        request.resolve("too_late");
        return false;
      }
    }
    await this.finish(live, "cancelled", msg("job.cancelledBy", { userId: request.by }), atFal ? { falPending: true } : {});
    this.o.log.info({ job: job.id, by: request.by, atFal }, "job cancelled");
    request.resolve("cancelled");
    return true;
  }

  async timeOut(live: LiveJob): Promise<void> {
    const { job } = live;
    const limit = this.o.jobTimeoutMs >= 60_000 ? msg("job.minutes", { n: Math.round(this.o.jobTimeoutMs / 60_000) }) : msg("job.secondsLong", { n: Math.round(this.o.jobTimeoutMs / 1000) });
    const falPending = followable(job);
    await this.signalCancel(job);
    this.o.log.warn({ job: job.id, state: job.state, falPending }, "job timed out");
    await this.finish(live, "failed", msg("job.timedOut", { limit }), { falPending });
  }

  async abandon(live: LiveJob, why: "messageGone" | "channelGone"): Promise<void> {
    const { job } = live;
    const state = job.state;
    const falPending = followable(job);
    await this.signalCancel(job);
    await this.finish(live, "failed", msg("job.notDelivered", { why: msg(`job.${why}`) }), { falPending });
    this.o.log.warn({ job: job.id, state, channel: job.channelId, why }, "job abandoned (refunded)");
  }

  /**
   * For a job the bot ended while fal had it: asks fal now and then (or hears its webhook) until
   * it reports the job done, holding the job's fal slot meanwhile, then books what fal billed.
   * Survives restarts through `falPending`.
   */
  async followFalToEnd(live: LiveJob): Promise<void> {
    const { job } = live;
    let attempt = 0;
    while (job.falPending && !this.halted(live)) {
      let end: FalCost | null = null;
      if (!job.falRequestId || Date.now() - job.updatedAt > FOLLOW_FAL_LIMIT_MS || attempt >= UNANSWERED_LIMIT) {
        end = { micros: job.estimate.micros, source: "assumed" }; // fal's word never came: the estimate, never $0
      } else {
        try {
          end = await this.endAtFal(job);
          attempt = 0;
        } catch (err) {
          attempt++;
          this.o.log.warn({ job: job.id, err, attempt }, "fal did not answer about an ended job's render; asking again later");
        }
      }
      if (end) return this.bookEndedRender(live, end);
      const longest = Math.max(1_000, 20 * this.o.pollIntervalMs);
      await live.sleep(attempt ? Math.min(longest, backoffMs(attempt, this.o.pollIntervalMs)) : Math.max(this.o.pollIntervalMs, 1_000));
    }
  }

  /**
   * What fal billed for a request it has ended, null while it still works on it. Throws when
   * fal's answer does not tell (a passing fault): asked again later.
   */
  private async endAtFal(job: Job): Promise<FalCost | null> {
    const requestId = job.falRequestId!;
    let done = Boolean(await this.o.repo.falResult(requestId)); // its webhook came: it ended
    if (!done) {
      try {
        done = (await this.o.seedance.status(requestId)).status === "COMPLETED";
      } catch (err) {
        // fal no longer knows it: whether it rendered cannot be told, so the estimate is booked
        if (err instanceof ApiError && err.status === 404) return { micros: job.estimate.micros, source: "assumed" };
        throw err;
      }
    }
    if (!done) return null;
    try {
      await this.o.seedance.result(requestId);
    } catch (err) {
      if (isTransient(err)) throw err;
      // fal's own word that it ended without a video: its reported units, else nothing
      return costFromUnits(this.o.seedance.billableUnits(requestId), this.o.unitPriceMicros) ?? { micros: 0, source: "none" };
    }
    // rendered after all: fal's units, else the estimate (never below the bill)
    return costFromUnits(this.o.seedance.billableUnits(requestId), this.o.unitPriceMicros) ?? { micros: job.estimate.micros, source: "assumed" };
  }

  /** fal is done with a job the bot had ended: its bill is booked, its slot freed. */
  private async bookEndedRender(live: LiveJob, falCost: FalCost): Promise<void> {
    const { job } = live;
    await this.o.accounting.bill(job, falCost.micros);
    Object.assign(job, { falCost, falPending: false });
    await this.o.repo.save(job, live.fence);
    this.o.log.info({ job: job.id, requestId: job.falRequestId, falCost }, "fal finished a job the bot had ended; its bill is booked and its fal slot free");
  }
}
