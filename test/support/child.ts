import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

/**
 * The bot as its own process, started exactly as `npm start` does (tsx running src/main.ts),
 * in an empty working directory so no developer's .env leaks in.
 */
export class BotProcess {
  private out = "";
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on("data", (d) => (this.out += d.toString()));
    child.stderr!.on("data", (d) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  static async start(env: Record<string, string>): Promise<BotProcess> {
    const cwd = mkdtempSync(join(tmpdir(), "seedance-bot-cwd-"));
    const child = spawn(process.execPath, ["--import", TSX, MAIN], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const bot = new BotProcess(child);
    await bot.waitForLog(/"msg":"bot ready"/, 20_000);
    return bot;
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
