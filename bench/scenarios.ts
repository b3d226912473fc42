import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from "../test/fakes/discord/index.js";
import { startFakeFal, type FakeFal, type JobTimeline } from "../test/fakes/fal/index.js";
import { BotProcess, fakeEnv, ROOT, TSX, type Launch } from "../test/support/child.js";
import { FAL_KEY, PICTURE, PNG } from "../test/support/harness.js";

const BARE_BOT = fileURLToPath(new URL("./bare-bot.ts", import.meta.url));

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

const median = (values: number[]) => percentiles(values).p50;

/** Fakes in this process, the bot (the same entry as `npm start`) in a child process. */
interface Stage {
  discord: FakeDiscord;
  fal: FakeFal;
  bot: BotProcess;
  close(): Promise<void>;
}

async function stage(env: Record<string, string>, discordOptions: FakeDiscordOptions = {}, timeline: Partial<JobTimeline> = {}, launch: string | Launch = {}): Promise<Stage> {
  const discord = await startFakeDiscord(discordOptions);
  const fal = await startFakeFal({ key: FAL_KEY, timeline });
  const bot = await BotProcess.start(
    {
      ...fakeEnv(discord, fal, FAL_KEY),
      DEFAULT_QUOTA_USD: "1000000",
      SPEND_CAP_USD: "none",
      MAX_JOBS_PER_USER: "100",
      ...env,
    },
    launch,
  );
  await discord.waitFor(() => discord.connectedSessions() > 0, 20_000);
  if (launch !== BARE_BOT) await discord.waitFor(() => discord.commands().length > 0, 20_000);
  return {
    discord,
    fal,
    bot,
    async close() {
      await bot.kill("SIGKILL");
      await discord.close();
      await fal.close();
    },
  };
}

/** Many members (so per-member limits do not interfere). */
export function members(discord: FakeDiscord, n: number) {
  const base = discord.users.requester;
  return Array.from({ length: n }, (_, i) => ({ ...base, id: (BigInt(base.id) + BigInt(i) * 1000n).toString(), username: `member${i}` }));
}

/** The `i`th `/video` of a scenario, by `user`, in the fake's guild `guild` (its first by default). */
export function sendVideo(discord: FakeDiscord, user: ReturnType<typeof members>[number], i: number, guild = 0) {
  const image = discord.addAttachment(PNG, "cat.png", "image/png", { ...PICTURE, guild });
  return discord.slashCommand({
    name: "video",
    guild,
    user,
    attachments: [image],
    options: [
      { name: "image", type: 11, value: image.id },
      { name: "prompt", type: 3, value: `take ${i}: the cat surfs a wave` },
      { name: "duration", type: 4, value: 5 },
      { name: "aspect_ratio", type: 3, value: "16:9" },
    ],
  });
}

async function dispatchVideos(discord: FakeDiscord, n: number, spreadMs = 0): Promise<Array<{ id: string; dispatchedAt: number }>> {
  const users = members(discord, Math.min(n, 50));
  const send = (i: number) => sendVideo(discord, users[i % users.length]!, i);
  if (!spreadMs) return Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  const out = [];
  for (let i = 0; i < n; i += 100) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => send(i + j)))));
    await new Promise((r) => setTimeout(r, spreadMs));
  }
  return out;
}

async function ackTimes(s: Stage, n: number): Promise<number[]> {
  const callbackOf = (id: string) => s.discord.requests.find((r) => r.path.startsWith(`/interactions/${id}/`) && r.status > 0);
  // one interaction first, so neither bot is measured loading its REST code
  const [warm] = await dispatchVideos(s.discord, 1);
  await s.discord.waitFor(() => callbackOf(warm!.id), 30_000);
  await new Promise((r) => setTimeout(r, 500));
  const sent = await dispatchVideos(s.discord, n);
  await s.discord.waitFor(() => sent.every((i) => callbackOf(i.id)), 30_000);
  return sent.map((i) => callbackOf(i.id)!.at - i.dispatchedAt);
}

/** Dispatch → deferred callback at the fake, for the bot and for a bare deferReply() bot. */
/**
 * The acknowledgement of `n` commands at once, against a bare bot that only defers: `rounds`
 * bursts each, taking turns, and each figure is the median over the rounds (a p99 of one burst
 * is nearly its maximum, and a busy machine moves it a lot).
 */
