import type { Message } from "../i18n/index.js";
import type { Fence } from "../store/index.js";
import { isCancellable } from "../cards/index.js";
import { JobEndings } from "./endings.js";
import { hasOpenEnds, isFinal, type Job, type JobState } from "../jobs/index.js";
import { LiveJob, type CancelOutcome, type JobStartExtras } from "./live.js";
import type { RunnerOptions } from "./options.js";
import { JobSteps } from "./steps.js";
import { Claims } from "./claims.js";
import { BEFORE_FAL, JobDriver } from "./drive.js";

/**
 * Drives each job (drive.ts runs one) from its stored state to delivered, failed or cancelled,
 * then closes its books. Every state is written before the step that talks to the outside, and every write
 * shows the job's lease (a fence), so a new process resumes a job from where the last one
 * stopped and a process that lost a job can no longer touch it; a step that fails for a
 * passing reason is tried again with backoff until the job's deadline.
 */
export class JobRunner {
  private readonly live = new Map<string, LiveJob>();
  /** Jobs this process is creating right now (not yet started, never to be adopted), with their leases. */
  private readonly claims: Claims;
  private readonly running = new Set<Promise<void>>();
  private stopping = false;
  /** The operator's pause as last seen (a brake checked again from the store before every submit). */
  private pausedSeen = false;

  private readonly endings: JobEndings;
  private readonly driver: JobDriver;
  private readonly upkeep: NodeJS.Timeout;

  constructor(private readonly o: RunnerOptions) {
    this.endings = new JobEndings(o, this.transition, (live) => this.stopping || live.lost);
    this.claims = new Claims(o, this.endings, () => this.stopping);
    const steps = new JobSteps(o, this.transition, () => this.stopping, (live) => this.endings.closeBooksAndShow(live));
    this.driver = new JobDriver(o, steps, this.endings, { stopping: () => this.stopping, paused: () => this.pausedSeen, lose: (live) => this.lose(live) });
    // Renew the leases of the jobs this process drives, and take over jobs whose process died.
    this.upkeep = setInterval(() => void this.renewAndAdopt(), o.leases.ttlMs / 3);
    this.upkeep.unref();
  }

  private async renewAndAdopt(): Promise<void> {
    try {
      await this.claims.renewAll();
      for (const live of this.live.values()) {
        if (live.lost) continue;
        let held: boolean;
        try {
          held = await this.o.leases.renew(live.fence);
        } catch (err) {
          // the store does not answer: the lease may lapse meanwhile, so past its length the job is not ours
          held = Date.now() - live.renewedAt <= this.o.leases.ttlMs;
          if (!held) this.o.log.warn({ job: live.job.id, err }, "could not renew a job's lease for longer than the lease; letting the job go");
        }
        if (held) live.renewedAt = Date.now();
        else this.lose(live);
      }
      await this.refreshPause();
      await this.resumeAll();
    } catch (err) {
      this.o.log.warn({ err }, "lease upkeep failed");
    }
  }

  /** This process no longer holds the job: it stops driving it, gives up its place in the queue and writes nothing more. */
  private lose(live: LiveJob): void {
    if (live.lost) return;
    live.lost = true;
    this.o.slots.withdraw(live.job.id);
    live.interrupt();
    this.o.log.warn({ job: live.job.id, state: live.job.state }, "lost a job's lease: another process may drive it now");
    // Edits this process queued before it stalled can land after the new driver's last one: when
    // the job has ended, its end is shown again, behind them in this process's queue.
    void live.showEndOnceEnded(() => this.stopping);
  }

