import type { Fence, Store } from "../store/index.js";
import type { Job } from "./job.js";
import { hasOpenEnds } from "./job.js";

const ACTIVE = "jobs:active";
/** Jobs with nothing left to do, by when they ended: what retention prunes, oldest first. */
const DONE = "jobs:done";
/** Every job, and each server's, by when they were asked for (the operator's console lists them). */
const ALL = "jobs:all";
const guildKey = (guildId: string | null) => `jobs:guild:${guildId ?? "dm"}`;
const jobKey = (id: string) => `job:${id}`;
const messageKey = (messageId: string) => `message:${messageId}`;
/** A member's jobs in a server, by when they were asked for (their history). */
const memberKey = (guildId: string | null, userId: string) => `jobs:member:${guildId ?? "dm"}:${userId}`;
const falRequestKey = (requestId: string) => `falrequest:${requestId}`;
const falResultKey = (requestId: string) => `falresult:${requestId}`;
const cancelKey = (jobId: string) => `cancel:${jobId}`;

/** The process writing a job no longer holds its lease: another process drives it now. */
export class LeaseLost extends Error {
  override name = "LeaseLost";
  constructor(readonly jobId: string) {
    super(`the lease of job ${jobId} was lost: another process drives it now`);
  }
}

/** A member's request to cancel a job, kept until the process driving the job has acted on it. */
export interface CancelRequest {
  by: string;
  at: number;
}