export async function ackLatency(n: number, rounds = 1): Promise<{ bot: Percentiles; bare: Percentiles }> {
  const never: Partial<JobTimeline> = { queuePositions: [1], stepMs: 3_600_000 };
  const env = { MAX_CONCURRENT_JOBS: "1000" };
  const bare = await stage(env, { rateLimit: false }, never, BARE_BOT);
  const bot = await stage(env, { rateLimit: false }, never);
  const runs: { bot: Percentiles[]; bare: Percentiles[] } = { bot: [], bare: [] };
  for (let r = 0; r < rounds; r++) {
    runs.bare.push(percentiles(await ackTimes(bare, n)));
    runs.bot.push(percentiles(await ackTimes(bot, n)));
  }
  await bare.close();
  await bot.close();
  const medianOf = (list: Percentiles[]): Percentiles => ({ p50: median(list.map((p) => p.p50)), p99: median(list.map((p) => p.p99)), max: median(list.map((p) => p.max)) });
  return { bot: medianOf(runs.bot), bare: medianOf(runs.bare) };
}

export interface CallFigures {
  jobs: number;
  restPerJob: number;
  byKind: Record<string, number>;
  rateLimited: number;
  falStatusPerJobMinute: number;
  nominalJobSeconds: number;
}

/**
 * `n` concurrent jobs of `jobSeconds` in one channel with Discord-like limits (5 per 5 s per
 * message route). Time is compressed `scale` times (the bot's intervals, the model's time
 * and the rate-limit windows alike), which leaves call counts as they would be in real time.
 */
