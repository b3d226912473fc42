import type { Config } from "../config/env.js";
import type { Job } from "../jobs/job.js";
import type { JobAccounting } from "../jobs/runner.js";
import type { Logger } from "../log/logger.js";
import type { Store } from "../store/index.js";
import { EmbeddedLedger } from "./embedded-ledger.js";
import type { Ledger, Reservation, ReserveOutcome } from "./ledger.js";
import { periodOf, type PeriodWindow } from "./period.js";
import { RedisLedger } from "./redis-ledger.js";

export const MAX_ADMIN_USD = 10_000;

export interface BudgetStatus {
  limitMicros: number;
  /** Where the limit comes from: the member's own, the server default, or the bot's default. */
  source: "user" | "guild" | "default";
  spentMicros: number;
  reservedMicros: number;
  remainingMicros: number;
  inFlight: number;
  resetAt: number;
}

export type BudgetSettings = Pick<Config, "quotaPeriod" | "defaultQuotaMicros" | "spendCapMicros" | "maxJobsPerUser">;

const userLimitKey = (guildId: string, userId: string) => `quota:limit:${guildId}:${userId}`;
const guildDefaultKey = (guildId: string) => `quota:default:${guildId}`;

/** Members' budgets: limits set by admins, and the ledger that holds, settles and refunds. */
export class Budget implements JobAccounting {
  readonly ledger: Ledger;

  constructor(
    private readonly store: Store,
    private readonly settings: BudgetSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.ledger = store.redis ? new RedisLedger(store.redis, store.prefix) : new EmbeddedLedger(store);
  }

  period(): PeriodWindow {
    return periodOf(this.settings.quotaPeriod, this.now());
  }

  async limitFor(guildId: string, userId: string): Promise<{ micros: number; source: BudgetStatus["source"] }> {
    const own = await this.store.get<number>(userLimitKey(guildId, userId));
    if (own !== undefined) return { micros: own, source: "user" };
    const guild = await this.store.get<number>(guildDefaultKey(guildId));
    if (guild !== undefined) return { micros: guild, source: "guild" };
    return { micros: this.settings.defaultQuotaMicros, source: "default" };
  }

  async setUserLimit(guildId: string, userId: string, micros: number): Promise<void> {
    await this.store.set(userLimitKey(guildId, userId), micros);
  }

  async setGuildDefault(guildId: string, micros: number): Promise<void> {
    await this.store.set(guildDefaultKey(guildId), micros);
  }

  async resetSpent(guildId: string, userId: string): Promise<void> {
    await this.ledger.resetSpent(guildId, userId, this.period().key);
  }

  /** Holds the job's estimate; on success the job carries its reservation. */
  async reserve(job: Job): Promise<ReserveOutcome> {
    const guildId = job.guildId ?? "dm";
    const period = this.period().key;
    const limit = await this.limitFor(guildId, job.userId);
    const outcome = await this.ledger.reserve(
      { jobId: job.id, guildId, userId: job.userId, period, micros: job.estimate.micros },
      { userMicros: limit.micros, capMicros: this.settings.spendCapMicros, maxInFlight: this.settings.maxJobsPerUser },
    );
    if (outcome.ok) job.reservation = { period, micros: job.estimate.micros };
    return outcome;
  }

  private reservationOf(job: Job): Reservation | null {
    if (!job.reservation) return null;
    return { jobId: job.id, guildId: job.guildId ?? "dm", userId: job.userId, period: job.reservation.period, micros: job.reservation.micros };
  }

  async settle(job: Job, micros: number): Promise<void> {
    const r = this.reservationOf(job);
    if (r && (await this.ledger.settle(r, micros))) this.log.info({ job: job.id, micros, held: r.micros }, "budget settled");
  }

  async refund(job: Job): Promise<void> {
    const r = this.reservationOf(job);
    if (r && (await this.ledger.refund(r))) this.log.info({ job: job.id, micros: r.micros }, "budget refunded");
  }

  async status(guildId: string, userId: string): Promise<BudgetStatus> {
    const p = this.period();
    const [limit, usage] = await Promise.all([this.limitFor(guildId, userId), this.ledger.usage(guildId, userId, p.key)]);
    return {
      limitMicros: limit.micros,
      source: limit.source,
      spentMicros: usage.spentMicros,
      reservedMicros: usage.reservedMicros,
      remainingMicros: Math.max(0, limit.micros - usage.spentMicros - usage.reservedMicros),
      inFlight: usage.inFlight,
      resetAt: p.end,
    };
  }
}
