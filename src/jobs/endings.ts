import { ApiError } from "@fal-ai/client";
import { msg, type Message } from "../i18n/index.js";
import { isCancellable } from "./controls.js";
import { backoffMs } from "./faults.js";
import { costFromUnits, inferFalCost } from "./fal-cost.js";
import { isFinal, reservationStatus, type FalCost, type Job, type JobState } from "./job.js";
import type { LiveJob } from "./live.js";
import type { RunnerOptions } from "./runner-options.js";

type Transition = (live: LiveJob, state: JobState, patch?: Partial<Job>) => Promise<void>;

/** How long the bot keeps following fal's work on a job it gave up on, at most. */
const FOLLOW_FAL_LIMIT_MS = 6 * 3_600_000;

/**
 * How jobs end. The final state is written first, and the money follows it: a crash in
 * between leaves a final job whose books are open, which the next start closes (settling and
 * refunding are idempotent). A job fal still renders after the bot ended it keeps its fal
 * slot until fal is done, so fal never runs more of this bot's jobs than it may.
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
    await this.closeBooks(live.job);
    live.refresh();
  }

  /**
   * Settles a delivered job's charge or refunds any other final job, once, booking what fal
   * billed (left open while fal still renders it); then marks the books closed.
   */
  async closeBooks(job: Job): Promise<void> {
    const books = reservationStatus(job);
    if (!isFinal(job) || books === "closed" || books === "none") return;
    if (job.state === "delivered") {
      const charge = job.chargeMicros ?? job.reservation!.micros;
      await this.o.accounting.settle(job, charge, job.falCost?.micros ?? charge);
    } else {
      await this.o.accounting.refund(job, job.falPending ? null : (job.falCost?.micros ?? 0));
    }
    job.reservation!.status = "closed";
    await this.o.repo.save(job);
  }

  /** Cancels at fal when still possible (a job that is ending anyway should not render). */
  async cancelAtFal(job: Job): Promise<boolean> {
    return job.state === "submitted" && job.falRequestId ? this.o.seedance.cancel(job.falRequestId) : false;
  }

  /** Whether fal still works on the job after `cancelAtFal` said `cancelled`. */
  private stillAtFal(job: Job, cancelled: boolean): boolean {
    return (job.state === "submitted" || job.state === "running") && job.falRequestId !== null && !cancelled;
  }

  /** Runs a requested cancel inside the job's own loop, so it never races a state change. */
  async handleCancel(live: LiveJob): Promise<boolean> {
    const { job } = live;
    const request = live.cancel!;
    live.cancel = null;
    const atFal = job.state === "submitted";
    if (!isCancellable(job.state) || (atFal && !(await this.cancelAtFal(job)))) {
      request.resolve("too_late");
      return false;
    }
    await this.finish(live, "cancelled", msg("job.cancelledBy", { userId: request.by }));
    this.o.log.info({ job: job.id, by: request.by, atFal }, "job cancelled");
    request.resolve("cancelled");
    return true;
  }

  async timeOut(live: LiveJob): Promise<void> {
    const { job } = live;
    const limit = this.o.jobTimeoutMs >= 60_000 ? msg("job.minutes", { n: Math.round(this.o.jobTimeoutMs / 60_000) }) : msg("job.secondsLong", { n: Math.round(this.o.jobTimeoutMs / 1000) });
    const cancelled = await this.cancelAtFal(job);
    const falPending = this.stillAtFal(job, cancelled);
    this.o.log.warn({ job: job.id, state: job.state, cancelledAtFal: cancelled, falPending }, "job timed out");
    await this.finish(live, "failed", msg("job.timedOut", { limit }), { falPending });
  }

  async abandon(live: LiveJob, why: "messageGone" | "channelGone"): Promise<void> {
    const { job } = live;
    const state = job.state;
    const cancelled = await this.cancelAtFal(job);
    await this.finish(live, "failed", msg("job.notDelivered", { why: msg(`job.${why}`) }), { falPending: this.stillAtFal(job, cancelled) });
    this.o.log.warn({ job: job.id, state, channel: job.channelId, why }, "job abandoned (refunded)");
  }

  /**
   * For a job the bot ended while fal renders it: asks fal now and then until it reports the
   * job done, holding the job's fal slot meanwhile, then books what fal billed for it.
   * Survives restarts through `falPending`.
   */
  async followFalToEnd(live: LiveJob): Promise<void> {
    const { job } = live;
    let attempt = 0;
    while (job.falPending && !this.halted(live)) {
      let done: "completed" | "unknown" | null = !job.falRequestId || Date.now() - job.createdAt > this.o.jobTimeoutMs + FOLLOW_FAL_LIMIT_MS ? "unknown" : null;
      if (!done) {
        try {
          done = (await this.o.seedance.status(job.falRequestId!)).status === "COMPLETED" ? "completed" : null;
          attempt = 0;
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) done = "unknown"; // fal no longer knows it
          else this.o.log.warn({ job: job.id, err, attempt: ++attempt }, "fal status failed while waiting for an ended job's render");
        }
      }
      if (done) return this.bookEndedRender(job, done);
      await live.sleep(attempt ? backoffMs(attempt, this.o.pollIntervalMs) : Math.max(this.o.pollIntervalMs, 1_000));
    }
  }

  /** fal is done with a job the bot had ended: its bill (from the result's units when fal gives them) is booked, its slot freed. */
  private async bookEndedRender(job: Job, done: "completed" | "unknown"): Promise<void> {
    let failed = false;
    if (done === "completed") await this.o.seedance.result(job.falRequestId!).catch(() => (failed = true));
    const units = job.falRequestId ? this.o.seedance.billableUnits(job.falRequestId) : null;
    const falCost: FalCost = costFromUnits(units, this.o.unitPriceMicros) ?? (failed ? { micros: 0, source: "none" } : { micros: job.estimate.micros, source: "assumed" });
    await this.o.accounting.bill(job, falCost.micros);
    Object.assign(job, { falCost, falPending: false });
    await this.o.repo.save(job);
    this.o.log.info({ job: job.id, requestId: job.falRequestId, falCost }, "fal finished a job the bot had ended; its bill is booked and its fal slot free");
  }
}