export async function discordCalls(n: number, jobSeconds: number, scale: number): Promise<CallFigures> {
  const realMs = (jobSeconds * 1000) / scale;
  const queueSteps = 6;
  const timeline: Partial<JobTimeline> = {
    queuePositions: [6, 5, 4, 3, 2, 1],
    stepMs: realMs / 3 / queueSteps,
    runMs: (realMs * 2) / 3,
    logs: ["Loading model", "Encoding picture", "Generating frames", "Generating frames", "Adding audio", "Encoding video"],
  };
  const s = await stage(
    {
      MAX_CONCURRENT_JOBS: String(n),
      FAL_POLL_INTERVAL_MS: String(Math.round(2000 / scale)),
      PROGRESS_EDIT_INTERVAL_MS: String(Math.round(3000 / scale)),
    },
    { rateLimit: { limit: 5, windowMs: Math.round(5000 / scale) } },
    timeline,
  );
  const startIndex = s.discord.requests.length;
  await dispatchVideos(s.discord, n);
  const done = () => s.discord.messages().filter((m) => m.interactionId && m.text.includes("✅ Done")).length;
  await s.discord.waitFor(() => done() === n, 20 * realMs + 120_000);
  await new Promise((r) => setTimeout(r, 500)); // the last reactions
  const calls = s.discord.requests.slice(startIndex).filter((r) => /^\/(interactions|webhooks|channels)\//.test(r.path));
  const kind = (r: (typeof calls)[number]) =>
    r.path.startsWith("/interactions/") ? "acknowledgement" : r.path.startsWith("/webhooks/") ? "edit (interaction)" : r.path.includes("/reactions/") ? "reaction" : r.method === "POST" ? "post" : "edit (channel)";
  const byKind: Record<string, number> = {};
  for (const r of calls) byKind[kind(r)] = (byKind[kind(r)] ?? 0) + 1 / n;
  const statusCalls = s.fal.requests.filter((r) => r.target.includes("/status")).length;
  const jobMinutes = [...s.fal.jobs.values()].reduce((sum, j) => sum + ((j.completedAt ?? Date.now()) - j.submittedAt) / 60_000, 0) * scale;
  const figures = { jobs: n, restPerJob: calls.length / n, byKind, rateLimited: s.discord.rateLimited, falStatusPerJobMinute: statusCalls / jobMinutes, nominalJobSeconds: jobSeconds };
  await s.close();
  return figures;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

function statsLines(output: string): Array<{ loopDelayP99Ms: number; loopDelayMaxMs: number; activeJobs: number; rssMb: number }> {
  return output
    .split("\n")
    .filter((l) => l.includes('"msg":"stats"'))
    .map((l) => JSON.parse(l));
}

export interface MemoryFigures {
  jobs: number;
  peakRssMb: number;
  loopP99Ms: number;
  loopMaxMs: number;
  intakeLoopP99Ms: number;
}

/**
 * `n` jobs in flight at fal at once: peak RSS of the bot process, and the event-loop delay
 * p99 of each stats window (a quarter of the hold) that lies wholly after the intake.
 */
export async function memory(n: number, holdMs: number): Promise<MemoryFigures> {
  const s = await stage(
    { MAX_CONCURRENT_JOBS: String(n), STATS_INTERVAL_MS: String(Math.round(holdMs / 4)) },
    { rateLimit: false },
    { queuePositions: [9, 8, 7, 6, 5, 4, 3, 2, 1], stepMs: 20_000, outcome: { kind: "never" } },
  );
  await dispatchVideos(s.discord, n, 100);
  await s.fal.waitFor(() => s.fal.submissions.length === n, 120_000);
  const intakeStats = statsLines(s.bot.output()).length;
  await new Promise((r) => setTimeout(r, holdMs));
  const all = statsLines(s.bot.output());
  const steady = all.slice(intakeStats + 1).filter((l) => l.activeJobs >= n);
  const figures = {
    jobs: n,
    peakRssMb: peakRssMb(s.bot.pid),
    loopP99Ms: Math.max(...steady.map((l) => l.loopDelayP99Ms)),
    loopMaxMs: Math.max(...steady.map((l) => l.loopDelayMaxMs)),
    intakeLoopP99Ms: Math.max(...all.slice(0, intakeStats + 1).map((l) => l.loopDelayP99Ms)),
  };
  await s.close();
  return figures;
}

export interface DeliveryFigures {
  bytes: number;
  botMs: number;
  plainMs: number;
  ratio: number;
}

/** fal COMPLETED → MP4 posted by the bot, against a plain download + multipart upload of the same bytes. */
export async function delivery(trials: number, bytes: number): Promise<DeliveryFigures> {
  const s = await stage({}, { rateLimit: false }, { queuePositions: [0], stepMs: 200, runMs: 300, outcome: { kind: "video", padToBytes: bytes } });
  const botMs: number[] = [];
  const plainMs: number[] = [];
  // trial 0 warms both paths up (connections, code) and is not counted
  for (let t = 0; t <= trials; t++) {
    const before = s.discord.requests.length;
    await dispatchVideos(s.discord, 1);
    const post = await s.discord.waitFor(
      () => s.discord.requests.slice(before).find((r) => r.method === "POST" && (r.files?.length ?? 0) > 0 && r.doneAt),
      30_000,
    );
    const job = s.fal.submissions.at(-1)!;
    botMs.push(post.doneAt! - s.fal.jobs.get(job.requestId)!.completedAt!);

    const videoUrl = s.fal.jobs.get(job.requestId)!.videoUrl!;
    const started = performance.now();
    const video = Buffer.from(await (await fetch(videoUrl)).arrayBuffer());
    const form = new FormData();
    form.append("files[0]", new Blob([video], { type: "video/mp4" }), "plain.mp4");
    form.append("payload_json", JSON.stringify({ content: "plain upload", attachments: [{ id: "0", filename: "plain.mp4" }] }));
    const res = await fetch(`${s.discord.apiUrl}/v10/channels/${s.discord.channelId}/messages`, {
      method: "POST",
      headers: { Authorization: `Bot ${s.discord.token}` },
      body: form,
    });
    if (!res.ok) throw new Error(`plain upload failed: ${res.status}`);
    await res.arrayBuffer();
    if (t > 0) plainMs.push(performance.now() - started);
    else botMs.pop();
  }
  await s.close();
  const bot = median(botMs);
  const plain = median(plainMs);
  return { bytes, botMs: bot, plainMs: plain, ratio: bot / plain };
}

/** Every process in the tree under `root`, itself included, from the parent ids in /proc. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** VmRSS in KiB and a short name ("npm", "sh", "node main.js", "node tsc"); undefined once it ended. */
function processRss(pid: number): { name: string; kb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const program = basename(argv[0] ?? "?");
    const name = program === "node" ? `node ${basename(argv.slice(1).find((a) => !a.startsWith("-") && !a.startsWith("file:")) ?? "")}`.trim() : program.split(" ")[0]!;
    return { name, kb };
  } catch {
    return undefined;
  }
}

export interface TreePeak {
  /** The highest sum of VmRSS over the tree, MiB. */
  mib: number;
  /** What that sum was made of, MiB per process name. */
  parts: Record<string, number>;
}

/** Samples the summed VmRSS of the process tree under `root` every `everyMs` until stopped. */
function sampleTree(root: number, everyMs = 50): { stop(): TreePeak } {
  let peak: TreePeak = { mib: 0, parts: {} };
  let stopped = false;
  const sample = () => {
    const parts: Record<string, number> = {};
    let kb = 0;
    for (const pid of processTree(root)) {
      const p = processRss(pid);
      if (!p) continue;
      kb += p.kb;
      parts[p.name] = (parts[p.name] ?? 0) + p.kb / 1024;
    }
    if (kb / 1024 > peak.mib) peak = { mib: kb / 1024, parts };
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      if (!stopped) {
        clearInterval(timer);
        sample();
        stopped = true;
      }
      return peak;
    },
  };
}