/** Jobs in the store: the source of truth a restarted process resumes from. */
export class JobRepository {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Writes the job, only while `fence` (the job's lease) is this process's: the check and the
   * write are one atomic step, so a process that lost the job can never overwrite it. Throws
   * LeaseLost otherwise. `links` (such as fal's request id) are written in the same step.
   */
  async save(job: Job, fence: Fence, links: Array<[string, unknown]> = []): Promise<Job> {
    const first = job.updatedAt === job.createdAt;
    job.updatedAt = this.now();
    // In the active set before its record: a process that dies between the two leaves an id the
    // next pass drops (no record), never a recorded job that nobody resumes.
    const open = hasOpenEnds(job);
    if (open) await this.store.addToSet(ACTIVE, job.id);
    if (!(await this.store.setFenced(fence, [[jobKey(job.id), job], ...links]))) throw new LeaseLost(job.id);
    if (first) {
      await this.store.indexAdd(memberKey(job.guildId, job.userId), job.id, job.createdAt);
      await this.store.indexAdd(ALL, job.id, job.createdAt);
      await this.store.indexAdd(guildKey(job.guildId), job.id, job.createdAt);
    }
    if (!open) {
      await this.store.removeFromSet(ACTIVE, job.id);
      await this.store.indexAdd(DONE, job.id, job.updatedAt);
    }
    return job;
  }

  /** Writes the job with fal's request id linked to it, in one step (a webhook finds its job from then on). */
  saveSubmitted(job: Job, fence: Fence): Promise<Job> {
    return this.save(job, fence, [[falRequestKey(job.falRequestId!), job.id]]);
  }

  get(id: string): Promise<Job | undefined> {
    return this.store.get<Job>(jobKey(id));
  }

  /**
   * Forgets a job that never started (refused by the budget): no record, no history line, so a
   * member whose budget is spent cannot grow the store by asking again and again.
   */
  async forget(job: Job): Promise<void> {
    await this.store.removeFromSet(ACTIVE, job.id);
    await this.store.indexRemove(memberKey(job.guildId, job.userId), [job.id]);
    await this.store.indexRemove(ALL, [job.id]);
    await this.store.indexRemove(guildKey(job.guildId), [job.id]);
    await this.store.indexRemove(DONE, [job.id]);
    await this.store.delete(jobKey(job.id));
  }

  /** Links a Discord message (progress or result) to its job, for reactions and buttons. */
  async linkMessage(messageId: string, jobId: string): Promise<void> {
    await this.store.set(messageKey(messageId), jobId);
  }

  async byMessage(messageId: string): Promise<Job | undefined> {
    const id = await this.store.get<string>(messageKey(messageId));
    return id ? this.get(id) : undefined;
  }

  async byFalRequest(requestId: string): Promise<Job | undefined> {
    const id = await this.store.get<string>(falRequestKey(requestId));
    return id ? this.get(id) : undefined;
  }

  /** fal's verified webhook for a request: its end, for whichever process drives the job. */
  async saveFalResult(requestId: string, result: unknown): Promise<void> {
    await this.store.set(falResultKey(requestId), result);
  }

  falResult<T>(requestId: string): Promise<T | undefined> {
    return this.store.get<T>(falResultKey(requestId));
  }

  /** Keeps a member's cancel for whichever process drives the job (it may be another one). */
  async requestCancel(jobId: string, request: CancelRequest): Promise<void> {
    await this.store.set(cancelKey(jobId), request);
  }

  cancelRequest(jobId: string): Promise<CancelRequest | undefined> {
    return this.store.get<CancelRequest>(cancelKey(jobId));
  }

  async clearCancel(jobId: string): Promise<void> {
    await this.store.delete(cancelKey(jobId));
  }

  /** A member's jobs, newest first: `limit` of them from `offset`, and how many there are. */
  async ofMember(guildId: string | null, userId: string, offset: number, limit: number): Promise<{ jobs: Job[]; total: number }> {
    const key = memberKey(guildId, userId);
    const [ids, total] = await Promise.all([this.store.indexNewest(key, offset, limit), this.store.indexSize(key)]);
    const jobs = (await Promise.all(ids.map((id) => this.get(id)))).filter((j): j is Job => j !== undefined);
    return { jobs, total };
  }

  /** Ids of the jobs that have not finished yet, or whose money or fal work is not settled. */
  activeIds(): Promise<string[]> {
    return this.store.members(ACTIVE);
  }

  /** Drops a job that has nothing left to do from the active set (found there after a crash). */
  /** Drops an active id whose record was never written (its process died in between). */
  async dropActive(jobId: string): Promise<void> {
    await this.store.removeFromSet(ACTIVE, jobId);
  }

  async settleActive(job: Job): Promise<void> {
    if (hasOpenEnds(job)) return;
    await this.store.removeFromSet(ACTIVE, job.id);
    await this.store.indexAdd(DONE, job.id, job.updatedAt);
  }

  /**
   * Deletes up to `limit` jobs that ended before `before`, with their message links; returns
   * their ids (the caller forgets their ledger records too).
   */
  async pruneEnded(before: number, limit = 500): Promise<string[]> {
    const ids = await this.store.indexRange(DONE, before - 1, limit);
    for (const id of ids) {
      const job = await this.get(id);
      if (job && hasOpenEnds(job)) continue; // it came back to life: not ours to delete
      for (const messageId of [job?.progressMessageId, job?.resultMessageId]) if (messageId) await this.store.delete(messageKey(messageId));
      if (job?.falRequestId) for (const key of [falRequestKey(job.falRequestId), falResultKey(job.falRequestId)]) await this.store.delete(key);
      if (job) await this.store.indexRemove(memberKey(job.guildId, job.userId), [id]);
      if (job) await this.store.indexRemove(guildKey(job.guildId), [id]);
      await this.store.delete(cancelKey(id));
      await this.store.delete(jobKey(id));
    }
    await this.store.indexRemove(DONE, ids);
    await this.store.indexRemove(ALL, ids);
    return ids;
  }

  /**
   * The latest jobs, newest first, of one server or all, in some states or any: `limit` from
   * `offset` of those that match. A state filter reads at most `scan` jobs to find them.
   */
  async latest(filter: { guildId?: string | null; states?: readonly string[] }, offset: number, limit: number, scan = 5_000): Promise<{ jobs: Job[]; more: boolean }> {
    const index = filter.guildId === undefined ? ALL : guildKey(filter.guildId);
    if (!filter.states?.length) {
      const ids = await this.store.indexNewest(index, offset, limit + 1);
      const jobs = (await Promise.all(ids.slice(0, limit).map((id) => this.get(id)))).filter((j): j is Job => j !== undefined);
      return { jobs, more: ids.length > limit };
    }
    const found: Job[] = [];
    let skipped = 0;
    for (let at = 0; at < scan && found.length <= limit; at += 200) {
      const ids = await this.store.indexNewest(index, at, 200);
      for (const job of await Promise.all(ids.map((id) => this.get(id)))) {
        if (!job || !filter.states.includes(job.state)) continue;
        if (skipped < offset) skipped++;
        else found.push(job);
      }
      if (ids.length < 200) break;
    }
    return { jobs: found.slice(0, limit), more: found.length > limit };
  }

  /** Jobs asked for since `sinceMs`, newest first, at most `max` of them (the console's chart). */
  async since(sinceMs: number, max = 20_000): Promise<Job[]> {
    const out: Job[] = [];
    for (let at = 0; at < max; at += 500) {
      const ids = await this.store.indexNewest(ALL, at, 500);
      for (const job of await Promise.all(ids.map((id) => this.get(id)))) {
        if (!job) continue;
        if (job.createdAt < sinceMs) return out;
        out.push(job);
      }
      if (ids.length < 500) break;
    }
    return out;
  }
}
