import type { JobTimeline } from "../fakes/fal/index.js";
import { Dice } from "./random.js";

/**
 * The fault plan of a run, drawn from its seed: for each order (a member's /video) its options,
 * what fal does with it, which of fal's answers fail or go missing, what the member presses and
 * when; and the run's global events (process kills, stalls past the lease, Redis restarts) by the
 * order after which they happen. The same seed draws the same plan.
 */
export type Take = "regen-button" | "regen-reaction" | "loop" | "remix";
export type Mode = "sqlite" | "redis";

export interface FalFaults {
  /** The submit's answer is lost after fal queued it: a cut connection or a gateway error. */
  loseSubmit?: "reset" | "gateway";
  /** fal refuses the first submit with a 429 (it did not queue it: sent again). */
  refuseSubmit: boolean;
  /** Status calls answered 503 first (fal-js retries them itself). */
  statusErrors: number;
  /** The status stream refused with a 500 (the bot polls instead). */
  streamErrors: number;
  /** Result calls answered 500 without details first (a passing error the bot asks again about). */
  resultErrors: number;
  /** The picture's upload to fal storage fails once. */
  uploadError: boolean;
  /** fal's copy of the video answers 403 (a signed link that expired). */
  outputGone: boolean;
}

export interface OrderPlan {
  index: number;
  /** In the prompt: how fal and the simulation tell which order a request belongs to. */
  tag: string;
  guild: number;
  member: number;
  duration: 4 | 5 | 6;
  resolution: "480p" | "720p";
  aspect: "16:9" | "4:3" | "1:1" | "auto";
  timeline: Partial<JobTimeline>;
  /**
   * What fal's x-fal-billable-units says: null hides the header (the video is still charged);
   * a number is the share of the full render's units fal bills for a failure that used the GPU
   * (fal never bills more than the render it was asked for). Unset: fal's own bill.
   */
  falBill?: number | null;
  fal: FalFaults;
  /** The member presses Cancel when the card shows this. */
  cancelWhen?: "waiting" | "queued";
  /** New takes the member asks for once the video is delivered. */
  takes: Take[];
  /** The interaction's token expires while the job runs (edits go through the channel). */
  expireToken: boolean;
}

export interface GlobalEvent {
  afterOrder: number;
  /** How long after that order was sent (so it lands on jobs in flight, not on a burst's acknowledgements). */
  delayMs: number;
  kind: "kill" | "stall" | "redis-restart";
  /** Which bot process (kill, stall). */
  process: number;
  /** How long it stays down (kill), stopped (stall), or Redis is away. */
  ms: number;
}

/** A credit pack a member buys in Discord, and what happens to its events and its consume. */
export interface PurchasePlan {
  afterOrder: number;
  /** A member of `Plan.buyers`. */
  member: number;
  /** The fake's first (Small pack, $5) or second (Big pack, $20) consumable SKU. */
  pack: 0 | 1;
  /** How its ENTITLEMENT_CREATE travels; none: lost, found by the bot's listing. */
  deliver: Array<"gateway" | "webhook">;
  /** How often Discord sends the create again. */
  replays: number;
  /** Discord refunds it afterwards (ENTITLEMENT_DELETE). */
  refund: boolean;
  /** The bot's consume fails undone (a 500), or is done and its answer lost (a 500 after). */
  consumeFault: "none" | "fail" | "failAfter";
}

export interface Plan {
  seed: number;
  mode: Mode;
  orders: OrderPlan[];
  events: GlobalEvent[];
  /** Members with no budget (an admin set it to $0): their videos are paid by the packs they buy. */
  buyers: number[];
  purchases: PurchasePlan[];
  members: number;
  guilds: number;
  processes: number;
}

const tagOf = (seed: number, index: number) => `soak${seed}-${index}`;

/** The order a prompt belongs to (a take keeps its order's tag; a remix adds an "r"). */
export function orderOfPrompt(prompt: unknown): number | undefined {
  const m = /\bsoak\d+-(\d+)/.exec(String(prompt ?? ""));
  return m ? Number(m[1]) : undefined;
}

function timelineFor(d: Dice, jobTimeoutMs: number): { timeline: Partial<JobTimeline>; falBill?: number | null } {
  const roll = d.roll();
  const ahead = d.int(0, 3);
  const timeline: Partial<JobTimeline> = {
    queuePositions: Array.from({ length: ahead }, (_, i) => ahead - 1 - i),
    stepMs: d.int(20, 80),
    runMs: d.int(60, 400),
  };
  if (roll < 0.04) timeline.outcome = { kind: "error", status: 422, detail: [{ loc: ["body", "image_url"], msg: "flagged", type: "content_policy_violation" }] };
  else if (roll < 0.05) timeline.outcome = { kind: "error", status: 500, detail: [{ loc: ["body"], msg: "runner crashed", type: "internal_server_error" }] };
  else if (roll < 0.08) {
    // long in fal's queue: the job's deadline passes while it waits there (cancelled, or rendered anyway)
    timeline.queuePositions = [1, 0];
    timeline.stepMs = Math.round(jobTimeoutMs * 0.8);
  } else if (roll < 0.1) timeline.outcome = { kind: "video", padToBytes: 300_000 };
  const units = d.roll();
  let falBill: number | null | undefined;
  if (units < 0.12) falBill = null;
  else if (units < 0.2 && timeline.outcome?.kind === "error") falBill = d.int(5, 100) / 100;
  if (d.chance(0.3)) timeline.webhook = { duplicates: d.int(1, 2), duplicateGapMs: d.int(10, 200), payloadError: d.chance(0.3) };
  else if (d.chance(0.1)) timeline.webhook = { payloadError: true };
  timeline.webhookDelayMs = d.int(0, 400);
  return { timeline, ...(falBill !== undefined ? { falBill } : {}) };
}

