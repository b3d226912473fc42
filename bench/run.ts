import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { benchLedger } from "./ledger.js";
import { deepQueue, type QueueFigures } from "./queue.js";
import { benchScale } from "./scale.js";
import { benchStorage } from "./storage.js";
import { buildBot } from "../test/support/global-setup.js";
import { ackLatency, delivery, discordCalls, memory, oneJobMemory, type OneJobRun } from "./scenarios.js";

/** Full sizes as the targets state them, and a smoke size that only proves the bench still runs. */
export const SIZES = {
  full: { ack: 200, ackRounds: 3, jobs: 100, jobSeconds: 180, scale: 6, inFlight: 1000, holdMs: 20_000, trials: 15, videoBytes: 8 * 1024 * 1024, ledgerPairs: 20_000, storageJobs: 3_000, scaleProcesses: [1, 2, 4], scaleJobs: 200, scaleRenderMs: 3_000, queueDepths: [1_000, 10_000], queueSlots: 10, queueMembers: 500, queueRenderMs: 30_000, queueHoldMs: 30_000 },
  smoke: { ack: 5, ackRounds: 1, jobs: 3, jobSeconds: 30, scale: 10, inFlight: 20, holdMs: 4_000, trials: 1, videoBytes: 256 * 1024, ledgerPairs: 300, storageJobs: 100, scaleProcesses: [1, 2], scaleJobs: 4, scaleRenderMs: 300, queueDepths: [40], queueSlots: 2, queueMembers: 8, queueRenderMs: 1_000, queueHoldMs: 4_000 },
};

export type BenchSize = (typeof SIZES)["full"];

export async function runBench(size: BenchSize, redisUrl: string) {
  const ack = await ackLatency(size.ack, size.ackRounds);
  const calls = await discordCalls(size.jobs, size.jobSeconds, size.scale);
  const mem = await memory(size.inFlight, size.holdMs);
  const oneJob = await oneJobMemory(size.videoBytes);
  const deliver = await delivery(size.trials, size.videoBytes);
  const ledger = await benchLedger(size.ledgerPairs, redisUrl);
  const storage = await benchStorage(size.storageJobs, redisUrl);
  const scale = await benchScale(size.scaleProcesses, size.scaleJobs, size.scaleRenderMs, redisUrl);
  const queue: QueueFigures[] = [];
  for (const depth of size.queueDepths) {
    // the heap snapshot only at the deepest queue: it is where the memory per job shows
    const snapshot = depth === Math.max(...size.queueDepths);
    queue.push(await deepQueue(depth, { slots: size.queueSlots, members: size.queueMembers, renderMs: size.queueRenderMs, holdMs: size.queueHoldMs, snapshot }));
  }
  return { ack, calls, mem, oneJob, deliver, ledger, storage, scale, queue };
}

type Results = Awaited<ReturnType<typeof runBench>>;

