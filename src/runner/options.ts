import type { DiscordMessages } from "../discord/index.js";
import type { Logger } from "../log/index.js";
import type { Metrics } from "../metrics/index.js";
import type { Seedance } from "../seedance/index.js";
import type { Tier } from "../seedance/index.js";
import type { Leases } from "../store/index.js";
import type { JobAccounting } from "../quota/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { SlotPool } from "../queue/index.js";

export interface RunnerOptions {
  repo: JobRepository;
  seedance: Seedance;
  messages: DiscordMessages;
  log: Logger;
  tier: Tier;
  accounting: JobAccounting;
  /** The fal slots (`MAX_CONCURRENT_JOBS`): this process's, or shared through Redis. */
  slots: SlotPool;
  pollIntervalMs: number;
  editIntervalMs: number;
  /**
   * The watchdog: a job older than this is ended and refunded. A render fal has started gets as
   * long again (a paid video is not thrown away a minute before it is done); delivering has a
   * deadline of its own.
   */
  jobTimeoutMs: number;
  /** How long a finished video may take to reach Discord before a link is posted, or the job ends undelivered. */
  deliveryTimeoutMs: number;
  /** The operator's pause, as stored: while it holds, no job is submitted. */
  paused: () => Promise<unknown>;
  /** Tells every process that a cancel was kept for a job (the one driving it acts on it). */
  announceCancel: (jobId: string) => Promise<void>;
  /** Which process drives which job (several processes may share a Redis store). */
  leases: Leases;
  /** fal's price per billed unit, in µ$. */
  unitPriceMicros: number;
  metrics: Metrics;
}
