/**
 * The money ledger. Every reservation, settlement and refund is one atomic step: the check
 * and the hold cannot be split by another request, and settling or refunding twice moves
 * the balance once. All amounts are integer micro-dollars.
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
  /** The deployment's cap for the period, or null for none. */
  capMicros: number | null;
  maxInFlight: number;
}

export type ReserveOutcome =
  | { ok: true }
  | { ok: false; reason: "budget"; remainingMicros: number }
  | { ok: false; reason: "spend_cap"; remainingMicros: number }
  | { ok: false; reason: "in_flight"; inFlight: number }
  /** The job's reservation was already settled or refunded: a job is held once, never again. */
  | { ok: false; reason: "released" };

export interface Usage {
  spentMicros: number;
  reservedMicros: number;
  inFlight: number;
}

export interface Ledger {
  /** Holds `r.micros` for the job; holding a job that is already held answers ok (idempotent). */
  reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome>;
  /** Turns the hold into the actual cost (≤ the hold); false when already settled or refunded. */
  settle(r: Reservation, actualMicros: number): Promise<boolean>;
  /** Releases the whole hold; false when already settled or refunded. */
  refund(r: Reservation): Promise<boolean>;
  usage(guildId: string, userId: string, period: string): Promise<Usage>;
  globalUsage(period: string): Promise<Omit<Usage, "inFlight">>;
  /** Forgets the period's spending (not what is reserved for jobs still running). */
  resetSpent(guildId: string, userId: string, period: string): Promise<void>;
  /** Drops the reservation records of jobs that are gone (pruned after their retention). */
  forget(jobIds: string[]): Promise<void>;
  /** Drops records untouched since `beforeMs` (old periods' totals); returns how many. */
  prune(beforeMs: number): Promise<number>;
}

export const ledgerKeys = {
  user: (period: string, guildId: string, userId: string) => `ledger:user:${period}:${guildId}:${userId}`,
  global: (period: string) => `ledger:global:${period}`,
  inFlight: (guildId: string, userId: string) => `ledger:inflight:${guildId}:${userId}`,
  reservation: (jobId: string) => `ledger:res:${jobId}`,
};