const ms = (v: number) => `${v.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? "✅ met" : "❌ missed");
const count = (v: number) => v.toLocaleString("en-US");
const queueOk = (q: QueueFigures) => q.peakRssMb < 300 && q.loopP99Ms < 20 && q.rateLimited <= 0.01 * q.discordRequests && q.cardsShowingPlace > 0;
const sec = (v: number) => `${(v / 1000).toFixed(1)} s`;
const mib = (run: OneJobRun) => `${run.mib.toFixed(0)} MiB`;
const parts = (run: OneJobRun) =>
  Object.entries(run.parts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, v]) => `${name} ${v.toFixed(0)}`)
    .join(" + ");

export function report(r: Results, size: BenchSize): string {
  const ackOk = r.ack.bot.p99 <= 1.25 * r.ack.bare.p99 && r.ack.bot.p99 < 1000;
  const rows = [
    ["figure", "measured", "target", ""],
    ["---", "---", "---", "---"],
    [
      `acknowledgement latency, ${size.ack} /video at once (median of ${size.ackRounds} bursts)`,
      `bot p50 ${ms(r.ack.bot.p50)}, p99 ${ms(r.ack.bot.p99)}, max ${ms(r.ack.bot.max)}; bare deferReply() bot p50 ${ms(r.ack.bare.p50)}, p99 ${ms(r.ack.bare.p99)} (ratio ${(r.ack.bot.p99 / r.ack.bare.p99).toFixed(2)})`,
      "p99 ≤ 1.25× bare, < 1 s",
      verdict(ackOk),
    ],
    [
      `Discord REST calls per job, ${r.calls.jobs} concurrent ${r.calls.nominalJobSeconds / 60}-minute jobs in one channel`,
      `${r.calls.restPerJob.toFixed(2)} (${Object.entries(r.calls.byKind)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(", ")}); ${r.calls.rateLimited} responses 429`,
      "≤ 15, 0 × 429",
      verdict(r.calls.restPerJob <= 15 && r.calls.rateLimited === 0),
    ],
    ["fal status requests per job-minute", r.calls.falStatusPerJobMinute.toFixed(2), "≤ 30", verdict(r.calls.falStatusPerJobMinute <= 30)],
    [
      `memory, ${r.mem.jobs} jobs in flight`,
      `peak RSS ${r.mem.peakRssMb.toFixed(0)} MB; event-loop delay p99 ${ms(r.mem.loopP99Ms)} (max ${ms(r.mem.loopMaxMs)}) while in flight, p99 ${ms(r.mem.intakeLoopP99Ms)} during the intake burst`,
      "RSS < 250 MB, p99 < 20 ms",
      verdict(r.mem.peakRssMb < 250 && r.mem.loopP99Ms < 20),
    ],
    [
      `memory of one job, /video end to end with a ${(r.oneJob.videoBytes / 1048576).toFixed(1)} MB video: peak summed RSS of what was started`,
      [
        `\`npm start\` ${mib(r.oneJob.npmStart)} (${parts(r.oneJob.npmStart)}), ready in ${sec(r.oneJob.npmStart.readyMs)}`,
        `compiled bot alone ${mib(r.oneJob.compiled)} (${sec(r.oneJob.compiled.readyMs)})`,
        `bot under tsx alone ${mib(r.oneJob.tsx)} (${sec(r.oneJob.tsx.readyMs)})`,
        `old \`npm start\` under tsx ${mib(r.oneJob.oldNpmStart)} (${parts(r.oneJob.oldNpmStart)}; ${sec(r.oneJob.oldNpmStart.readyMs)})`,
      ].join("; "),
      "`npm start` below the old one",
      verdict(r.oneJob.npmStart.mib < r.oneJob.oldNpmStart.mib),
    ],
    [
      `delivery overhead, ${(r.deliver.bytes / 1048576).toFixed(1)} MB video`,
      `fal COMPLETED → posted ${ms(r.deliver.botMs)}; plain download + upload ${ms(r.deliver.plainMs)} (ratio ${r.deliver.ratio.toFixed(2)})`,
      "≤ 1.5×",
      verdict(r.deliver.ratio <= 1.5),
    ],
    [
      "budget operations (reserve + settle)",
      `SQLite ${r.ledger.sqlite.toFixed(0)}/s, Redis ${r.ledger.redis.toFixed(0)}/s`,
      "≥ 2,000/s SQLite, ≥ 5,000/s Redis",
      verdict(r.ledger.sqlite >= 2000 && r.ledger.redis >= 5000),
    ],
    [
      `store per job (record, message links, index, ledger), measured on ${size.storageJobs} delivered jobs; a year at 1,000 jobs a day`,
      `SQLite ${(r.storage.sqliteBytesPerJob / 1024).toFixed(2)} KiB/job, Redis ${(r.storage.redisBytesPerJob / 1024).toFixed(2)} KiB/job; ` +
        `with ${r.storage.retentionDays}-day retention the store levels off at about ${r.storage.yearSqliteMb.toFixed(0)} MB (SQLite file) or ` +
        `${r.storage.yearRedisMb.toFixed(0)} MB (Redis memory), against ${r.storage.yearSqliteUnprunedMb.toFixed(0)} MB a year unpruned; ` +
        `a sweep after ${r.storage.retentionDays + 10} simulated days kept ${r.storage.retainedAfterSweep} of the last ${r.storage.expectedRetained} jobs`,
      "bounded by the retention",
      verdict(r.storage.retainedAfterSweep === r.storage.expectedRetained),
    ],
    [
      `jobs delivered per minute, ${size.scaleJobs} /video at once over 1 to ${Math.max(...size.scaleProcesses)} processes (a shard each) on one Redis, each render ${size.scaleRenderMs / 1000} s at the fake fal`,
      r.scale.map((s) => `${s.processes} process${s.processes > 1 ? "es" : ""}: ${s.jobsPerMinute.toFixed(0)}/min (${s.seconds.toFixed(1)} s; CPU s per process ${s.cpuSeconds.map((c) => c.toFixed(1)).join(", ")})`).join("; "),
      "the work spreads over the processes",
      verdict(r.scale.every((s) => s.cpuSeconds.every((c) => c > 0))),
    ],
    ...r.queue.map((q) => [
      `deep queue: ${count(q.waiting)} jobs waiting in one process for ${size.queueSlots} fal slots (${q.members} members, ${q.guilds} servers; renders of ${size.queueRenderMs / 1000} s, so the queue moves)`,
      [
        `peak RSS ${q.peakRssMb.toFixed(0)} MB (${q.baselineRssMb.toFixed(0)} MB before; ${q.kibPerWaitingJob.toFixed(1)} KiB RSS and ${q.heapKibPerWaitingJob.toFixed(1)} KiB of heap per waiting job)`,
        `event-loop delay p99 ${ms(q.loopP99Ms)} (max ${ms(q.loopMaxMs)}) over ${size.queueHoldMs / 1000} s of the moving queue, p99 ${ms(q.intakeLoopP99Ms)} during the intake`,
        `Discord: ${count(q.discordRequests)} requests, ${q.rateLimited} answered 429 (${((100 * q.rateLimited) / Math.max(1, q.discordRequests)).toFixed(2)}%)`,
        `${count(q.cardsShowingPlace)} waiting cards show their place (${q.cardsExact} exactly); ${q.editsPerGrant.toFixed(1)} card edits per job handed a slot`,
        `intake ${(q.waiting / q.intakeSeconds).toFixed(1)} jobs/s (${Object.entries(q.intakeCallsPerJob)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(", ")} per job)`,
      ].join("; "),
      "RSS < 300 MB, p99 < 20 ms, 429s ≤ 1%",
      verdict(queueOk(q)),
    ]),
  ];
  const deepest = r.queue.at(-1);
  const heap = deepest?.heap.length
    ? [
        ``,
        `Where the heap goes: what the live heap gained from before the first command to ${count(deepest.waiting)} jobs waiting, ` +
          `${deepest.liveHeapKibPerWaitingJob?.toFixed(1)} KiB per waiting job in all (two heap snapshots, summed by constructor, or by V8's kind of node in brackets):`,
        ``,
        `| held by | MiB | nodes |`,
        `| --- | --- | --- |`,
        ...deepest.heap.map((h) => `| ${h.name} | ${h.mib.toFixed(1)} | ${count(h.count)} |`),
      ]
    : [];
  return [
    `# Benchmark results`,
    ``,
    `${new Date().toISOString().slice(0, 10)} · ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}) · Node ${process.version}`,
    ``,
    `The bot runs as its own process through the same entry as \`npm start\`, against the loopback fakes in the`,
    `benchmark process. The job scenario compresses time ${size.scale}×: the bot's poll and edit intervals, the fake`,
    `model's queue and render times and the fake Discord's rate-limit windows are all divided by ${size.scale}, so the`,
    `numbers of calls are those of real time; per-minute figures are per nominal (uncompressed) minute.`,
    ``,
    `"Memory of one job" samples the VmRSS of every process in the started tree every 50 ms, from the spawn to`,
    `the posted video, and keeps the highest sum (MiB; pages shared between processes count in each, as RSS`,
    `does). \`npm start\` is run in the repository as a user runs it (npm, sh, its prestart's no-op build check,`,
    `then \`node --max-old-space-size=256 --max-semi-space-size=4 dist/src/main.js\`); "compiled bot alone" is that node command by itself;`,
    `"bot under tsx" is the command \`npm start\` ran before, \`node --max-old-space-size=256 --import tsx src/main.ts\`,`,
    `by itself and under npm ("old \`npm start\`"). "Ready" is the time from the spawn until the bot is connected with its`,
    `commands registered.`,
    ``,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    ...heap,
    ``,
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const smoke = process.argv.includes("--smoke");
  const size = smoke ? SIZES.smoke : SIZES.full;
  buildBot(); // dist/, which every scenario's bot runs, as `npm start`'s prestart builds it
  const results = await runBench(size, process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const text = report(results, size);
  console.log(text);
  if (!smoke) writeFileSync(new URL("./results.md", import.meta.url), text);
  process.exit(0);
}
