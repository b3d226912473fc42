import { isFinal, type Job } from "../../src/jobs/job.js";
import { JobRepository } from "../../src/jobs/repository.js";
import { EmbeddedLedger } from "../../src/quota/embedded-ledger.js";
import { givenAway, ledgerKeys as K, type Ledger } from "../../src/quota/ledger.js";
import { checkCredits } from "./credit-invariants.js";
import { periodOf } from "../../src/quota/period.js";
import { RedisLedger } from "../../src/quota/redis-ledger.js";
import { buildSeedanceInput } from "../../src/seedance/input.js";
import { billedMicros, unitPriceMicros, tierOf } from "../../src/seedance/pricing.js";
import { openStore, type Store } from "../../src/store/index.js";
import type { FakeDiscord, FakeUser } from "../fakes/discord/index.js";
import type { FakeFal } from "../fakes/fal/index.js";

/** One broken promise of the books, naming the job (and fal's request) it was found on. */
export interface Violation {
  invariant: string;
  job?: string;
  detail: string;
}

export interface Findings {
  jobs: Job[];
  violations: Violation[];
  /** Invariant → how many times it was checked (a check that ran zero times proves nothing). */
  checked: Map<string, number>;
}

interface ResRecord {
  micros: number;
  state: string;
  actual?: number;
  ops?: string;
  billed?: number;
  /** The part held from the member's credits. */
  credit?: number;
}

/** The signature of a request fal received: one per job (a take has its own seed). */
function signature(input: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(input).sort().map((k) => [k, input[k]]));
}

async function reservationOf(store: Store, jobId: string): Promise<ResRecord | undefined> {
  if (store.redis) {
    const h = await store.redis.hGetAll(`${store.prefix}:${K.reservation(jobId)}`);
    if (!h.micros) return undefined;
    return { micros: Number(h.micros), state: h.state ?? "", actual: h.actual === undefined ? undefined : Number(h.actual), ops: h.ops, billed: h.billed === undefined ? undefined : Number(h.billed), credit: Number(h.credit ?? 0) };
  }
  const rows = await store.sql!(`SELECT value FROM ${store.prefix}_ledger WHERE key = ?`, K.reservation(jobId));
  return rows[0] ? (JSON.parse(String(rows[0].value)) as ResRecord) : undefined;
}

export interface CheckInput {
  storeUrl: string;
  fal: FakeFal;
  discord: FakeDiscord;
  members: FakeUser[];
  guildIds: string[];
  falModel: string;
  spendCapMicros: number;
  peakSpendMicros: number;
  /** JOB_LEASE_SECONDS, in ms: a fal slot not renewed for this long has lapsed. */
  leaseMs: number;
  /** The packs sold, and the members who pay with them. */
  packs: Array<{ skuId: string; micros: number }>;
  buyers: FakeUser[];
}

/**
 * The promises, checked on what the run left: the store (jobs, ledger), fal's own record of what
 * it received and billed, and every message Discord has (deleted ones too).
 */
