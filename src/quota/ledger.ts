/**
 * The money ledger, in two accounts. The member's: a job's estimate is held from the member's
 * budget and then charged (at most the hold) or refunded. The operator's: what fal billed for
 * the job, delivered or not, per server and for the whole deployment; the caps bind on it.
 * Every step is atomic (a check and its hold cannot be split by another request) and each
 * side of a job moves once, however often a step is retried. Amounts are integer micro-dollars.
 */
export interface Reservation {
  jobId: string;
  guildId: string;
  userId: string;
  period: string;
  micros: number;
}

export interface ReserveLimits {
  userMicros: number;
  maxInFlight: number;
  /** What one server may spend in the period (fal's bills plus holds), or null for no cap. */
  guildCapMicros: number | null;
  /** The deployment's cap for the period, or null for none. */
  capMicros: number | null;
}

export type ReserveOutcome =
  | { ok: true }
  | { ok: false; reason: "budget"; remainingMicros: number }
  | { ok: false; reason: "guild_cap"; remainingMicros: number }
  | { ok: false; reason: "spend_cap"; remainingMicros: number }
  | { ok: false; reason: "in_flight"; inFlight: number }
  /** The job's reservation was already settled or refunded: a job is held once, never again. */
  | { ok: false; reason: "released" };

export interface Usage {
  spentMicros: number;
  reservedMicros: number;
  inFlight: number;
}

/** The operator's account of a server (or of everything) in a period. */
export interface OperatorTotals {
  /** Held for jobs whose bill is not known yet. */
  reservedMicros: number;
  /** What fal billed, delivered or not. */
  billedMicros: number;
  /** What members were charged. */
  chargedMicros: number;
  /** Holds given back to members (failed, cancelled or refused jobs). */
  refundedMicros: number;
}

export interface OperatorBooks {
  total: OperatorTotals;
  guilds: Array<OperatorTotals & { guildId: string }>;
}

export interface Ledger {
  /** Holds `r.micros` for the job; holding a job that is already held answers ok (idempotent). */
  reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome>;
  /**
   * Charges the member `chargeMicros` (never more than the hold) and books `billedMicros` as
   * fal's bill (default: the charge; null: not known yet, see `bill`). False when the member's
   * side was already closed.
   */
  settle(r: Reservation, chargeMicros: number, billedMicros?: number | null): Promise<boolean>;
  /** Gives the member the whole hold back and books fal's bill (default 0; null: not known yet). */
  refund(r: Reservation, billedMicros?: number | null): Promise<boolean>;
  /** Books fal's bill for a job whose bill was left open; false when it was already booked. */
  bill(r: Reservation, billedMicros: number): Promise<boolean>;
  usage(guildId: string, userId: string, period: string): Promise<Usage>;
  operatorBooks(period: string): Promise<OperatorBooks>;
  /** Forgets the period's spending (not what is reserved for jobs still running). */
  resetSpent(guildId: string, userId: string, period: string): Promise<void>;
  /** Drops the reservation records of jobs that are gone (pruned after their retention). */
  forget(jobIds: string[]): Promise<void>;
  /** Drops records untouched since `beforeMs` (old periods' totals); returns how many. */
  prune(beforeMs: number): Promise<number>;
  /** Work before the first step (Redis: lifts expiries an older version set on the books). */
  prepare?(): Promise<void>;
}

export const NO_TOTALS: OperatorTotals = { reservedMicros: 0, billedMicros: 0, chargedMicros: 0, refundedMicros: 0 };

export const ledgerKeys = {
  user: (period: string, guildId: string, userId: string) => `ledger:user:${period}:${guildId}:${userId}`,
  inFlight: (guildId: string, userId: string) => `ledger:inflight:${guildId}:${userId}`,
  reservation: (jobId: string) => `ledger:res:${jobId}`,
  /** The operator's books: one server, every server, and which servers spent in the period. */
  opsGuild: (period: string, guildId: string) => `ledger:ops:${period}:guild:${guildId}`,
  opsTotal: (period: string) => `ledger:ops:${period}:total`,
  opsGuilds: (period: string) => `ledger:ops:${period}:guilds`,
};