export interface OneJobRun extends TreePeak {
  /** Spawn → the bot connected to the gateway with its commands registered, ms. */
  readyMs: number;
}

export interface OneJobFigures {
  videoBytes: number;
  /** `npm start` as a user runs it, in the repository: npm, its sh, the prestart's tsc (a no-op check), the bot. */
  npmStart: OneJobRun;
  /** The compiled bot alone: `npm start`'s command line without npm. */
  compiled: OneJobRun;
  /** The bot as `npm start` ran it before it was compiled, alone: node --max-old-space-size=256 --import tsx src/main.ts. */
  tsx: OneJobRun;
  /** The same under npm, as the old `npm start` ran it: npm, its sh, the bot under tsx. */
  oldNpmStart: OneJobRun;
}

/** One /video job end to end (acknowledged, rendered, posted, settled); peak summed RSS of the started process tree from its spawn. */
async function oneJobPeak(launch: Launch, videoBytes: number): Promise<OneJobRun> {
  let sampler: { stop(): TreePeak } | undefined;
  let spawnedAt = NaN;
  let s: Stage | undefined;
  try {
    s = await stage(
      {},
      { rateLimit: false },
      { queuePositions: [1, 0], stepMs: 300, runMs: 1500, logs: ["Loading model", "Generating frames", "Encoding video"], outcome: { kind: "video", padToBytes: videoBytes } },
      {
        ...launch,
        onSpawn: (pid) => {
          spawnedAt = performance.now();
          sampler = sampleTree(pid);
        },
      },
    );
    const readyMs = performance.now() - spawnedAt;
    const { discord } = s;
    await dispatchVideos(discord, 1);
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId && m.text.includes("✅ Done")), 60_000);
    await discord.waitFor(() => discord.allMessages().find((m) => m.attachments.some((a) => a.filename.endsWith(".mp4"))), 10_000);
    return { ...sampler!.stop(), readyMs };
  } finally {
    sampler?.stop();
    await s?.close();
  }
}

/** The command line `npm start` had before the bot was compiled, with absolute paths. */
const OLD_START = ["--max-old-space-size=256", "--import", TSX, join(ROOT, "src", "main.ts")];

/** A package whose `npm start` is the old one, so npm runs the bot under tsx as it used to. */
function oldStartPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), "seedance-old-start-"));
  const start = ["node", ...OLD_START].map((a) => `'${a}'`).join(" ");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "old-start", private: true, scripts: { start } }));
  return dir;
}

/**
 * Memory of one job: `npm start` exactly as a user runs it (the whole process tree, in the
 * repository, so its prestart build check runs too; a .env there would be read as well), the
 * compiled bot process alone, the bot under tsx alone, and that under npm as the old `npm start`.
 * dist/ must be built (buildBot()) beforehand, as for every scenario.
 */
export async function oneJobMemory(videoBytes: number): Promise<OneJobFigures> {
  const npm = { command: "npm", args: ["start"], group: true, readyTimeoutMs: 120_000 };
  const compiled = await oneJobPeak({}, videoBytes);
  const tsx = await oneJobPeak({ command: process.execPath, args: OLD_START }, videoBytes);
  const npmStart = await oneJobPeak({ ...npm, cwd: ROOT }, videoBytes);
  const oldNpmStart = await oneJobPeak({ ...npm, cwd: oldStartPackage() }, videoBytes);
  return { videoBytes, npmStart, compiled, tsx, oldNpmStart };
}
