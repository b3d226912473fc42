import { ApiError } from "@fal-ai/client";
import { msg, type Message } from "../i18n/index.js";
import { describeFalError } from "../seedance/errors.js";
import { isCancellable } from "./controls.js";
import { JobEndings } from "./endings.js";
import { backoffMs, isGone, isTransient, JobFailure } from "./faults.js";
import { hasOpenEnds, isFinal, reservationStatus, type Job, type JobState } from "./job.js";
import { LiveJob, type CancelOutcome, type JobStartExtras } from "./live.js";
import type { RunnerOptions } from "./runner-options.js";
import { JobSteps } from "./steps.js";

const RESTARTED_WHILE_SUBMITTING = msg("job.restartedWhileSubmitting");
const RESTARTED_BEFORE_HOLD = msg("job.restartedBeforeHold");
const UNEXPECTED = msg("job.unexpected");

/**
 * Drives each job from its stored state to delivered, failed or cancelled, then closes its
 * books. Every state is written before the step that talks to the outside, so a new process
 * resumes a job from where the last one stopped; a step that fails for a passing reason is
 * tried again with backoff until the job's deadline.
 */
export class JobRunner {
  private readonly live = new Map<string, LiveJob>();
  /** Jobs this process is creating right now: not yet started, never to be adopted. */
  private readonly claimed = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private stopping = false;

  private readonly steps: JobSteps;
  private readonly endings: JobEndings;
  private readonly upkeep: NodeJS.Timeout;

  constructor(private readonly o: RunnerOptions) {
    this.endings = new JobEndings(o, this.transition, (live) => this.stopping || live.lost);
    this.steps = new JobSteps(o, this.transition, () => this.stopping, (live) => this.endings.closeBooksAndShow(live));
    // Renew the leases of the jobs this process drives, and take over jobs whose process died.
    this.upkeep = setInterval(() => void this.renewAndAdopt(), o.leases.ttlMs / 3);
    this.upkeep.unref();
  }

  private async renewAndAdopt(): Promise<void> {
    try {
      for (const id of this.claimed) await this.o.leases.acquire(id);
      for (const live of this.live.values()) {
        if (!(await this.o.leases.acquire(live.job.id))) {
          live.lost = true; // another process took it over: stop here, leave the state as it is
          live.interrupt();
        }
      }
      await this.resumeAll();
    } catch (err) {
      this.o.log.warn({ err }, "lease upkeep failed");
    }
  }

  get activeCount(): number {
    return this.live.size;
  }

  /** fal's webhook came for a request: the job following it looks again at once (if this process drives it). */
  nudgeFalRequest(requestId: string): void {
    for (const live of this.live.values()) if (live.job.falRequestId === requestId) live.interrupt();
  }

