import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX = import.meta.resolve("tsx");

/** `npm start`'s own command line (node, its flags, tsx, src/main.ts), with paths made absolute. */
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

/**
 * The bot as its own process, started with `npm start`'s own command line, in an empty
 * working directory so no developer's .env leaks in.
 */
export class BotProcess {
  private out = "";
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on("data", (d) => (this.out += d.toString()));
    child.stderr!.on("data", (d) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Starts `npm start`'s command, or another script under tsx (the benchmark's bare bot). */
  static async start(env: Record<string, string>, script?: string): Promise<BotProcess> {
    const cwd = mkdtempSync(join(tmpdir(), "seedance-bot-cwd-"));
    const args = script ? ["--import", TSX, script] : startCommand();
    const child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const bot = new BotProcess(child);
    await bot.waitForLog(/"msg":"bot ready"/, 20_000);
    return bot;
  }

  get pid(): number {
    return this.child.pid!;
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

  /** Sends `signal` and resolves with how the process ended. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    this.child.kill(signal);
    const ended = await this.exited;
    return { ...ended, ms: Date.now() - started };
  }
}
