import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeDiscord, type FakeDiscord } from "../test/fakes/discord/index.js";
import { startFakeFal } from "../test/fakes/fal/index.js";
import { BotProcess, fakeEnv } from "../test/support/child.js";
import { FAL_KEY } from "../test/support/harness.js";
import { members, sendVideo } from "./scenarios.js";

export interface QueueFigures {
  waiting: number;
  guilds: number;
  members: number;
  intakeSeconds: number;
  /** Discord requests per job from the first command until every job had its card, by kind. */
  intakeCallsPerJob: Record<string, number>;
  baselineRssMb: number;
  peakRssMb: number;
  kibPerWaitingJob: number;
  heapKibPerWaitingJob: number;
  /** The live heap's growth over the two snapshots (garbage excluded), per waiting job. */
  liveHeapKibPerWaitingJob?: number;
  loopP99Ms: number;
  loopMaxMs: number;
  intakeLoopP99Ms: number;
  /** From the first command to the end of the hold. */
  discordRequests: number;
  rateLimited: number;
  cardsShowingPlace: number;
  cardsExact: number;
  granted: number;
  lastStats?: unknown;
  /** Private answers to the commands (none expected: every job should wait), by text with numbers as N. */
  refusals: Record<string, number>;
  editsPerGrant: number;
  /** What the heap gained from before the intake to the end of the hold, by constructor (or V8's kind of node), in MiB, largest first. */
  heap: Array<{ name: string; mib: number; count: number }>;
}

const GUILDS = 4;
const STATS_MS = 2_000;

interface Stats {
  rssMb: number;
  heapMb: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

function statsLines(output: string): Stats[] {
  return output
    .split("\n")
    .filter((l) => l.includes('"msg":"stats"'))
    .map((l) => JSON.parse(l) as Stats);
}

function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * `/video` by `count` members spread over the guilds (one shard each), 50 at a time, as fast as
 * the bot takes them: a new batch goes when fewer than `ahead` commands are still without a card
 * (members do not wait on each other; a real burst beyond the intake's queue would be refused).
 */
async function dispatch(discord: FakeDiscord, n: number, count: number, ahead: number): Promise<string[]> {
  const users = members(discord, count);
  const send = (i: number) => sendVideo(discord, users[i % count]!, i, i % GUILDS);
  const ids: string[] = [];
  // answered: its card (past the deferral's "thinking…") or a private refusal, once seen (a
  // delivered job's card may go away again)
  const answered = new Set<string>();
  const carded = () => {
    for (const m of discord.messages()) if (m.interactionId && (m.text.includes("🎬") || (m.flags ?? 0) & 64)) answered.add(m.interactionId);
    return answered.size;
  };
  while (ids.length < n) {
    if (ids.length - carded() >= ahead) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    const sent = await Promise.all(Array.from({ length: Math.min(50, n - ids.length) }, (_, j) => send(ids.length + j)));
    ids.push(...sent.map((s) => s.id));
  }
  return ids;
}

const PLACE = /number (\d+) in the bot's queue|about ([\d,]+) ahead of you/;

/**
 * A heap snapshot of the bot, summed by constructor name for objects and closures and by V8's
 * kind of node otherwise (strings, arrays, code...), largest first.
 */
function summarizeSnapshot(file: string): Map<string, { mib: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("self_size")];
  const sums = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = type === "object" ? snap.strings[snap.nodes[i + nameAt]!]! : `(${type})`;
    const sum = sums.get(name) ?? { bytes: 0, count: 0 };
    sum.bytes += snap.nodes[i + sizeAt]!;
    sum.count++;
    sums.set(name, sum);
  }
  return new Map([...sums].map(([name, s]) => [name, { mib: s.bytes / 1048576, count: s.count }]));
}

/** Asks the bot for a heap snapshot (SIGUSR2), waits until it is written, sums it up and deletes it. */
async function snapshotOf(pid: number, dir: string): Promise<Map<string, { mib: number; count: number }>> {
  process.kill(pid, "SIGUSR2");
  const file = join(dir, await waitForFile(dir, /\.heapsnapshot$/, 300_000));
  const summary = summarizeSnapshot(file);
  rmSync(file);
  return summary;
}

