import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBot } from "../support/global-setup.js";
import { FAL_KEY } from "../support/harness.js";
import { Driver, type OrderOutcome } from "./driver.js";
import { armDiscord, armFal, FaultLog } from "./faults.js";
import { checkInvariants, type Violation } from "./invariants.js";
import { makePlan, type Mode } from "./plan.js";
import { saveOutputs, startSoakWorld, stopSoakWorld } from "./world.js";
import { packsOf } from "./purchases.js";

/**
 * The seeded fault simulation (`npm run soak`): thousands of jobs from many members in several
 * servers, through the fakes, with the bot as `npm start` runs it (one process on SQLite, two on
 * Redis), under faults drawn from a seed; then the books' promises are checked on what is left.
 *
 * Time is real but bounded: the seed fixes the plan (which order meets which fault, which member
 * presses what, when processes die, stall or lose Redis, counted in orders sent), not the
 * interleaving, so a failing seed replays the same faults on the same orders.
 */
export interface SoakOptions {
  seed: number;
  mode: Mode;
  orders: number;
  /** Orders unsettled at once, at most. */
  concurrency?: number;
  quiet?: boolean;
}

export interface SoakReport {
  seed: number;
  mode: Mode;
  orders: number;
  jobs: number;
  seconds: number;
  faults: Map<string, number>;
  orderOutcomes: Map<OrderOutcome | "unsent", number>;
  /** What Discord saw of orders nobody answered. */
  unanswered: Map<string, number>;
  /** Why orders were refused, by the refusal's first words. */
  refusals: Map<string, number>;
  jobStates: Map<string, number>;
  failures: Map<string, number>;
  checked: Map<string, number>;
  violations: Violation[];
  logs: string[];
}

const SETTINGS = { leaseSeconds: 3, jobTimeoutMinutes: 0.1, deliveryTimeoutMinutes: 0.1, maxConcurrentJobs: 12 };
const FAL_MODEL = "bytedance/seedance-2.0/image-to-video";

const count = <T>(items: T[]) => items.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<T, number>());

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const plan = makePlan({ seed: o.seed, mode: o.mode, orders: o.orders, leaseMs: SETTINGS.leaseSeconds * 1000, jobTimeoutMs: SETTINGS.jobTimeoutMinutes * 60_000 });
  // the cap binds late in the run: about four in five orders' worth
  const spendCapUsd = Math.max(5, Math.round(o.orders * 0.8));
  const w = await startSoakWorld(plan, { ...SETTINGS, spendCapUsd });
  const log = new FaultLog();
  const expiring = new Set<string>();
  armFal(w.fal, plan, log);
  const driver = new Driver(w, log, expiring, o.concurrency ?? 24);
  armDiscord(w.discord, plan, log, expiring, (r) => driver.purchases.consumeFault(r));
  const violations: Violation[] = [];
  let logs: string[] = [];
  const progress = o.quiet ? undefined : setInterval(() => console.error(`  [seed ${o.seed}, ${o.mode}] ${driver.progress()}`), 10_000);
  try {
    await driver.run();
    // a purchase whose events were lost (or whose consume failed) waits for the next listing
    await driver.purchases.settled(60_000);
    if (!(await driver.quiescent(120_000))) violations.push({ invariant: "every job reached a final state", detail: "jobs still in flight two minutes after the last order settled" });
    // the last edits go out (coalesced; a process that lost a job shows its end again) before the cards are read
    await new Promise((r) => setTimeout(r, 5_000));
  } finally {
    clearInterval(progress);
    const members = (driver as unknown as { users: Array<{ id: string }> }).users;
    const guildIds = w.discord.guilds.map((g) => g.guildId);
    const secrets = [w.discord.token, FAL_KEY, ...w.discord.issuedTokens()];
    logs = await stopSoakWorld(w, true);
    const found = await checkInvariants({
      storeUrl: w.storeUrl,
      fal: w.fal,
      discord: w.discord,
      members: members as never,
      guildIds,
      falModel: FAL_MODEL,
      spendCapMicros: spendCapUsd * 1_000_000,
      peakSpendMicros: driver.peakSpendMicros,
      leaseMs: SETTINGS.leaseSeconds * 1000,
      packs: packsOf(w.discord),
      buyers: driver.buyers,
    });
    w.redis?.stop();
    violations.push(...found.violations);
    found.checked.set("no process ended without being told to", w.processes.length);
    for (const crash of w.crashes) violations.push({ invariant: "no process ended without being told to", detail: crash });
    // the bots logged at trace level, discord.js's REST lines included: no secret may show
    const leaks = secrets.filter((secret) => logs.some((text) => text.includes(secret)));
    found.checked.set("no token or key in the bots' logs", secrets.length);
    if (leaks.length) violations.push({ invariant: "no token or key in the bots' logs", detail: `${leaks.length} of ${secrets.length} secrets printed, e.g. one ending …${leaks[0]!.slice(-6)}` });
    return {
      seed: o.seed,
      mode: o.mode,
      orders: o.orders,
      jobs: found.jobs.length,
      seconds: Math.round((Date.now() - started) / 1000),
      faults: log.counts,
      orderOutcomes: count(driver.orders.map((x) => x.outcome ?? "unsent")),
      unanswered: count(driver.orders.filter((x) => x.unanswered).map((x) => x.unanswered!.replace(/\d+ ms/, "n ms"))),
      refusals: count(driver.orders.filter((x) => x.refusal).map((x) => x.refusal!.replace(/\(.*$|[\d$.,]+.*$/s, "").slice(0, 50).trim())),
      jobStates: count(found.jobs.map((j) => j.state)),
      failures: count(found.jobs.filter((j) => j.state !== "delivered").map((j) => (typeof j.error === "object" && j.error ? j.error.key : String(j.error ?? "")))),
      checked: found.checked,
      violations,
      logs,
    };
  }
}

