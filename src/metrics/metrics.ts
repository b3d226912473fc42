import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export type JobOutcome = "delivered" | "failed" | "cancelled" | "refused";

/** What the gauges read when scraped. */
export interface MetricSources {
  /** Jobs this process drives, by state. */
  jobsInProgress(): Record<string, number>;
  /** Jobs of this process waiting for a fal slot, by server. */
  botQueueLength(): Map<string, number>;
}

/** Servers with a queue length of their own (a label each): the rest are summed, so the series stay few. */
export const QUEUE_SERVERS_SHOWN = 10;

const usd = (micros: number) => micros / 1_000_000;
/** fal's queue and render times run from seconds to tens of minutes. */
const SECONDS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * The bot's Prometheus metrics (prom-client), with Node's default process metrics, in a
 * registry of its own (several bots in one test process do not mix).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly jobs: Counter<"outcome">;
  private readonly falQueue: Histogram;
  private readonly falRender: Histogram;
  private readonly charged: Counter;
  private readonly billed: Counter;
  private readonly restErrors: Counter<"code">;
  private sources: MetricSources = { jobsInProgress: () => ({}), botQueueLength: () => new Map() };

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.jobs = new Counter({ name: "seedance_jobs_total", help: "Jobs that ended in this process, by outcome", labelNames: ["outcome"], registers });
    for (const outcome of ["delivered", "failed", "cancelled", "refused"]) this.jobs.inc({ outcome }, 0);
    const sources = () => this.sources;
    new Gauge({
      name: "seedance_jobs_in_progress",
      help: "Jobs this process drives, by state",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(sources().jobsInProgress())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "seedance_bot_queue_length",
      help: `Jobs of this process waiting for a fal slot, for the ${QUEUE_SERVERS_SHOWN} servers with most, the rest as guild="other"`,
      labelNames: ["guild"],
      registers,
      collect() {
        this.reset();
        const top = [...sources().botQueueLength()].sort(([, a], [, b]) => b - a);
        for (const [guild, n] of top.slice(0, QUEUE_SERVERS_SHOWN)) this.set({ guild }, n);
        this.set({ guild: "other" }, top.slice(QUEUE_SERVERS_SHOWN).reduce((sum, [, n]) => sum + n, 0));
      },
    });
    this.falQueue = new Histogram({ name: "seedance_fal_queue_seconds", help: "Time from the submit to fal starting the render", buckets: SECONDS, registers });
    this.falRender = new Histogram({ name: "seedance_fal_render_seconds", help: "Time fal rendered a job", buckets: SECONDS, registers });
    this.charged = new Counter({ name: "seedance_member_charged_usd_total", help: "What members were charged for delivered videos, in US dollars", registers });
    this.billed = new Counter({ name: "seedance_fal_billed_usd_total", help: "What fal billed, delivered or not, in US dollars", registers });
    this.restErrors = new Counter({ name: "seedance_discord_rest_errors_total", help: "Discord REST answers with an error status, by HTTP status", labelNames: ["code"], registers });
  }

  observe(sources: MetricSources): void {
    this.sources = sources;
  }

  jobEnded(outcome: JobOutcome): void {
    this.jobs.inc({ outcome });
  }

  falQueueSeconds(seconds: number): void {
    this.falQueue.observe(seconds);
  }

  falRenderSeconds(seconds: number): void {
    this.falRender.observe(seconds);
  }

  memberCharged(micros: number): void {
    if (micros > 0) this.charged.inc(usd(micros));
  }

  falBilled(micros: number): void {
    if (micros > 0) this.billed.inc(usd(micros));
  }

  discordRestError(status: number): void {
    this.restErrors.inc({ code: String(status) });
  }
}
