import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeDiscord, type FakeDiscord } from "../test/fakes/discord/index.js";
import { startFakeFal } from "../test/fakes/fal/index.js";
import { BotProcess, fakeEnv } from "../test/support/child.js";
import { FAL_KEY, PICTURE, PNG } from "../test/support/harness.js";

export interface QueueFigures {
  waiting: number;
  guilds: number;
  members: number;
  intakeSeconds: number;
  baselineRssMb: number;
  peakRssMb: number;
  kibPerWaitingJob: number;
  heapKibPerWaitingJob: number;
  loopP99Ms: number;
  loopMaxMs: number;
  intakeLoopP99Ms: number;
  discordRequests: number;
  rateLimited: number;
  cardsShowingPlace: number;
  cardsExact: number;
  granted: number;
  editsPerGrant: number;
  /** What the heap holds, by constructor (or V8's kind of node), in MiB, largest first. */
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

/** `/video` by `members` members spread over the guilds (one shard each), `batch` at a time. */
async function dispatch(discord: FakeDiscord, n: number, members: number, batch: number, pauseMs: number): Promise<string[]> {
  const base = discord.users.requester;
  const users = Array.from({ length: members }, (_, i) => ({ ...base, id: (BigInt(base.id) + BigInt(i) * 1000n).toString(), username: `member${i}` }));
  const send = (i: number) => {
    const image = discord.addAttachment(PNG, "cat.png", "image/png", PICTURE);
    return discord.slashCommand({
      name: "video",
      guild: i % GUILDS,
      user: users[i % members]!,
      attachments: [image],
      options: [
        { name: "image", type: 11, value: image.id },
        { name: "prompt", type: 3, value: `take ${i}: the cat surfs a wave` },
        { name: "duration", type: 4, value: 4 },
        { name: "resolution", type: 3, value: "480p" },
      ],
    });
  };
  const ids: string[] = [];
  for (let i = 0; i < n; i += batch) {
    const sent = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, j) => send(i + j)));
    ids.push(...sent.map((s) => s.id));
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  return ids;
}

const PLACE = /number (\d+) in the bot's queue|about ([\d,]+) ahead of you/;

/**
 * A heap snapshot of the bot, summed by constructor name for objects and closures and by V8's
 * kind of node otherwise (strings, arrays, code...), largest first.
 */
function summarizeSnapshot(file: string): Array<{ name: string; mib: number; count: number }> {
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
  return [...sums]
    .map(([name, s]) => ({ name, mib: s.bytes / 1048576, count: s.count }))
    .sort((a, b) => b.mib - a.mib);
}

/**
 * `n` jobs waiting for `slots` fal slots in one bot process, from `members` members over four
 * servers, with Discord's per-route limits on. The renders take `renderMs`, so the queue moves and
 * the waiting cards show their changing places while the hold is measured. Then a heap snapshot.
 */
export async function deepQueue(n: number, opts: { slots: number; members: number; renderMs: number; holdMs: number; snapshot: boolean }): Promise<QueueFigures> {
  const discord = await startFakeDiscord({ shards: GUILDS });
  const fal = await startFakeFal({ key: FAL_KEY, timeline: { queuePositions: [0], stepMs: 100, runMs: opts.renderMs } });
  const cwd = mkdtempSync(join(tmpdir(), "seedance-bench-queue-"));
  const bot = await BotProcess.start(
    {
      ...fakeEnv(discord, fal, FAL_KEY),
      SHARD_COUNT: String(GUILDS),
      DEFAULT_QUOTA_USD: "1000000",
      SPEND_CAP_USD: "none",
      MAX_JOBS_PER_USER: "100",
      MAX_CONCURRENT_JOBS: String(opts.slots),
      MAX_QUEUED_PER_GUILD: String(Math.ceil(n / GUILDS) + opts.slots),
      STATS_INTERVAL_MS: String(STATS_MS),
    },
    { cwd, nodeArgs: opts.snapshot ? ["--heapsnapshot-signal=SIGUSR2"] : [], readyTimeoutMs: 30_000 },
  );
  try {
    await discord.waitFor(() => discord.commands().length > 0 && discord.connectedSessions() >= GUILDS, 30_000);
    await new Promise((r) => setTimeout(r, STATS_MS + 200));
    const baselineRssMb = procStatus(bot.pid, "VmRSS");
    const baselineHeapMb = statsLines(bot.output()).at(-1)?.heapMb ?? NaN;

    const started = Date.now();
    const ids = await dispatch(discord, n, opts.members, 100, 150);
    const cardOf = new Map<string, string>();
    const cardsFor = () => {
      for (const m of discord.allMessages()) if (m.interactionId) cardOf.set(m.interactionId, m.text);
      return cardOf;
    };
    // every job answered: a card that waits (or has gone further)
    // every job answered with a card past the picture's upload (waiting, or further on)
    await until(() => {
      const cards = cardsFor();
      return ids.every((id) => cards.has(id) && !cards.get(id)!.includes("Sending your picture"));
    }, 30 * 60_000);
    const intakeSeconds = (Date.now() - started) / 1000;
    const intakeStats = statsLines(bot.output()).length;
    const requestsBefore = discord.requests.length;
    const limitedBefore = discord.rateLimited;
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
      baselineRssMb,
      peakRssMb: procStatus(bot.pid, "VmHWM"),
      kibPerWaitingJob: ((procStatus(bot.pid, "VmRSS") - baselineRssMb) * 1024) / n,
      heapKibPerWaitingJob: (((all.at(-1)?.heapMb ?? NaN) - baselineHeapMb) * 1024) / n,
      loopP99Ms: Math.max(...steady.map((l) => l.loopDelayP99Ms)),
      loopMaxMs: Math.max(...steady.map((l) => l.loopDelayMaxMs)),
      intakeLoopP99Ms: Math.max(...all.slice(0, intakeStats + 1).map((l) => l.loopDelayP99Ms)),
      discordRequests: hold.length,
      rateLimited: discord.rateLimited - limitedBefore,
      cardsShowingPlace: places.length,
      cardsExact: places.filter((m) => m[1] !== undefined).length,
      granted,
      editsPerGrant: granted ? edits / granted : NaN,
      heap: [],
    };
    if (opts.snapshot) {
      process.kill(bot.pid, "SIGUSR2");
      const file = await waitForFile(cwd, /\.heapsnapshot$/, 120_000);
      figures.heap = summarizeSnapshot(join(cwd, file)).slice(0, 12);
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