export async function checkInvariants(c: CheckInput): Promise<Findings> {
  const store = await openStore(c.storeUrl, { namespace: c.storeUrl.startsWith("redis") ? "soak" : undefined });
  const violations: Violation[] = [];
  const checked = new Map<string, number>();
  const check = (invariant: string, ok: boolean, job: string | undefined, detail: () => string) => {
    checked.set(invariant, (checked.get(invariant) ?? 0) + 1);
    if (!ok) violations.push({ invariant, ...(job ? { job } : {}), detail: detail() });
  };
  try {
    const repo = new JobRepository(store);
    const ledger: Ledger = store.redis ? new RedisLedger(store.redis, store.prefix) : new EmbeddedLedger(store);
    const jobs: Job[] = [];
    for (const guildId of c.guildIds) for (const m of c.members) jobs.push(...(await repo.ofMember(guildId, m.id, 0, 100_000)).jobs);
    const period = periodOf("day", Date.now()).key;
    const books = await ledger.operatorBooks(period);
    const price = unitPriceMicros(tierOf(c.falModel));
    const falBill = (requestId: string) => {
      const units = c.fal.billedUnits(requestId);
      return units === null ? null : billedMicros(units, price);
    };

    // every job ended and let go of its hold, exactly once
    let billedSum = 0;
    let chargedSum = 0;
    let maxEstimate = 0;
    const reservations = new Map<string, ResRecord | undefined>();
    for (const job of jobs) {
      maxEstimate = Math.max(maxEstimate, job.estimate.micros);
      check("every job reached a final state", isFinal(job) && job.falPending !== true, job.id, () => `state ${job.state}${job.falPending ? ", fal still pending" : ""}`);
      check("every job released its hold", job.reservation?.status === "closed", job.id, () => `reservation ${JSON.stringify(job.reservation)}`);
      const res = await reservationOf(store, job.id);
      reservations.set(job.id, res);
      check("every job released its hold", res !== undefined && (res.state === "settled" || res.state === "refunded") && res.ops === "billed", job.id, () => `ledger record ${JSON.stringify(res)}`);
      if (!res) continue;
      billedSum += res.billed ?? 0;
      chargedSum += res.actual ?? 0;
      check("no member was charged more than the hold", (res.actual ?? 0) <= res.micros && (job.chargeMicros ?? 0) <= (job.reservation?.micros ?? 0), job.id, () => `charged ${res.actual} of a ${res.micros} hold`);
      check("a member is charged only for a delivered video", (res.state === "settled") === (job.state === "delivered") && (job.state === "delivered" || (res.actual ?? 0) === 0), job.id, () => `${job.state}, ledger ${res.state}, charged ${res.actual}`);
    }
    check("the books add up", books.total.billedMicros === billedSum && books.total.chargedMicros === chargedSum && books.total.reservedMicros === 0, undefined, () => `books ${JSON.stringify(books.total)}, jobs billed ${billedSum}, charged ${chargedSum}`);
    for (const guildId of c.guildIds) {
      for (const m of c.members) {
        const u = await ledger.usage(guildId, m.id, period);
        check("every job released its hold", u.reservedMicros === 0 && u.inFlight === 0, undefined, () => `member ${m.id} in ${guildId}: ${JSON.stringify(u)}`);
      }
    }
    check("every job released its hold", (await repo.activeIds()).length === 0, undefined, () => `jobs still active: ${(store as Store).kind}`);
    if (store.redis) {
      // an entry is held while renewed within the lease; a killed process's entries lapse (pruned by the next taker)
      const [seconds] = (await store.redis.sendCommand(["TIME"])) as [string, string];
      const held = await store.redis.zRangeByScoreWithScores(`${store.prefix}:falslots`, Number(seconds) * 1000 - c.leaseMs, "+inf");
      check("every job released its fal slot", held.length === 0, undefined, () => `fal slots still held: ${held.map((h) => h.value).join(", ")}`);
    }

    // every render fal billed is on the books, once; no request reached fal twice
    const bySignature = new Map<string, Job>();
    for (const job of jobs) {
      if (!/^https?:/.test(job.params.imageUrl) || job.params.imageUrl.includes("/attachments/")) continue; // never reached fal's storage
      try {
        bySignature.set(signature(buildSeedanceInput(job.params, job.userId) as Record<string, unknown>), job);
      } catch {
        // a record that never could be sent
      }
    }
    const requestsOf = new Map<string, string[]>();
    for (const [requestId, falJob] of c.fal.jobs) {
      const job = bySignature.get(signature(falJob.input as Record<string, unknown>));
      const bill = falBill(requestId);
      check("every render fal billed is on the books", job !== undefined || bill === 0, job?.id, () => `fal request ${requestId} (billed ${bill}) belongs to no job`);
      check("every request fal received has ended", bill !== null, job?.id, () => `fal request ${requestId} never ended`);
      if (!job) continue;
      requestsOf.set(job.id, [...(requestsOf.get(job.id) ?? []), requestId]);
      const booked = reservations.get(job.id)?.billed ?? 0;
      const source = job.falCost?.source;
      if (bill === null) continue;
      // fal's units are exact; a bill measured from the video is rounded up (fal's rounding of a
      // fractional token is not published), so it may be a hair above, never below
      const ok = source === "billed_units" ? booked === bill : source === "video" ? booked >= bill && booked - bill < 100 : booked >= bill;
      check("every render fal billed is on the books", ok, job.id, () => `fal request ${requestId} billed ${bill}, books have ${booked} (${source})`);
    }
    for (const [jobId, requests] of requestsOf) check("no request was submitted twice", requests.length === 1, jobId, () => `fal received it ${requests.length} times: ${requests.join(", ")}`);

    // every delivered video was posted once
    const posts = c.discord.allMessages().filter((m) => m.attachments.some((a) => /^seedance-[0-9a-f]{8}\.mp4$/.test(a.filename)) || /your video is ready/.test(m.text));
    for (const job of jobs) {
      const file = `seedance-${job.id.slice(0, 8)}.mp4`;
      const mine = posts.filter((m) => m.attachments.some((a) => a.filename === file) || (job.videoUrl !== null && m.attachments.length === 0 && m.text.includes(job.videoUrl)));
      check("every delivered video was posted once", mine.length === (job.state === "delivered" ? 1 : 0), job.id, () => `${job.state}, posted ${mine.length} times`);
    }

    // every member's card shows how their job ended (a card left on "Rendering…" is a job that never ends, to its member)
    const marks: Record<string, string> = { delivered: "✅", failed: "❌", cancelled: "🛑" };
    for (const job of jobs) {
      if (!job.progressMessageId) continue;
      const card = c.discord.message(job.progressMessageId);
      if (!card || card.deleted) continue;
      check("every card shows how its job ended", card.text.includes(marks[job.state] ?? "?"), job.id, () => `${job.state}, card ${card.id} says: ${card.text.replace(/\n/g, " | ").slice(0, 120)}`);
    }

    // the caps bound: never past the cap by more than one job's estimate
    const slack = maxEstimate + 10_000; // /operator status shows cents
    check("the caps were never exceeded by more than one job's estimate", c.peakSpendMicros <= c.spendCapMicros + slack, undefined, () => `peak ${c.peakSpendMicros} over a cap of ${c.spendCapMicros}`);
    // the caps bind what the operator gives away: what credits paid is the members' own
    check("the caps were never exceeded by more than one job's estimate", givenAway(books.total) <= c.spendCapMicros + maxEstimate, undefined, () => `given away ${givenAway(books.total)} (billed ${books.total.billedMicros}) over a cap of ${c.spendCapMicros}`);
    await checkCredits({ ledger, discord: c.discord, packs: c.packs, buyers: c.buyers, jobs, reservations, period }, check);
    return { jobs, violations, checked };
  } finally {
    await store.close();
  }
}
