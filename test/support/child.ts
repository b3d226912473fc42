import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TSX = import.meta.resolve("tsx");

/**
 * `npm start`'s own command line (node, its flags, dist/src/main.js), with paths made absolute.
 * npm runs its prestart (the build) first; here the test run's global setup or the bench has
 * run it already (buildBot() in global-setup.ts).
 */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } };
  const [node, ...args] = pkg.scripts.start.split(/\s+/);
  if (node !== "node") throw new Error(`npm start is expected to run node, not ${node}`);
  return args.map((a) => (a === "tsx" ? TSX : a.endsWith(".ts") || a.endsWith(".js") ? join(ROOT, a) : a));
}

/** The environment of a bot process pointed at the fakes, with its own SQLite file. */
export function fakeEnv(discord: { token: string; apiUrl: string; cdnUrl: string }, fal: { proxyUrl: string }, falKey: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "seedance-store-"));
  return {
    DISCORD_TOKEN: discord.token,
    FAL_KEY: falKey,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_CDN_URL: discord.cdnUrl,
    FAL_PROXY_URL: fal.proxyUrl,
    STORE_URL: `sqlite://${join(dir, "bot.sqlite")}`,
    LOG_LEVEL: "info",
  };
}

/** How to start a bot process other than with `npm start`'s command line. */
export interface Launch {
  /** Run this script under tsx instead (the benchmark's bare bot). */
  script?: string;
  /** Node options put before `npm start`'s own (e.g. the benchmark's heap-snapshot signal). */
  nodeArgs?: string[];
  /** Or run this program with these arguments (e.g. `npm start`, or the bot under tsx). */
  command?: string;
  args?: string[];
  /** Default: a fresh empty directory, so no developer's .env leaks in. */
  cwd?: string;
  /** Start it as its own process group; SIGKILL then ends the whole group (npm and the bot under it). */
  group?: boolean;
  readyTimeoutMs?: number;
  /** Called with the process id as soon as it is spawned (before it is ready). */
  onSpawn?: (pid: number) => void;
}

/**
 * The bot as its own process, started with `npm start`'s own command line (the compiled bot in
 * dist/), in an empty working directory so no developer's .env leaks in.
 */
export class BotProcess {
  private out = "";
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly group: boolean,
  ) {
    child.stdout!.on("data", (d) => (this.out += d.toString()));
    child.stderr!.on("data", (d) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Starts `npm start`'s command, or another script under tsx, or another command (see Launch). */
  static async start(env: Record<string, string>, launch: string | Launch = {}): Promise<BotProcess> {
    const how = typeof launch === "string" ? { script: launch } : launch;
    const cwd = how.cwd ?? mkdtempSync(join(tmpdir(), "seedance-bot-cwd-"));
    const [command, args] = how.command
      ? [how.command, how.args ?? []]
      : [process.execPath, [...(how.nodeArgs ?? []), ...(how.script ? ["--import", TSX, how.script] : startCommand())]];
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: how.group ?? false,
    });
    const bot = new BotProcess(child, how.group ?? false);
    if (child.pid !== undefined) how.onSpawn?.(child.pid);
    try {
      await bot.waitForLog(/"msg":"bot ready"/, how.readyTimeoutMs ?? 20_000);
    } catch (err) {
      await bot.kill("SIGKILL");
      throw err;
    }
    return bot;
  }

  /** Resolves when the process has ended, however it ended. */
  get ended(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Whether the process is still alive. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.out;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(this.out)) {
      if (this.child.exitCode !== null) throw new Error(`bot exited (${this.child.exitCode}) before ${pattern}:\n${this.out}`);
      if (Date.now() > until) throw new Error(`bot never logged ${pattern}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Sends `signal` and resolves with how the process ended. In a process group SIGKILL goes to
   * every member (it cannot be passed on); other signals go to the leader, which passes them on.
   */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    if (this.group && signal === "SIGKILL") {
      try {
        process.kill(-this.child.pid!, signal);
      } catch {
        // the group is already gone
      }
    } else {
      this.child.kill(signal);
    }
    const ended = await this.exited;
    return { ...ended, ms: Date.now() - started };
  }
}
