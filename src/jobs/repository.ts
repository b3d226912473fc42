import type { Store } from "../store/index.js";
import type { Job } from "./job.js";
import { hasOpenEnds } from "./job.js";

const ACTIVE = "jobs:active";
const jobKey = (id: string) => `job:${id}`;
const messageKey = (messageId: string) => `message:${messageId}`;

/** Jobs in the store: the source of truth a restarted process resumes from. */
export class JobRepository {
  constructor(private readonly store: Store) {}

  async save(job: Job): Promise<Job> {
    job.updatedAt = Date.now();
    await this.store.set(jobKey(job.id), job);
    if (hasOpenEnds(job)) await this.store.addToSet(ACTIVE, job.id);
    else await this.store.removeFromSet(ACTIVE, job.id);
    return job;
  }

  get(id: string): Promise<Job | undefined> {
    return this.store.get<Job>(jobKey(id));
  }

  /** Links a Discord message (progress or result) to its job, for reactions and buttons. */
  async linkMessage(messageId: string, jobId: string): Promise<void> {
    await this.store.set(messageKey(messageId), jobId);
  }

  async byMessage(messageId: string): Promise<Job | undefined> {
    const id = await this.store.get<string>(messageKey(messageId));
    return id ? this.get(id) : undefined;
  }

  /** Ids of the jobs that have not finished yet, or whose money or fal work is not settled. */
  activeIds(): Promise<string[]> {
    return this.store.members(ACTIVE);
  }
}