  /** The jobs this process drives, by state (for the metrics). */
  statesInProgress(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { job } of this.live.values()) counts[job.state] = (counts[job.state] ?? 0) + 1;
    return counts;
  }

  /** A member's unfinished jobs that this process drives (what it knows without asking the store). */
  unfinishedJobsOf(guildId: string | null, userId: string): number {
    let n = 0;
    for (const { job } of this.live.values()) if (job.userId === userId && job.guildId === guildId && !isFinal(job)) n++;
    return n;
  }

  /**
   * Marks a job this process is about to create as its own, before it is first saved, so
   * neither this process's adoption of unfinished jobs nor another process takes it.
   */
  async claim(jobId: string): Promise<void> {
    this.claimed.add(jobId);
    await this.o.leases.acquire(jobId);
  }

  private async unclaim(jobId: string): Promise<void> {
    this.claimed.delete(jobId);
    await this.o.leases.release(jobId).catch(() => undefined);
  }

  /**
   * Ends a claimed job that will not run (refused, or its intake failed): final in the store
   * and refunded before the claim is let go, so nothing adopts and charges it later. When the
   * store fails, the job stays claimed and the end is retried in the background.
   */
  async endUnstarted(job: Job, reason: Message | string): Promise<void> {
    const attempt = async () => {
      Object.assign(job, { state: "failed", error: reason });
      await this.o.repo.save(job);
      await this.endings.closeBooks(job);
      await this.unclaim(job.id);
    };
    try {
      await attempt();
    } catch (err) {
      this.o.log.error({ job: job.id, err }, "could not record the end of a job that never started; it stays claimed and is retried");
      void (async () => {
        for (let n = 1; n <= 8 && !this.stopping; n++) {
          await new Promise((r) => setTimeout(r, backoffMs(n, 1_000)).unref());
          if (await attempt().then(() => true, () => false)) return;
        }
      })();
    }
  }

  start(job: Job, extras: JobStartExtras = {}): void {
    this.claimed.delete(job.id);
    if (this.live.has(job.id) || !hasOpenEnds(job) || this.stopping) {
      extras.images?.release?.(); // not ours to run: let go of what the caller held for it
      return;
    }
    const live = new LiveJob(job, extras, {
      messages: this.o.messages,
      repo: this.o.repo,
      log: this.o.log,
      editIntervalMs: this.o.editIntervalMs,
    });
    // A job fal works on holds a fal slot, whatever the count (it was sent before a restart).
    if (job.state === "submitted" || job.state === "running" || job.falPending) this.o.slots.hold(job.id);
    this.live.set(job.id, live);
    const run = this.drive(live).finally(async () => {
      this.live.delete(job.id);
      this.running.delete(run);
      await this.o.leases.release(job.id).catch(() => undefined);
    });
    this.running.add(run);
  }

  /** Picks up every job with open ends in the store that no other process drives (after a restart). */
  async resumeAll(): Promise<number> {
    const found: Job[] = [];
    for (const id of await this.o.repo.activeIds()) {
      if (this.live.has(id) || this.claimed.has(id) || this.stopping) continue;
      if (!(await this.o.leases.acquire(id))) continue;
      // read after taking the lease: a job that just finished here has no open ends by now
      const job = await this.o.repo.get(id);
      if (!job || !hasOpenEnds(job) || this.live.has(id)) {
        if (job && !hasOpenEnds(job)) await this.o.repo.save(job); // drops it from the active set
        await this.o.leases.release(id).catch(() => undefined);
        continue;
      }
      found.push(job);
    }
    // Jobs fal works on take their slots before any waiting job could take one.
    const atFal = (j: Job) => j.state === "submitted" || j.state === "running" || j.falPending === true;
    for (const job of [...found.filter(atFal), ...found.filter((j) => !atFal(j))]) this.start(job);
    return found.length;
  }

  /**
   * Asks to cancel a job. Jobs not yet at fal stop at once; queued ones are cancelled at fal
   * first; a render that has started cannot be stopped (fal has no way to), so that is "too late".
   */
  async cancel(jobId: string, by: string): Promise<CancelOutcome> {
    const live = this.live.get(jobId);
    if (!live) {
      const job = await this.o.repo.get(jobId);
      return job && isFinal(job) ? "finished" : "unknown";
    }
    if (!isCancellable(live.job.state)) return isFinal(live.job) ? "finished" : "too_late";
    const outcome = live.requestCancel(by);
    this.o.slots.withdraw(jobId);
    live.interrupt();
    return outcome;
  }

  /** Stops polling, lets in-flight steps write their state, and waits up to `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.upkeep);
    for (const live of this.live.values()) live.interrupt();
    this.o.slots.wakeAll();
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /**
   * A job's whole run in this process. Nothing escapes it: an unexpected error (the store
   * failing while a state is written) is logged and the job is left as stored, to be resumed.
   */
  private async drive(live: LiveJob): Promise<void> {
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
      this.o.log.error({ job: job.id, state: job.state, err }, "job interrupted by an unexpected error; it resumes from the store");
    } finally {
      live.dropImages();
      this.o.slots.release(job.id);
      try {
        if (isFinal(job) && !live.gone) await live.editor.flush();
      } finally {
        live.editor.close();
      }
    }
  }

  /** Steps the job until it is final, or this process stops or loses it. */
  private async runToEnd(live: LiveJob): Promise<void> {
    const { job } = live;
    const deadline = job.createdAt + this.o.jobTimeoutMs;
    let attempt = 0;
    try {
      // Its hold was never confirmed (a crash right after the job was saved): the member saw
      // no estimate, so it does not start now; any hold that landed unseen is refunded.
      const books = reservationStatus(job);
      if (books === "planned" || books === "none") return await this.endings.finish(live, "failed", RESTARTED_BEFORE_HOLD);
      while (!isFinal(job) && !this.stopping && !live.lost) {
        if (live.cancel && (await this.endings.handleCancel(live))) break;
        if (live.gone) {
          await this.endings.abandon(live, "messageGone");
          break;
        }
        // a job being delivered has a video that exists and is paid for: it is never timed out
        if (Date.now() > deadline && job.state !== "delivering") {
          await this.endings.timeOut(live);
          break;
        }
        try {
          const before = job.state;
          await this.step(live, deadline);
          attempt = 0;
          if (job.state === before && (before === "submitted" || before === "running")) await live.sleep(this.o.pollIntervalMs);
        } catch (err) {
          if (this.stopping || !isTransient(err)) throw err;
          attempt++;
          this.o.log.warn({ job: job.id, state: job.state, attempt, err }, "step failed, will retry");
          await live.sleep(backoffMs(attempt, Math.max(500, this.o.pollIntervalMs)));
        }
      }
    } catch (err) {
      if ((this.stopping || live.lost) && !(err instanceof JobFailure)) return;
      if (isGone(err)) return void (await this.endings.abandon(live, "channelGone"));
      const message = err instanceof JobFailure ? err.text : err instanceof ApiError ? describeFalError(err).message : UNEXPECTED;
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
        throw new JobFailure(RESTARTED_WHILE_SUBMITTING);
      case "submitted":
      case "running":
        return this.steps.watch(live, deadline);
      case "delivering":
        return this.steps.deliver(live);
      default:
        return;
    }
  }

  private readonly transition = async (live: LiveJob, state: JobState, patch: Partial<Job> = {}): Promise<void> => {
    Object.assign(live.job, patch, { state });
    await this.o.repo.save(live.job);
    if (!isFinal(live.job)) live.refresh(); // a final state is shown once its books are closed
  };
}
