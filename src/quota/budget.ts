import type { Config } from "../config/index.js";
import type { Job } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { Metrics } from "../metrics/index.js";
import type { Store } from "../store/index.js";
import { EmbeddedLedger } from "./embedded-ledger.js";
import type { CreditBooks, CreditGrant, GrantOutcome, Ledger, OperatorBooks, Reservation, ReserveOutcome } from "./ledger.js";
import { givenAway } from "./ledger.js";
import { periodOf, type PeriodWindow } from "./period.js";
import { RedisLedger } from "./redis-ledger.js";

export const MAX_ADMIN_USD = 10_000;

/** A member's budget in the period, and the caps above it (whichever leaves least binds). */
export interface BudgetStatus {
  limitMicros: number;
  /** Where the limit comes from: the member's own, the server default, or the bot's default. */
  source: "user" | "guild" | "default";
  spentMicros: number;
  reservedMicros: number;
  /** What the member may still spend: the least of their budget, the server's cap and the overall cap. */
  remainingMicros: number;
  /** Which of the three leaves least. */
  binding: "member" | "guild_cap" | "spend_cap";
  inFlight: number;
  resetAt: number;
  /** The member's purchased credits (null: no packs are sold); they pay what the budget leaves. */
  creditMicros: number | null;
}

export type BudgetSettings = Pick<Config, "quotaPeriod" | "defaultQuotaMicros" | "spendCapMicros" | "guildSpendCapMicros" | "maxJobsPerUser" | "creditPacks">;

/** A server's cap as the operator set it: an amount, or explicitly none (the default otherwise). */
export type GuildCapSetting = number | "none";

const userLimitKey = (guildId: string, userId: string) => `quota:limit:${guildId}:${userId}`;
const guildDefaultKey = (guildId: string) => `quota:default:${guildId}`;
const guildCapKey = (guildId: string) => `operator:guildcap:${guildId}`;

/**
 * The budget's part in a job: hold before fal, then charge on delivery or refund otherwise,
 * booking what fal billed (null: not known yet, booked later with `bill`). All idempotent.
 */
export interface JobAccounting {
  settle(job: Job, micros: number, billedMicros: number | null): Promise<boolean>;
  refund(job: Job, billedMicros: number | null): Promise<boolean>;
  bill(job: Job, billedMicros: number): Promise<boolean>;
}

/**
 * Members' budgets (limits set by admins), the caps above them (set by the operator), and the
 * ledger that holds, settles, refunds and books what fal billed.
 */
export class Budget implements JobAccounting {
  readonly ledger: Ledger;

  /** Told of each delivered job's charge, once (the low-balance notice and the moderators' log listen). */
  private readonly settledListeners: Array<(job: Job) => void> = [];

  constructor(
    private readonly store: Store,
    private readonly settings: BudgetSettings,
    private readonly log: Logger,
    private readonly metrics?: Pick<Metrics, "memberCharged" | "falBilled">,
    private readonly now: () => number = Date.now,
  ) {
    this.ledger = store.redis ? new RedisLedger(store.redis, store.prefix) : new EmbeddedLedger(store);
  }

  /** Calls `listener` with each job whose charge this process settled (once per job, whichever process). */
  whenSettled(listener: (job: Job) => void): void {
    this.settledListeners.push(listener);
  }

  /**
   * Books a picture check fal ran (or may have run: its answer may have been lost) on the
   * operator's books, once per `checkId`; no member pays for it. Booked as a hold that never
   * landed, refunded with its bill: the ledger's own exactly-once path.
   */
  async bookCheck(checkId: string, guildId: string | null, userId: string, micros: number): Promise<void> {
    if (micros <= 0) return;
    await this.ledger.refund({ jobId: `check:${checkId}`, guildId: guildId ?? "dm", userId, period: this.period().key, micros: 0 }, micros);
    this.metrics?.falBilled(micros);
  }

  period(): PeriodWindow {
    return periodOf(this.settings.quotaPeriod, this.now());
  }

  get spendCapMicros(): number | null {
    return this.settings.spendCapMicros;
  }

  /** Credits pay what the budget leaves only while packs are sold. */
  get creditsOn(): boolean {
    return this.settings.creditPacks.length > 0;
  }

  /** Credits a purchase once per entitlement (see Ledger.grantCredit). */
  grantCredit(g: Omit<CreditGrant, "period">): Promise<GrantOutcome> {
    return this.ledger.grantCredit({ ...g, period: this.period().key });
  }

  revokeCredit(entitlementId: string, userId: string): Promise<boolean> {
    return this.ledger.revokeCredit(entitlementId, userId, this.period().key);
  }

