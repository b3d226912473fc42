import type { Store } from "../store/index.js";
import { ledgerKeys as K, type Ledger, type Reservation, type ReserveLimits, type ReserveOutcome, type Usage } from "./ledger.js";

interface Totals {
  spent: number;
  reserved: number;
}
interface Held {
  micros: number;
  state: "held" | "settled" | "refunded";
  actual?: number;
}

const ZERO: Totals = { spent: 0, reserved: 0 };

/**
 * The ledger on the embedded store (SQLite or memory): one process owns the file, so the
 * steps are made atomic by running them one at a time under an in-process lock.
 */
export class EmbeddedLedger implements Ledger {
  constructor(private readonly store: Store) {}

  private step<T>(work: () => Promise<T>): Promise<T> {
    return this.store.exclusive("ledger", work);
  }

  private async totals(key: string): Promise<Totals> {
    return (await this.store.get<Totals>(key)) ?? { ...ZERO };
  }

  reserve(r: Reservation, limits: ReserveLimits): Promise<ReserveOutcome> {
    return this.step(async () => {
      if (await this.store.get<Held>(K.reservation(r.jobId))) return { ok: true };
      const userKey = K.user(r.period, r.guildId, r.userId);
      const globalKey = K.global(r.period);
      const [user, global, inFlight] = await Promise.all([
        this.totals(userKey),
        this.totals(globalKey),
        this.store.get<number>(K.inFlight(r.guildId, r.userId)).then((n) => n ?? 0),
      ]);
      if (inFlight >= limits.maxInFlight) return { ok: false, reason: "in_flight", inFlight };
      const userLeft = limits.userMicros - user.spent - user.reserved;
      if (r.micros > userLeft) return { ok: false, reason: "budget", remainingMicros: Math.max(0, userLeft) };
      if (limits.capMicros !== null) {
        const capLeft = limits.capMicros - global.spent - global.reserved;
        if (r.micros > capLeft) return { ok: false, reason: "spend_cap", remainingMicros: Math.max(0, capLeft) };
      }
      await Promise.all([
        this.store.set(K.reservation(r.jobId), { micros: r.micros, state: "held" } satisfies Held),
        this.store.set(userKey, { spent: user.spent, reserved: user.reserved + r.micros }),
        this.store.set(globalKey, { spent: global.spent, reserved: global.reserved + r.micros }),
        this.store.set(K.inFlight(r.guildId, r.userId), inFlight + 1),
      ]);
      return { ok: true };
    });
  }

  private release(r: Reservation, actual: number, state: "settled" | "refunded"): Promise<boolean> {
    return this.step(async () => {
      const held = await this.store.get<Held>(K.reservation(r.jobId));
      if (!held || held.state !== "held") return false;
      const charge = Math.min(actual, held.micros);
      const userKey = K.user(r.period, r.guildId, r.userId);
      const globalKey = K.global(r.period);
      const [user, global, inFlight] = await Promise.all([
        this.totals(userKey),
        this.totals(globalKey),
        this.store.get<number>(K.inFlight(r.guildId, r.userId)).then((n) => n ?? 0),
      ]);
      await Promise.all([
        this.store.set(K.reservation(r.jobId), { ...held, state, actual: charge } satisfies Held),
        this.store.set(userKey, { spent: user.spent + charge, reserved: Math.max(0, user.reserved - held.micros) }),
        this.store.set(globalKey, { spent: global.spent + charge, reserved: Math.max(0, global.reserved - held.micros) }),
        this.store.set(K.inFlight(r.guildId, r.userId), Math.max(0, inFlight - 1)),
      ]);
      return true;
    });
  }

  settle(r: Reservation, actualMicros: number): Promise<boolean> {
    return this.release(r, actualMicros, "settled");
  }

  refund(r: Reservation): Promise<boolean> {
    return this.release(r, 0, "refunded");
  }

  async usage(guildId: string, userId: string, period: string): Promise<Usage> {
    const [t, inFlight] = await Promise.all([this.totals(K.user(period, guildId, userId)), this.store.get<number>(K.inFlight(guildId, userId))]);
    return { spentMicros: t.spent, reservedMicros: t.reserved, inFlight: inFlight ?? 0 };
  }

  async globalUsage(period: string): Promise<Omit<Usage, "inFlight">> {
    const t = await this.totals(K.global(period));
    return { spentMicros: t.spent, reservedMicros: t.reserved };
  }

  resetSpent(guildId: string, userId: string, period: string): Promise<void> {
    return this.step(async () => {
      const key = K.user(period, guildId, userId);
      const t = await this.totals(key);
      await this.store.set(key, { spent: 0, reserved: t.reserved });
    });
  }
}