/**
 * `n` jobs waiting for `slots` fal slots in one bot process, from `members` members over four
 * servers, with Discord's per-route limits on. The renders take `renderMs`, so the queue moves and
 * the waiting cards show their changing places while the hold is measured. Then a heap snapshot.
 */
export async function deepQueue(n: number, opts: { slots: number; members: number; renderMs: number; holdMs: number; snapshot: boolean }): Promise<QueueFigures> {
  const discord = await startFakeDiscord({ shards: GUILDS });
  const fal = await startFakeFal({ key: FAL_KEY, timeline: { queuePositions: [0], stepMs: 100, runMs: opts.renderMs } });
  const env = {
    ...fakeEnv(discord, fal, FAL_KEY),
    SHARD_COUNT: String(GUILDS),
    DEFAULT_QUOTA_USD: "1000000",
    SPEND_CAP_USD: "none",
    MAX_JOBS_PER_USER: "100",
    MAX_CONCURRENT_JOBS: String(opts.slots),
    MAX_QUEUED_PER_GUILD: String(n), // the cap is not what this measures
    STATS_INTERVAL_MS: String(STATS_MS),
  };
  const cwd = mkdtempSync(join(tmpdir(), "seedance-bench-queue-"));
  const start = async () => {
    const bot = await BotProcess.start(env, { cwd, nodeArgs: opts.snapshot ? ["--heapsnapshot-signal=SIGUSR2"] : [], readyTimeoutMs: 30_000 });
    await discord.waitFor(() => discord.commands().length > 0 && discord.connectedSessions() >= GUILDS, 30_000);
    await new Promise((r) => setTimeout(r, STATS_MS + 200));
    return bot;
  };
  // the idle heap, from a bot of its own: writing a snapshot leaves the process's RSS inflated
  let before: Awaited<ReturnType<typeof snapshotOf>> | undefined;
  if (opts.snapshot) {
    const idle = await start();
    before = await snapshotOf(idle.pid, cwd);
    await idle.kill("SIGKILL");
    await discord.waitFor(() => discord.connectedSessions() === 0, 30_000);
  }
  const bot = await start();
  try {
    const baselineRssMb = procStatus(bot.pid, "VmRSS");
    const baselineHeapMb = statsLines(bot.output()).at(-1)?.heapMb ?? NaN;

    const started = Date.now();
    const requestsAtStart = discord.requests.length;
    const limitedAtStart = discord.rateLimited;
    const ids = await dispatch(discord, n, opts.members, 300);
    const cardOf = new Map<string, string>();
    const cardsFor = () => {
      for (const m of discord.messages()) if (m.interactionId) cardOf.set(m.interactionId, (m.flags ?? 0) & 64 ? `(private) ${m.text}` : m.text);
      return cardOf;
    };
    // every job answered: a card that waits (or has gone further)
    // every job answered with a card past the picture's upload (waiting, or further on)
    await until(() => {
      const cards = cardsFor();
      const past = (text = "") => text.startsWith("(private)") || (text.includes("🎬") && !text.includes("Sending your picture"));
      return ids.every((id) => past(cards.get(id)));
    }, 30 * 60_000);
    const intakeSeconds = (Date.now() - started) / 1000;
    const intakeStats = statsLines(bot.output()).length;
    const requestsBefore = discord.requests.length;
    const intakeCallsPerJob: Record<string, number> = {};
    for (const r of discord.requests.slice(requestsAtStart, requestsBefore)) {
      const kind = r.path.startsWith("/interactions/") ? "acknowledgement" : r.path.startsWith("/webhooks/") ? `${r.method} card` : r.path.startsWith("/attachments/") ? "picture (CDN)" : `${r.method} channel`;
      intakeCallsPerJob[kind] = (intakeCallsPerJob[kind] ?? 0) + 1 / n;
    }
    const submitsBefore = fal.submissions.length;

    await new Promise((r) => setTimeout(r, opts.holdMs));

    const hold = discord.requests.slice(requestsBefore);
    const steady = statsLines(bot.output()).slice(intakeStats + 1);
    const all = statsLines(bot.output());
    const cards = cardsFor();
    const waitingCards = ids.map((id) => cards.get(id) ?? "").filter((t) => t.includes("Waiting for a free slot"));
    const places = waitingCards.map((t) => PLACE.exec(t)).filter((m) => m !== null);
    const granted = fal.submissions.length - submitsBefore;
    const edits = hold.filter((r) => r.method === "PATCH" && r.path.startsWith("/webhooks/")).length;
    const figures: QueueFigures = {
      waiting: n,
      guilds: GUILDS,
      members: opts.members,
      intakeSeconds,
      intakeCallsPerJob,
      baselineRssMb,
      peakRssMb: procStatus(bot.pid, "VmHWM"),
      kibPerWaitingJob: ((procStatus(bot.pid, "VmRSS") - baselineRssMb) * 1024) / n,
      heapKibPerWaitingJob: (((all.at(-1)?.heapMb ?? NaN) - baselineHeapMb) * 1024) / n,
      loopP99Ms: Math.max(...steady.map((l) => l.loopDelayP99Ms)),
      loopMaxMs: Math.max(...steady.map((l) => l.loopDelayMaxMs)),
      intakeLoopP99Ms: Math.max(...all.slice(0, intakeStats + 1).map((l) => l.loopDelayP99Ms)),
      discordRequests: discord.requests.length - requestsAtStart,
      rateLimited: discord.rateLimited - limitedAtStart,
      cardsShowingPlace: places.length,
      cardsExact: places.filter((m) => m[1] !== undefined).length,
      granted,
      editsPerGrant: granted ? edits / granted : NaN,
      heap: [],
      refusals: {},
      lastStats: all.at(-1),
    };
    for (const line of bot.output().split("\n")) {
      if (!line.startsWith("{")) continue;
      const entry = JSON.parse(line) as { level: number; msg: string };
      if (entry.level >= 40) figures.refusals[`log: ${entry.msg}`] = (figures.refusals[`log: ${entry.msg}`] ?? 0) + 1;
    }
    // a refusal is a private follow-up (the public "thinking…" deleted) or a private first answer
    for (const r of discord.requests.slice(requestsAtStart)) {
      const body = r.json as { flags?: number; content?: string; type?: number; data?: { flags?: number; content?: string } } | undefined;
      const text = r.method === "POST" && r.path.startsWith("/webhooks/") && (body?.flags ?? 0) & 64 ? body?.content : r.path.startsWith("/interactions/") && body?.type === 4 && (body.data?.flags ?? 0) & 64 ? body.data?.content : undefined;
      if (text === undefined) continue;
      const key = text.replace(/\d[\d,.]*/g, "N").slice(0, 120);
      figures.refusals[key] = (figures.refusals[key] ?? 0) + 1;
    }
    if (before) {
      const after = await snapshotOf(bot.pid, cwd);
      const growth = [...after]
        .map(([name, a]) => ({ name, mib: a.mib - (before.get(name)?.mib ?? 0), count: a.count - (before.get(name)?.count ?? 0) }))
        .sort((x, y) => y.mib - x.mib);
      figures.liveHeapKibPerWaitingJob = (growth.reduce((sum, g) => sum + g.mib, 0) * 1024) / n;
      figures.heap = growth.slice(0, 15);
    }
    return figures;
  } finally {
    await bot.kill("SIGKILL");
    await discord.close();
    await fal.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Polls once a second: the fakes share this process, and a tight poll over 10,000 cards would slow them. */
async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`not done after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** A file V8 writes once it has finished (its size stops changing). */
async function waitForFile(dir: string, name: RegExp, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < until) {
    const file = readdirSync(dir).find((f) => name.test(f));
    if (file) {
      const size = statSync(join(dir, file)).size;
      if (size > 0 && size === last) return file;
      last = size;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`no ${name} in ${dir} after ${timeoutMs} ms`);
}
