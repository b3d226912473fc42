import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { startFakeDiscord, type FakeDiscord, type FakeUser } from "../test/fakes/discord/index.js";
import { startFakeFal } from "../test/fakes/fal/index.js";
import { BotProcess, fakeEnv } from "../test/support/child.js";
import { FAL_KEY, PICTURE, PNG } from "../test/support/harness.js";

/** CPU time (user + system) a process has used, in seconds, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface ScaleRun {
  processes: number;
  jobs: number;
  jobsPerMinute: number;
  seconds: number;
  /** CPU seconds each process spent on the run. */
  cpuSeconds: number[];
}

const members = (discord: FakeDiscord, n: number): FakeUser[] =>
  Array.from({ length: n }, (_, i) => ({ ...discord.users.requester, id: (BigInt(discord.users.requester.id) + BigInt(i + 1) * 1000n).toString(), username: `member${i}` }));

/**
 * `jobs` /video at once, spread over `processes` shards (a guild each) with a bot process per
 * shard on one Redis, against the fake fal (every job renders `renderMs`): how long until all
 * are delivered, and what each process spent.
 */
async function run(processes: number, jobs: number, renderMs: number, redisUrl: string): Promise<ScaleRun> {
  const discord = await startFakeDiscord({ shards: processes, rateLimit: false });
  const fal = await startFakeFal({ key: FAL_KEY, timeline: { queuePositions: [0], stepMs: 50, runMs: renderMs } });
  const env = {
    ...fakeEnv(discord, fal, FAL_KEY),
    STORE_URL: `${redisUrl}?namespace=bench-scale-${randomUUID()}`,
    SHARD_COUNT: String(processes),
    DEFAULT_QUOTA_USD: "1000000",
    SPEND_CAP_USD: "none",
    MAX_JOBS_PER_USER: "100",
    MAX_CONCURRENT_JOBS: "1000",
    FAL_POLL_INTERVAL_MS: "500",
    PROGRESS_EDIT_INTERVAL_MS: "1000",
  };
  const bots = await Promise.all(Array.from({ length: processes }, (_, shard) => BotProcess.start({ ...env, SHARD_IDS: String(shard) }, { readyTimeoutMs: 60_000 })));
  try {
    const users = members(discord, 50);
    const cpuBefore = bots.map((b) => cpuSeconds(b.pid));
    const started = performance.now();
    await Promise.all(
      Array.from({ length: jobs }, (_, i) => {
        const guild = i % processes;
        const image = discord.addAttachment(PNG, "cat.png", "image/png", { ...PICTURE, guild });
        return discord.slashCommand({
          name: "video",
          guild,
          user: users[i % users.length]!,
          attachments: [image],
          options: [
            { name: "image", type: 11, value: image.id },
            { name: "prompt", type: 3, value: `take ${i}` },
            { name: "duration", type: 4, value: 5 },
            { name: "aspect_ratio", type: 3, value: "16:9" },
          ],
        });
      }),
    );
    const delivered = () => discord.allMessages().filter((m) => m.attachments.some((a) => a.filename.endsWith(".mp4"))).length;
    await discord.waitFor(() => delivered() >= jobs, 300_000);
    const seconds = (performance.now() - started) / 1000;
    return { processes, jobs, seconds, jobsPerMinute: (jobs / seconds) * 60, cpuSeconds: bots.map((b, i) => cpuSeconds(b.pid) - cpuBefore[i]!) };
  } finally {
    for (const bot of bots) await bot.kill("SIGKILL");
    await discord.close();
    await fal.close();
  }
}

export async function benchScale(counts: number[], jobs: number, renderMs: number, redisUrl: string): Promise<ScaleRun[]> {
  const runs: ScaleRun[] = [];
  for (const processes of counts) runs.push(await run(processes, jobs, renderMs, redisUrl));
  return runs;
}
