import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedLedger } from "../src/quota/embedded-ledger.js";
import type { Ledger } from "../src/quota/ledger.js";
import { RedisLedger } from "../src/quota/redis-ledger.js";
import { openStore } from "../src/store/index.js";

const JOB = 1_512_000;

/** reserve + settle pairs per second, `concurrency` members at a time, each with its own budget. */
async function pairsPerSecond(ledger: Ledger, pairs: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    const userId = randomUUID();
    while (next < pairs) {
      next++;
      const r = { jobId: randomUUID(), guildId: "bench", userId, period: "p", micros: JOB };
      const held = await ledger.reserve(r, { userMicros: 1e15, guildCapMicros: null, capMicros: 1e15, maxInFlight: 1_000 });
      if (!held.ok) throw new Error("reservation refused in bench");
      await ledger.settle(r, JOB);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return pairs / ((performance.now() - started) / 1000);
}

export interface LedgerFigures {
  sqlite: number;
  redis: number;
}

export async function benchLedger(pairs: number, redisUrl: string): Promise<LedgerFigures> {
  const sqliteStore = await openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "bench-ledger-")), "bot.sqlite")}`);
  const sqlite = await pairsPerSecond(new EmbeddedLedger(sqliteStore), pairs, 32);
  await sqliteStore.close();
  const redisStore = await openStore(redisUrl, { namespace: `bench-${randomUUID()}` });
  const redis = await pairsPerSecond(new RedisLedger(redisStore.redis!, redisStore.prefix), pairs, 32);
  await redisStore.close();
  return { sqlite, redis };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchLedger(Number(process.argv[2] ?? 5000), process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  console.log(`reserve+settle per second: SQLite ${figures.sqlite.toFixed(0)}, Redis ${figures.redis.toFixed(0)}`);
}