  creditBooks(): Promise<CreditBooks> {
    return this.ledger.creditBooks(this.period().key);
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

  /** A server's cap: the operator's own for it, else GUILD_SPEND_CAP_USD; null for none. */
  async guildCapFor(guildId: string): Promise<{ micros: number | null; source: "operator" | "default" }> {
    const own = await this.store.get<GuildCapSetting>(guildCapKey(guildId));
    if (own !== undefined) return { micros: own === "none" ? null : own, source: "operator" };
    return { micros: this.settings.guildSpendCapMicros, source: "default" };
  }

  /** The operator's cap for one server (`null` goes back to GUILD_SPEND_CAP_USD). */
  async setGuildCap(guildId: string, cap: GuildCapSetting | null): Promise<void> {
    if (cap === null) await this.store.delete(guildCapKey(guildId));
    else await this.store.set(guildCapKey(guildId), cap);
  }

  async resetSpent(guildId: string, userId: string): Promise<void> {
    await this.ledger.resetSpent(guildId, userId, this.period().key);
  }

  /** Writes down what the job will hold (before it is first saved): the period and the estimate. */
  plan(job: Job): void {
    job.reservation = { period: this.period().key, micros: job.estimate.micros, status: "planned" };
  }

  /**
   * Holds the planned amount in one atomic step against the member's budget and jobs in
   * flight, the server's cap and the overall cap; on success the reservation is "held".
   */
  async reserve(job: Job): Promise<ReserveOutcome> {
    if (!job.reservation) this.plan(job);
    const planned = job.reservation!;
    const guildId = job.guildId ?? "dm";
    const [limit, guildCap] = await Promise.all([this.limitFor(guildId, job.userId), this.guildCapFor(guildId)]);
    const outcome = await this.ledger.reserve(
      { jobId: job.id, guildId, userId: job.userId, period: planned.period, micros: planned.micros },
      { userMicros: limit.micros, maxInFlight: this.settings.maxJobsPerUser, guildCapMicros: guildCap.micros, capMicros: this.settings.spendCapMicros, credits: this.creditsOn },
    );
    if (outcome.ok) planned.status = "held";
    return outcome;
  }

  private reservationOf(job: Job): Reservation | null {
    if (!job.reservation) return null;
    return { jobId: job.id, guildId: job.guildId ?? "dm", userId: job.userId, period: job.reservation.period, micros: job.reservation.micros };
  }

  /** Charges `micros` (never more than held) and books fal's bill; false when the member's side was already closed. */
  async settle(job: Job, micros: number, billedMicros: number | null): Promise<boolean> {
    const r = this.reservationOf(job);
    const done = r !== null && (await this.ledger.settle(r, micros, billedMicros));
    if (done) {
      this.log.info({ job: job.id, micros, held: r!.micros, billed: billedMicros }, "budget settled");
      this.metrics?.memberCharged(Math.min(micros, r!.micros));
      this.metrics?.falBilled(billedMicros ?? 0);
      for (const listener of this.settledListeners) listener(job);
    }
    return done;
  }

  /** Releases the whole hold (a planned one too: its hold may have landed unseen) and books fal's bill; idempotent. */
  async refund(job: Job, billedMicros: number | null): Promise<boolean> {
    const r = this.reservationOf(job);
    const done = r !== null && (await this.ledger.refund(r, billedMicros));
    if (done) {
      this.log.info({ job: job.id, micros: r!.micros, billed: billedMicros }, "budget refunded");
      this.metrics?.falBilled(billedMicros ?? 0);
    }
    return done;
  }

  /** Books fal's bill for a job whose member side is closed already; idempotent. */
  async bill(job: Job, billedMicros: number): Promise<boolean> {
    const r = this.reservationOf(job);
    const done = r !== null && (await this.ledger.bill(r, billedMicros));
    if (done) {
      this.log.info({ job: job.id, billed: billedMicros }, "fal's bill booked");
      this.metrics?.falBilled(billedMicros);
    }
    return done;
  }

  async status(guildId: string, userId: string): Promise<BudgetStatus> {
    const p = this.period();
    const [limit, usage, guildCap, books, credit] = await Promise.all([
      this.limitFor(guildId, userId),
      this.ledger.usage(guildId, userId, p.key),
      this.guildCapFor(guildId),
      this.ledger.operatorTotals(p.key, guildId),
      this.creditsOn ? this.ledger.creditBalance(userId) : null,
    ]);
    const left = (cap: number | null, used: number) => (cap === null ? Infinity : Math.max(0, cap - used));
    const candidates: Array<[BudgetStatus["binding"], number]> = [
      ["member", Math.max(0, limit.micros - usage.spentMicros - usage.reservedMicros)],
      ["guild_cap", left(guildCap.micros, givenAway(books.guild))],
      ["spend_cap", left(this.settings.spendCapMicros, givenAway(books.total))],
    ];
    const [binding, remainingMicros] = candidates.reduce((a, b) => (b[1] < a[1] ? b : a));
    return {
      limitMicros: limit.micros,
      source: limit.source,
      spentMicros: usage.spentMicros,
      reservedMicros: usage.reservedMicros,
      remainingMicros,
      binding,
      inFlight: usage.inFlight,
      resetAt: p.end,
      creditMicros: credit,
    };
  }

  operatorBooks(): Promise<OperatorBooks> {
    return this.ledger.operatorBooks(this.period().key);
  }
}
