// A separate bot process's worth of reservations against a shared Redis budget.
import { openStore } from "../../src/store/index.js";
import { RedisLedger } from "../../src/quota/redis-ledger.js";

const [url, namespace, guildId, userId, count, micros, limit] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const store = await openStore(url, { namespace });
const ledger = new RedisLedger(store.redis!, store.prefix);
const outcomes = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    ledger.reserve(
      { jobId: `${process.pid}-${i}`, guildId, userId, period: "p", micros: Number(micros) },
      { userMicros: Number(limit), guildCapMicros: null, capMicros: null, maxInFlight: 1_000_000 },
    ),
  ),
);
process.stdout.write(JSON.stringify({ ok: outcomes.filter((o) => o.ok).length }));
await store.close();
