import { ApiError } from "@fal-ai/client";
import { msg } from "../i18n/index.js";
import { describeFalError } from "../seedance/index.js";
import { backoffMs, hasOpenEnds, isFinal, isGone, isTransient, JobFailure, LeaseLost, reservationStatus, type Job, type JobState } from "../jobs/index.js";
import type { JobEndings } from "./endings.js";
import type { LiveJob } from "./live.js";
import type { RunnerOptions } from "./options.js";
import type { JobSteps } from "./steps.js";

/** Tries at showing a job's end on its card before the bot gives up on it. */
const CARD_ATTEMPTS = 5;

/** States before fal has the job: what the operator's pause stops. */
export const BEFORE_FAL: ReadonlySet<JobState> = new Set(["accepted", "image_stored"]);

/** One job's run to its end: steps with retries and deadlines, books closed, the card's end recorded. */
export class JobDriver {
  constructor(
    private readonly o: RunnerOptions,
    private readonly steps: JobSteps,
    private readonly endings: JobEndings,
    /** Of the runner, which keeps the jobs, leases, cancels and the pause: whether it stops, the pause as last seen, losing a job. */
    private readonly run: { stopping(): boolean; paused(): boolean; lose(live: LiveJob): void },
  ) {}

  /**
   * A job's whole run in this process. Nothing escapes it: an unexpected error (the store
   * failing while a state is written) is logged and the job is left as stored, to be resumed;
   * a lost lease stops it quietly (another process drives it).
   */
  async drive(live: LiveJob): Promise<void> {
    const { job } = live;
    try {
      live.refresh();
      if (!isFinal(job)) {
        await this.runToEnd(live);
        if (isFinal(job)) this.o.metrics.jobEnded(job.state as "delivered" | "failed" | "cancelled");
      }
      if (!live.lost) {
        await this.endings.closeBooksAndShow(live);
        await this.endings.followFalToEnd(live);
      }
    } catch (err) {
      if (err instanceof LeaseLost) this.run.lose(live);
      else this.o.log.error({ job: job.id, state: job.state, err }, "job interrupted by an unexpected error; it resumes from the store");
    } finally {
      live.dropImages();
      if (!live.lost) this.o.slots.release(job.id);
      try {
        if (isFinal(job) && !live.gone && !live.lost) await live.editor.flush();
        await this.noteEndShown(live);
      } finally {
        live.editor.close();
      }
    }
  }

  /**
   * Records that the member's card shows the job's end, so the job leaves the active set; until
   * then (this process died, or the edit failed) whoever runs next shows it, a few times at most.
   */
  private async noteEndShown(live: LiveJob): Promise<void> {
    const { job } = live;
    if (!isFinal(job) || live.lost || job.cardShown !== false || hasOpenEnds({ ...job, cardShown: true })) return;
    const attempts = (job.cardAttempts ?? 0) + 1;
    // the interaction's token is kept until then (it edits the card where the bot may not post), and not after
    if (live.endShown || live.gone || attempts >= CARD_ATTEMPTS) Object.assign(job, { cardShown: true, webhook: null });
    else job.cardAttempts = attempts;
    await this.o.repo.save(job, live.fence).catch((err: unknown) => this.o.log.warn({ job: job.id, err }, "could not record that the card shows the job's end; it is shown again"));
  }

  /** When the job must have ended: a render fal has started gets as long again. */
  private deadlineOf(job: Job): number {
    const base = job.createdAt + this.o.jobTimeoutMs;
    if (job.state === "delivering") return (job.deliveringSince ?? job.updatedAt) + this.o.deliveryTimeoutMs;
    return job.state === "running" ? base + this.o.jobTimeoutMs : base;
  }

  /** Steps the job until it is final, or this process stops or loses it. */
  private async runToEnd(live: LiveJob): Promise<void> {
    const { job } = live;
    let attempt = 0;
    try {
      // Its hold was never confirmed (a crash right after the job was saved): the member saw
      // no estimate, so it does not start now; any hold that landed unseen is refunded.
      const books = reservationStatus(job);
      if (books === "planned" || books === "none") return await this.endings.finish(live, "failed", msg("job.restartedBeforeHold"));
      while (!isFinal(job) && !this.run.stopping() && !live.lost) {
        if (live.cancel && (await this.endings.handleCancel(live))) break;
        if (this.run.paused() && BEFORE_FAL.has(job.state)) {
          await this.endings.finish(live, "failed", msg("job.paused"));
          break;
        }
        // a video that exists is posted even when its progress card is gone
        if (live.gone && job.state !== "delivering") {
          await this.endings.abandon(live, "messageGone");
          break;
        }
        if (Date.now() > this.deadlineOf(job)) {
          if (job.state === "delivering") await this.steps.deliverLink(live);
          else await this.endings.timeOut(live);
          break;
        }
        try {
          const before = job.state;
          await this.step(live, this.deadlineOf(job));
          attempt = 0;
          if (job.state === before && (before === "submitted" || before === "running")) await live.sleep(this.o.pollIntervalMs);
        } catch (err) {
          if (this.run.stopping() || !isTransient(err)) throw err;
          attempt++;
          this.o.log.warn({ job: job.id, state: job.state, attempt, err }, "step failed, will retry");
          await live.sleep(backoffMs(attempt, Math.max(500, this.o.pollIntervalMs)));
        }
      }
    } catch (err) {
      if (err instanceof LeaseLost) throw err;
      if ((this.run.stopping() || live.lost) && !(err instanceof JobFailure)) return;
      if (isGone(err)) return void (await this.endings.abandon(live, "channelGone"));
      const message = err instanceof JobFailure ? err.text : err instanceof ApiError ? describeFalError(err).message : msg("job.unexpected");
      if (!(err instanceof JobFailure)) this.o.log.error({ job: job.id, state: job.state, err }, "job failed");
      await this.endings.finish(live, "failed", message);
    }
  }

  private async step(live: LiveJob, deadline: number): Promise<void> {
    switch (live.job.state) {
      case "accepted":
        return this.steps.storeImages(live);
      case "image_stored":
        return this.steps.submit(live, deadline);
      case "submitting":
        this.o.log.error({ job: live.job.id }, "found in 'submitting' after a restart: fal may have queued and billed it; it is not sent again");
        throw new JobFailure(msg("job.restartedWhileSubmitting"));
      case "submitted":
      case "running":
        return this.steps.watch(live, deadline);
      case "delivering":
        return this.steps.deliver(live);
      default:
        return;
    }
  }
}
