import type { ReserveOutcome } from "./ledger.js";

/** What one hold is checked against, in micro-dollars (null: no such cap). */
export interface HoldCheck {
  micros: number;
  /** The member's budget left in the period. */
  userLeft: number;
  /** The server's cap left (what the operator gives away), or null for no cap. */
  guildLeft: number | null;
  /** The deployment's cap left, or null for no cap. */
  capLeft: number | null;
  /** Credits pay what the budget and the caps leave (packs are sold). */
  credits: boolean;
  /** The member's credits now (may be below zero). */
  balance: number;
}

export type HoldSplit = { ok: true; free: number; credit: number } | Exclude<ReserveOutcome, { ok: true }>;

/**
 * How a job is paid: the period's budget first, as far as the budget and both caps allow (the
 * caps bound what the operator gives away), then credits, which no cap binds. Refused when
 * credits cannot pay the rest; the reason is the first limit that fell short, as without credits.
 * Redis's reserve script repeats this logic in Lua; the ledger tests run both.
 */
export function splitHold(c: HoldCheck): HoldSplit {
  if (c.credits && c.balance < 0) return { ok: false, reason: "credit_owed", owedMicros: -c.balance };
  const lefts = [c.userLeft, c.guildLeft ?? Infinity, c.capLeft ?? Infinity].map((v) => Math.max(0, v));
  const free = Math.min(c.micros, ...lefts);
  const credit = c.micros - free;
  if (credit === 0 || (c.credits && credit <= c.balance)) return { ok: true, free, credit };
  const note = c.credits ? { creditMicros: c.balance } : {};
  if (c.micros > c.userLeft) return { ok: false, reason: "budget", remainingMicros: Math.max(0, c.userLeft), ...note };
  if (c.guildLeft !== null && c.micros > c.guildLeft) return { ok: false, reason: "guild_cap", remainingMicros: Math.max(0, c.guildLeft), ...note };
  return { ok: false, reason: "spend_cap", remainingMicros: Math.max(0, c.capLeft ?? 0), ...note };
}