/** The run's table: jobs, faults by kind, outcomes, each invariant with how often it was checked. */
export function formatReport(r: SoakReport): string {
  const rows: string[] = [];
  const line = (label: string, value: string | number) => rows.push(`  ${label.padEnd(58)} ${String(value).padStart(8)}`);
  rows.push(`Soak, seed ${r.seed}, ${r.mode === "redis" ? "Redis, two processes" : "SQLite, one process"}: ${r.orders} orders, ${r.jobs} jobs, ${r.seconds} s`);
  rows.push(" Faults injected");
  for (const [k, v] of [...r.faults].sort()) line(k, v);
  rows.push(" Orders (members' /video)");
  for (const [k, v] of [...r.orderOutcomes].sort()) line(k, v);
  for (const [k, v] of [...r.unanswered].sort((a, b) => b[1] - a[1])) line(`  unanswered: ${k}`, v);
  for (const [k, v] of [...r.refusals].sort((a, b) => b[1] - a[1])) line(`  refused: ${k}`, v);
  rows.push(" Jobs in the store (takes included)");
  for (const [k, v] of [...r.jobStates].sort()) line(k, v);
  for (const [k, v] of [...r.failures].sort((a, b) => b[1] - a[1])) line(`  not delivered: ${k || "(no reason)"}`, v);
  rows.push(" Invariants                                                  checks  result");
  const failed = count(r.violations.map((v) => v.invariant));
  for (const [k, v] of [...r.checked].sort()) rows.push(`  ${k.padEnd(58)} ${String(v).padStart(8)}  ${failed.get(k) ? `FAILED ×${failed.get(k)}` : "ok"}`);
  for (const v of r.violations.filter((x) => !r.checked.has(x.invariant))) rows.push(`  ${v.invariant.padEnd(58)} ${"".padStart(8)}  FAILED`);
  for (const v of r.violations.slice(0, 20)) rows.push(`  ✗ seed ${r.seed} (${r.mode})${v.job ? `, job ${v.job}` : ""}: ${v.invariant}: ${v.detail}`);
  if (r.violations.length > 20) rows.push(`  … and ${r.violations.length - 20} more`);
  return rows.join("\n");
}

function args(argv: string[]): { seeds: number[]; orders: number; modes: Mode[] } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seeds = (get("seeds") ?? get("seed") ?? "1,2,3").split(",").map(Number);
  const mode = get("mode") ?? "both";
  return { seeds, orders: Number(get("orders") ?? 2000), modes: mode === "both" ? ["sqlite", "redis"] : [mode as Mode] };
}

async function main(): Promise<void> {
  const { seeds, orders, modes } = args(process.argv.slice(2));
  buildBot(); // the bot as npm start runs it
  let failed = false;
  for (const seed of seeds) {
    for (const mode of modes) {
      const report = await runSoak({ seed, mode, orders });
      console.log(formatReport(report));
      if (report.violations.length || process.env.SOAK_KEEP_LOGS) {
        failed = true;
        const dir = mkdtempSync(join(tmpdir(), `soak-${seed}-${mode}-`));
        console.log(`  the bots' logs: ${saveOutputs(dir, report.logs).join(", ")}`);
        console.log(`  replay: npm run soak -- --seed ${seed} --mode ${mode} --orders ${orders}`);
      }
      console.log("");
    }
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && /soak[/\\]run\.ts$/.test(process.argv[1])) void main();
