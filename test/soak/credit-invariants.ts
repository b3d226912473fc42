import type { Job } from "../../src/jobs/job.js";
import type { Ledger } from "../../src/quota/ledger.js";
import type { FakeDiscord, FakeUser } from "../fakes/discord/index.js";

/** A job's ledger record, as far as credits go. */
export interface CreditRecord {
  micros: number;
  actual?: number;
  credit?: number;
}

export interface CreditCheckInput {
  ledger: Ledger;
  discord: FakeDiscord;
  packs: Array<{ skuId: string; micros: number }>;
  buyers: FakeUser[];
  jobs: Job[];
  reservations: Map<string, CreditRecord | undefined>;
  period: string;
}

type Check = (invariant: string, ok: boolean, job: string | undefined, detail: () => string) => void;

/**
 * The promises of credit packs, on what the run left: every purchase credited exactly once and
 * consumed (or, refunded, taken back), and each buyer's balance equal to what they bought less
 * what their delivered videos were charged from credits; the books' credit totals agree.
 */
export async function checkCredits(c: CreditCheckInput, check: Check): Promise<void> {
  const packOf = new Map(c.packs.map((p) => [p.skuId, p.micros]));
  const bought = new Map<string, number>();
  let sold = 0;
  let revoked = 0;
  for (const e of c.discord.entitlements().filter((x) => packOf.has(x.sku_id))) {
    const rec = await c.ledger.creditOf(e.id);
    const micros = packOf.get(e.sku_id)!;
    if (e.deleted) {
      check("every purchase was credited exactly once", rec === null || rec.state === "revoked", undefined, () => `refunded purchase ${e.id}: ${JSON.stringify(rec)}`);
      if (rec?.state === "revoked" && rec.micros > 0) {
        sold += rec.micros;
        revoked += rec.micros;
      }
      continue;
    }
    check("every purchase was credited exactly once", rec?.state === "credited" && rec.micros === micros && rec.userId === e.user_id, undefined, () => `purchase ${e.id} of ${micros}: ${JSON.stringify(rec)}`);
    check("every purchase was consumed after it was credited", e.consumed, undefined, () => `purchase ${e.id} left unconsumed`);
    sold += micros;
    bought.set(e.user_id!, (bought.get(e.user_id!) ?? 0) + micros);
  }
  let held = 0;
  for (const buyer of c.buyers) {
    let spent = 0;
    for (const job of c.jobs.filter((j) => j.userId === buyer.id)) {
      const res = c.reservations.get(job.id);
      if (!res) continue;
      // their budget is $0: a hold is credits only, or nothing held at all (ended before its hold)
      check("a member without budget pays with credits only", (res.credit ?? 0) === res.micros || res.micros === 0, job.id, () => `hold ${res.micros}, from credits ${res.credit ?? 0}`);
      spent += Math.max(0, (res.actual ?? 0) - (res.micros - (res.credit ?? 0)));
    }
    const balance = await c.ledger.creditBalance(buyer.id);
    held += balance;
    check("every member's credits add up", balance === (bought.get(buyer.id) ?? 0) - spent, undefined, () => `member ${buyer.id}: balance ${balance}, bought ${bought.get(buyer.id) ?? 0}, charged from credits ${spent}`);
  }
  const books = await c.ledger.creditBooks(c.period);
  check("every member's credits add up", books.outstandingMicros === held && books.soldMicros === sold && books.revokedMicros === revoked, undefined, () => `credit books ${JSON.stringify(books)}; members hold ${held}, sold ${sold}, taken back ${revoked}`);
}
