/**
 * The money ledger, in two accounts. The member's: a job's estimate is held from the member's
 * budget (then from their purchased credits) and then charged (at most the hold) or refunded.
 * The operator's: what fal billed for the job, delivered or not, per server and for the whole
 * deployment; the caps bind on the part the operator gives away (not on what credits pay).
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
  /**
   * Whether the member's purchased credits pay what the budget and the caps leave (credit packs
   * are sold). Credits are then also checked: a balance below zero (a purchase refunded after it
   * was spent) refuses every new job until it is covered.
   */
  credits?: boolean;
}

/** With credits on, a refusal also says the member's credit balance. */
interface CreditNote {
  creditMicros?: number;
}

export type ReserveOutcome =
  /** `creditMicros`: the part held from the member's credits (absent: none). */
  | { ok: true; creditMicros?: number }
  | ({ ok: false; reason: "budget"; remainingMicros: number } & CreditNote)
  | ({ ok: false; reason: "guild_cap"; remainingMicros: number } & CreditNote)
  | ({ ok: false; reason: "spend_cap"; remainingMicros: number } & CreditNote)
  | { ok: false; reason: "in_flight"; inFlight: number }
  /** The member's credits are below zero (a refunded purchase was spent): nothing new until covered. */
  | { ok: false; reason: "credit_owed"; owedMicros: number }
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
  /** The part of `reservedMicros` held from members' credits. */
  creditReservedMicros: number;
  /** The part of `chargedMicros` paid from members' credits. */
  creditChargedMicros: number;
  /**
   * The credit-funded share of `billedMicros` (each bill × the job's credit part of its hold):
   * the caps bound the rest, what the operator gives away.
   */
  creditBilledMicros: number;
}

/** Credits sold through Discord, over the whole deployment. */
export interface CreditBooks {
  /** Credited for purchases in the period (refunded ones included). */
  soldMicros: number;
  /** Taken back in the period for purchases Discord refunded. */
  revokedMicros: number;
  /** Charged from credits in the period (delivered videos). */
  spentMicros: number;
  /** What members hold now, all periods together (held for running jobs included; may be below zero). */
  outstandingMicros: number;
}

/** A purchase to credit: keyed by Discord's entitlement id, so a second credit of it is a no-op. */
export interface CreditGrant {
  entitlementId: string;
  userId: string;
  skuId: string;
  micros: number;
  period: string;
  /** A test-mode purchase (entitlement type 4): credited as a real one, booked apart. */
  test: boolean;
}

/** What crediting a purchase did: credited now, already credited, or refused (it was revoked first). */
export type GrantOutcome = "credited" | "duplicate" | "revoked";

/**
 * The operator's cap usage of a server or of everything: the budget-funded share of fal's bills
 * and of the holds. A job's bill is split as its hold was (a credit-funded video that fails after
 * fal billed it is a loss on a paying member's job, not money given away).
 */
export const givenAway = (t: OperatorTotals): number =>
  Math.max(0, t.billedMicros + t.reservedMicros - t.creditReservedMicros - t.creditBilledMicros);

/** The credit-funded share of a job's bill (rounded as Redis's script rounds it). */
export const creditShare = (billedMicros: number, creditMicros: number, heldMicros: number): number =>
  heldMicros > 0 && creditMicros > 0 ? Math.floor((billedMicros * creditMicros) / heldMicros + 0.5) : 0;

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
  /** One server's books and the whole deployment's, without reading every server's. */
  operatorTotals(period: string, guildId: string): Promise<{ guild: OperatorTotals; total: OperatorTotals }>;
  /** Forgets the period's spending (not what is reserved for jobs still running). */
  resetSpent(guildId: string, userId: string, period: string): Promise<void>;
  /** Drops the reservation records of jobs that are gone (pruned after their retention). */
  forget(jobIds: string[]): Promise<void>;
  /** Drops records untouched since `beforeMs` (old periods' totals); returns how many. */
  prune(beforeMs: number): Promise<number>;
  /** Credits a purchase once per entitlement id (a revoked id stays revoked). */
  grantCredit(g: CreditGrant): Promise<GrantOutcome>;
  /**
   * Takes a credited purchase back (Discord refunded it); the balance may go below zero. An id
   * not credited yet is marked revoked, so a late or repeated create never credits it. True
   * when credit was taken back now.
   */
  revokeCredit(entitlementId: string, userId: string, period: string): Promise<boolean>;
  /** Whether an entitlement was credited (or revoked), and to whom; null when never seen. */
  creditOf(entitlementId: string): Promise<{ state: "credited" | "revoked"; userId: string; micros: number } | null>;
  /** A member's credits now (held ones excluded; may be below zero). */
  creditBalance(userId: string): Promise<number>;
  creditBooks(period: string): Promise<CreditBooks>;
  /** Work before the first step (Redis: lifts expiries an older version set on the books). */
  prepare?(): Promise<void>;
}

export const NO_TOTALS: OperatorTotals = { reservedMicros: 0, billedMicros: 0, chargedMicros: 0, refundedMicros: 0, creditReservedMicros: 0, creditChargedMicros: 0, creditBilledMicros: 0 };

export const ledgerKeys = {
  user: (period: string, guildId: string, userId: string) => `ledger:user:${period}:${guildId}:${userId}`,
  inFlight: (guildId: string, userId: string) => `ledger:inflight:${guildId}:${userId}`,
  reservation: (jobId: string) => `ledger:res:${jobId}`,
  /** The operator's books: one server, every server, and which servers spent in the period. */
  opsGuild: (period: string, guildId: string) => `ledger:ops:${period}:guild:${guildId}`,
  opsTotal: (period: string) => `ledger:ops:${period}:total`,
  opsGuilds: (period: string) => `ledger:ops:${period}:guilds`,
  /** Credits sold and taken back in the period. */
  opsCredits: (period: string) => `ledger:ops:${period}:credits`,
  /** Credits: kept forever (never pruned): a member's balance, each purchase, and the sum of balances. */
  credit: (userId: string) => `ledger:credit:user:${userId}`,
  grant: (entitlementId: string) => `ledger:credit:grant:${entitlementId}`,
  outstanding: () => `ledger:credit:outstanding`,
};
