import type { Message } from "../i18n/index.js";
import { backoffMs, LeaseLost, type Job } from "../jobs/index.js";
import type { Fence } from "../store/index.js";
import type { JobEndings } from "./endings.js";
import type { RunnerOptions } from "./options.js";

/**
 * The leases of jobs this process is creating right now: taken before a job is first saved (so
 * no process adopts it half-made), renewed with the running jobs' leases, handed to the runner
 * when the job starts, or let go once a job that will not run is ended and refunded.
 */
export class Claims {
  private readonly fences = new Map<string, Fence>();

  constructor(
    private readonly o: Pick<RunnerOptions, "leases" | "repo" | "log">,
    private readonly endings: Pick<JobEndings, "closeBooks">,
    private readonly stopping: () => boolean,
  ) {}

  has(jobId: string): boolean {
    return this.fences.has(jobId);
  }

  /** Hands a claimed job's lease over (the job starts); undefined when it is not claimed here. */
  take(jobId: string): Fence | undefined {
    const fence = this.fences.get(jobId);
    this.fences.delete(jobId);
    return fence;
  }

  async renewAll(): Promise<void> {
    for (const fence of this.fences.values()) await this.o.leases.renew(fence).catch(() => undefined);
  }

  /**
   * Takes the lease of a job this process is about to create, before it is first saved, so
   * neither this process's adoption of unfinished jobs nor another process takes it; the fence
   * it returns goes with every write of the job.
   */
  async claim(jobId: string): Promise<Fence> {
    const fence = await this.o.leases.take(jobId);
    if (!fence) throw new Error(`job ${jobId} is already leased`);
    this.fences.set(jobId, fence);
    return fence;
  }

  /** Writes a job this process claimed (it has not started yet). */
  async saveClaimed(job: Job): Promise<void> {
    const fence = this.fences.get(job.id);
    if (!fence) throw new LeaseLost(job.id);
    await this.o.repo.save(job, fence);
  }

  private async unclaim(jobId: string): Promise<void> {
    const fence = this.fences.get(jobId);
    this.fences.delete(jobId);
    if (fence) await this.o.leases.release(fence).catch(() => undefined);
  }

  /**
   * Ends a claimed job that will not run (refused, or its intake failed): final in the store
   * and refunded before the claim is let go, so nothing adopts and charges it later. A job the
   * budget refused is then forgotten (it never started). When the store fails, the job stays
   * claimed and the end is retried in the background until it is recorded.
   */
  async endUnstarted(job: Job, reason: Message | string, options: { forget?: boolean } = {}): Promise<"ended" | "lost" | "retrying"> {
    const fence = this.fences.get(job.id);
    const attempt = async () => {
      if (!fence) throw new Error(`job ${job.id} is not claimed here`);
      // the member was answered directly (a refusal): there is no card to show the end on
      Object.assign(job, { state: "failed", error: reason, webhook: null, cardShown: true });
      await this.o.repo.save(job, fence);
      await this.endings.closeBooks(job, fence);
      if (options.forget) await this.o.repo.forget(job);
      await this.unclaim(job.id);
    };
    // a lost lease ends the attempts: the job is another process's to end now
    const settled = (err: unknown) => {
      if (!(err instanceof LeaseLost)) return false;
      this.fences.delete(job.id);
      this.o.log.warn({ job: job.id }, "lost the lease of a job that never started; its new driver ends it");
      return true;
    };
    try {
      await attempt();
      return "ended";
    } catch (err) {
      if (settled(err)) return "lost";
      this.o.log.error({ job: job.id, err }, "could not record the end of a job that never started; it stays claimed and is retried");
      void (async () => {
        for (let n = 1; !this.stopping(); n++) {
          await new Promise((r) => setTimeout(r, backoffMs(n, 1_000)).unref());
          if (await attempt().then(() => true, (e: unknown) => settled(e))) return;
        }
      })();
      return "retrying";
    }
  }
}