export interface PlanOptions {
  seed: number;
  mode: Mode;
  orders: number;
  /** JOB_LEASE_SECONDS, in ms: stalls last longer than it. */
  leaseMs: number;
  /** JOB_TIMEOUT_MINUTES, in ms: some jobs wait at fal past it. */
  jobTimeoutMs: number;
  /** Events of each kind (kills, stalls, Redis restarts on Redis). */
  kills?: number;
  stalls?: number;
  redisRestarts?: number;
}

export function makePlan(o: PlanOptions): Plan {
  const guilds = o.mode === "redis" ? 4 : 2;
  const processes = o.mode === "redis" ? 2 : 1;
  const members = 24;
  const orders: OrderPlan[] = [];
  for (let index = 0; index < o.orders; index++) {
    const d = new Dice(o.seed, "order", index);
    const member = d.int(0, members - 1);
    const takesRoll = d.roll();
    const takeKinds: Take[] = ["regen-button", "regen-button", "regen-reaction", "loop", "remix"];
    orders.push({
      index,
      tag: tagOf(o.seed, index),
      guild: member % guilds,
      member,
      duration: d.pick([4, 5, 6] as const),
      resolution: d.pick(["480p", "720p", "720p"] as const),
      aspect: d.pick(["16:9", "4:3", "1:1", "auto"] as const),
      ...timelineFor(d, o.jobTimeoutMs),
      fal: {
        loseSubmit: d.chance(0.02) ? d.pick(["reset", "gateway"] as const) : undefined,
        refuseSubmit: d.chance(0.03),
        statusErrors: d.chance(0.03) ? 1 : 0,
        streamErrors: d.chance(0.05) ? 1 : 0,
        resultErrors: d.chance(0.03) ? d.int(1, 2) : 0,
        uploadError: d.chance(0.02),
        outputGone: d.chance(0.01),
      },
      cancelWhen: d.chance(0.05) ? "queued" : d.chance(0.03) ? "waiting" : undefined,
      takes: takesRoll < 0.03 ? [d.pick(takeKinds), d.pick(takeKinds)] : takesRoll < 0.18 ? [d.pick(takeKinds)] : [],
      expireToken: d.chance(0.03),
    });
  }
  const d = new Dice(o.seed, "events");
  const at = (fraction: number) => Math.max(1, Math.min(o.orders - 1, Math.round(o.orders * (fraction + (d.roll() - 0.5) * 0.1))));
  const events: GlobalEvent[] = [];
  const kills = o.kills ?? 3;
  const stalls = o.stalls ?? (o.mode === "redis" ? 2 : 1);
  const restarts = o.mode === "redis" ? (o.redisRestarts ?? 2) : 0;
  for (let k = 0; k < kills; k++) events.push({ afterOrder: at((k + 1) / (kills + 1)), delayMs: d.int(500, 3_000), kind: "kill", process: d.int(0, processes - 1), ms: d.int(500, 2_500) });
  for (let k = 0; k < stalls; k++) events.push({ afterOrder: at((k + 0.6) / (stalls + 1)), delayMs: d.int(500, 3_000), kind: "stall", process: d.int(0, processes - 1), ms: o.leaseMs + d.int(1_000, 3_000) });
  for (let k = 0; k < restarts; k++) events.push({ afterOrder: at((k + 0.3) / (restarts + 1)), delayMs: d.int(500, 3_000), kind: "redis-restart", process: 0, ms: d.int(800, 2_500) });
  events.sort((a, b) => a.afterOrder - b.afterOrder);
  const buyers = Array.from({ length: guilds }, (_, i) => i); // member i orders in guild i: one buyer per server
  const purchases: PurchasePlan[] = [];
  const p = new Dice(o.seed, "purchases");
  for (let k = 0; k < Math.max(4, Math.round(o.orders / 25)); k++) {
    const roll = p.roll();
    purchases.push({
      afterOrder: p.int(0, o.orders - 1),
      member: p.pick(buyers),
      pack: p.pick([0, 0, 1] as const),
      deliver: p.pick([["gateway"], ["gateway"], ["webhook"], ["gateway", "webhook"], []] as Array<Array<"gateway" | "webhook">>),
      replays: p.chance(0.2) ? p.int(1, 2) : 0,
      refund: p.chance(0.08),
      consumeFault: roll < 0.1 ? "fail" : roll < 0.2 ? "failAfter" : "none",
    });
  }
  purchases.sort((a, b) => a.afterOrder - b.afterOrder);
  return { seed: o.seed, mode: o.mode, orders, events, members, guilds, processes, buyers, purchases };
}
