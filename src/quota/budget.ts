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

  /** Writes down what the job will hold (before it is first saved): the period and the estimate. */
  plan(job: Job): void {
    job.reservation = { period: this.period().key, micros: job.estimate.micros, status: "planned" };
  }

  /** Holds the planned amount in one atomic step; on success the reservation is "held". */
  async reserve(job: Job): Promise<ReserveOutcome> {
    if (!job.reservation) this.plan(job);
    const planned = job.reservation!;
    const guildId = job.guildId ?? "dm";
    const limit = await this.limitFor(guildId, job.userId);
    const outcome = await this.ledger.reserve(
      { jobId: job.id, guildId, userId: job.userId, period: planned.period, micros: planned.micros },
      { userMicros: limit.micros, capMicros: this.settings.spendCapMicros, maxInFlight: this.settings.maxJobsPerUser },
    );
    if (outcome.ok) planned.status = "held";
    return outcome;
  }

  private reservationOf(job: Job): Reservation | null {
    if (!job.reservation) return null;
    return { jobId: job.id, guildId: job.guildId ?? "dm", userId: job.userId, period: job.reservation.period, micros: job.reservation.micros };
  }

  /** Charges `micros` (never more than held); false when the reservation was already released. */
  async settle(job: Job, micros: number): Promise<boolean> {
    const r = this.reservationOf(job);
    const done = r !== null && (await this.ledger.settle(r, micros));
    if (done) this.log.info({ job: job.id, micros, held: r!.micros }, "budget settled");
    return done;
  }

  /** Releases the whole hold (a planned one too: its hold may have landed unseen); idempotent. */
  async refund(job: Job): Promise<boolean> {
    const r = this.reservationOf(job);
    const done = r !== null && (await this.ledger.refund(r));
    if (done) this.log.info({ job: job.id, micros: r!.micros }, "budget refunded");
    return done;
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