  /** The shared fal slots found this job's lease gone. */
  leaseLost(jobId: string): void {
    const live = this.live.get(jobId);
    if (live) this.lose(live);
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

  /** This process's jobs of a server not at fal yet: waiting for a slot, or on their way to the queue. */
  waitingJobsOf(guildId: string | null): number {
    let n = 0;
    for (const { job } of this.live.values()) if (job.guildId === guildId && (job.state === "accepted" || job.state === "image_stored")) n++;
    return n;
  }

  /** Takes the lease of a job this process is about to create (see Claims.claim). */
  claim(jobId: string): Promise<Fence> {
    return this.claims.claim(jobId);
  }

  /** Writes a job this process claimed (it has not started yet). */
  saveClaimed(job: Job): Promise<void> {
    return this.claims.saveClaimed(job);
  }

  /** Ends a claimed job that will not run (see Claims.endUnstarted). */
  endUnstarted(job: Job, reason: Message | string, options: { forget?: boolean } = {}): Promise<"ended" | "lost" | "retrying"> {
    return this.claims.endUnstarted(job, reason, options);
  }

  /** Starts driving a job this process claimed (a new one) or took over. */
  start(job: Job, extras: JobStartExtras = {}, fence?: Fence): void {
    const lease = fence ?? this.claims.take(job.id);
    if (!lease || this.live.has(job.id) || !hasOpenEnds(job) || this.stopping) {
      extras.images?.release?.(); // not ours to run: let go of what the caller held for it
      if (lease && !this.live.has(job.id)) void this.o.leases.release(lease).catch(() => undefined);
      return;
    }
    const live = new LiveJob(job, lease, extras, {
      messages: this.o.messages,
      repo: this.o.repo,
      log: this.o.log,
      editIntervalMs: this.o.editIntervalMs,
      confirmLease: async () => {
        if (live.lost) return false;
        // renewed moments ago by the upkeep: no store round trip on every edit; a process that
        // stalled finds its last renewal old and asks the store
        if (Date.now() - live.renewedAt < this.o.leases.ttlMs / 2) return true;
        const held = await this.o.leases.renew(lease);
        if (held) live.renewedAt = Date.now();
        else this.lose(live);
        return held;
      },
    });
    // A job fal works on holds a fal slot, whatever the count (it was sent before a restart).
    if (job.state === "submitted" || job.state === "running" || job.falPending) this.o.slots.hold(job.id, lease);
    this.live.set(job.id, live);
    const run = this.driver.drive(live).finally(async () => {
      this.live.delete(job.id);
      this.running.delete(run);
      if (!live.lost) await this.o.leases.release(lease).catch(() => undefined);
    });
    this.running.add(run);
    void this.pickUpCancel(live);
  }

  /** Picks up every job with open ends in the store that no other process drives (after a restart). */
  async resumeAll(): Promise<number> {
    const found: Array<{ job: Job; fence: Fence }> = [];
    for (const id of await this.o.repo.activeIds()) {
      if (this.live.has(id) || this.claims.has(id) || this.stopping) continue;
      const fence = await this.o.leases.take(id);
      if (!fence) continue;
      // read after taking the lease: a job that just finished elsewhere has no open ends by now
      const job = await this.o.repo.get(id);
      if (!job || !hasOpenEnds(job) || this.live.has(id)) {
        // drops a finished job from the active set, or an id whose record was never written
        if (job) await this.o.repo.settleActive(job);
        else await this.o.repo.dropActive(id);
        await this.o.leases.release(fence).catch(() => undefined);
        continue;
      }
      found.push({ job, fence });
    }
    // Jobs fal works on take their slots before any waiting job could take one.
    const atFal = (j: Job) => j.state === "submitted" || j.state === "running" || j.falPending === true;
    for (const { job, fence } of [...found.filter((f) => atFal(f.job)), ...found.filter((f) => !atFal(f.job))]) this.start(job, {}, fence);
    return found.length;
  }

  /**
   * Asks to cancel a job. The process driving it acts: here at once, or another process through
   * the store (the cancel is kept there and that process is told); then the answer is
   * "requested". Jobs not yet at fal stop at once; queued ones are cancelled at fal first; a
   * render that has started cannot be stopped, so that is "too late".
   */
  async cancel(jobId: string, by: string): Promise<CancelOutcome> {
    const live = this.live.get(jobId);
    if (live && !live.lost) {
      if (!isCancellable(live.job.state)) return isFinal(live.job) ? "finished" : "too_late";
      const outcome = live.requestCancel(by);
      this.o.slots.withdraw(jobId);
      live.interrupt();
      return outcome;
    }
    const job = await this.o.repo.get(jobId);
    if (!job) return "unknown";
    if (isFinal(job)) return "finished";
    if (!isCancellable(job.state)) return "too_late";
    await this.o.repo.requestCancel(jobId, { by, at: Date.now() });
    await this.o.announceCancel(jobId);
    return "requested";
  }

  /** Another process kept a cancel for a job: the one driving it acts on it. */
  async onCancelRequested(jobId: string): Promise<void> {
    const live = this.live.get(jobId);
    if (live) await this.pickUpCancel(live);
  }

  private async pickUpCancel(live: LiveJob): Promise<void> {
    const request = await this.o.repo.cancelRequest(live.job.id).catch(() => undefined);
    if (!request || live.lost || isFinal(live.job)) return;
    void live.requestCancel(request.by);
    this.o.slots.withdraw(live.job.id);
    live.interrupt();
  }

  /** The operator paused or resumed: jobs not yet at fal notice at once. */
  async refreshPause(): Promise<void> {
    const paused = Boolean(await this.o.paused());
    if (paused === this.pausedSeen) return;
    this.pausedSeen = paused;
    if (!paused) return;
    for (const live of this.live.values()) {
      if (!BEFORE_FAL.has(live.job.state)) continue;
      this.o.slots.withdraw(live.job.id);
      live.interrupt();
    }
  }

  /** Stops polling, lets in-flight steps write their state, and waits up to `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.upkeep);
    for (const live of this.live.values()) live.interrupt();
    this.o.slots.wakeAll();
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private readonly transition = async (live: LiveJob, state: JobState, patch: Partial<Job> = {}): Promise<void> => {
    Object.assign(live.job, patch, { state });
    await this.o.repo.save(live.job, live.fence);
    if (!isFinal(live.job)) live.refresh(); // a final state is shown once its books are closed
  };
}
