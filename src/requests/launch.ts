import { randomUUID } from "node:crypto";
import { COMPONENTS_V2, type InteractionWebhook, type MessageBody } from "../discord/index.js";
import type { ReserveOutcome } from "../quota/index.js";
import type { VideoParams } from "../seedance/index.js";
import { msg, usd, usdDown, usdUp, type Message } from "../i18n/index.js";
import { estimate } from "../seedance/index.js";
import type { RequestDeps } from "./deps.js";
import { progressComponents } from "../cards/index.js";
import type { Job, JobState } from "../jobs/index.js";
import { progressCard } from "../cards/index.js";
import type { JobStartExtras } from "../runner/index.js";
import { packButtons } from "../credits/index.js";
import { screenJob } from "./safety.js";

/** Where a new job talks to its member: an interaction (/video, a button) or a channel reply (a reaction). */
export interface Presenter {
  /** Says no to the member only (ephemeral where Discord allows it), in their language; `components`: buy buttons. */
  refuse(text: Message, components?: readonly unknown[]): Promise<void>;
  /** False when a refusal is a message in the channel (a reaction has no interaction to answer). */
  refusesPrivately: boolean;
  /** Shows the first progress message and returns its id. */
  show(body: MessageBody): Promise<string>;
  webhook: InteractionWebhook | null;
}

export interface NewJob {
  guildId: string | null;
  channelId: string;
  userId: string;
  params: VideoParams;
  uploadLimitBytes: number;
  state: Extract<JobState, "accepted" | "image_stored">;
  sourceUrls: Job["sourceUrls"];
  parentJobId?: string;
  /** The language of its public messages (the server's). */
  locale: string;
  /** The language of what only its member reads later (theirs). */
  memberLocale?: string;
  /** A take's picture is already at fal: since when. */
  imageStoredAt?: number | null;
  /** A take's picture was checked with its source: the score it got. */
  pictureScore?: number | null;
}

export function newJob(s: RequestDeps, fields: NewJob): Job {
  const now = Date.now();
  const { params } = fields;
  return {
    id: randomUUID(),
    createdAt: now,
    updatedAt: now,
    progressMessageId: null,
    estimate: estimate(s.tier, params.resolution, params.aspectRatio, params.duration),
    reservation: null,
    falRequestId: null,
    queuePosition: null,
    runningSince: null,
    lastLog: null,
    videoUrl: null,
    resultMessageId: null,
    resultSeed: null,
    error: null,
    cardShown: false,
    parentJobId: fields.parentJobId ?? null,
    ...fields,
  };
}

export function inFlightRefusal(inFlight: number): Message {
  return msg("budget.inFlight", { n: inFlight });
}

/** A budget refusal, with the member's credits when packs are sold (the refusal then offers them). */
export async function refusalText(outcome: Exclude<ReserveOutcome, { ok: true }>, job: Job, s: RequestDeps): Promise<Message> {
  const text = await limitText(outcome, job, s);
  const credits = "creditMicros" in outcome ? outcome.creditMicros : undefined;
  return credits === undefined ? text : msg("credits.withNote", { text, note: msg("credits.short", { credits: usdDown(Math.max(0, credits)) }) });
}

/** The packs' buy buttons, under a refusal the budget or a cap made (when packs are sold). */
export function refusalOffer(outcome: Exclude<ReserveOutcome, { ok: true }>, s: Pick<RequestDeps, "shop">): unknown[] | undefined {
  const money = ["budget", "guild_cap", "spend_cap", "credit_owed"].includes(outcome.reason);
  return money && s.shop.on ? [packButtons(s.shop.packs())] : undefined;
}

async function limitText(outcome: Exclude<ReserveOutcome, { ok: true }>, job: Job, s: RequestDeps): Promise<Message> {
  const resets = `<t:${Math.floor(s.budget.period().end / 1000)}:R>`;
  const cost = job.estimate.upTo ? msg("budget.upTo", { cost: usdUp(job.estimate.micros) }) : usdUp(job.estimate.micros);
  switch (outcome.reason) {
    case "in_flight":
      return inFlightRefusal(outcome.inFlight);
    case "spend_cap":
      return msg("budget.spendCap", { left: usdDown(outcome.remainingMicros), cost, resets });
    case "guild_cap":
      return msg("budget.guildCap", { left: usdDown(outcome.remainingMicros), cost, resets });
    case "released":
      return msg("budget.released");
    case "credit_owed":
      return msg("credits.owedRefusal", { owed: usdUp(outcome.owedMicros) });
    case "budget": {
      const status = await s.budget.status(job.guildId ?? "dm", job.userId);
      return msg("budget.notEnough", { cost, left: usdDown(outcome.remainingMicros), limit: usd(status.limitMicros), resets });
    }
  }
}

/**
 * Records the job with its planned hold (a crash from here on is found on restart: the member is
 * told through the job's kept interaction token, and any hold that landed is refunded); null when
 * the operator paused new videos (the member is told).
 */
export async function recordJob(s: RequestDeps, job: Job, presenter: Presenter): Promise<boolean> {
  const paused = await s.operator.paused();
  if (paused) {
    s.metrics.jobEnded("refused");
    await presenter.refuse(msg("budget.paused", { since: `<t:${Math.floor(paused.at / 1000)}:R>` }));
    return false;
  }
  await s.runner.claim(job.id);
  s.budget.plan(job);
  // kept with the job while it lives, so a process resuming it can still answer the member
  job.webhook = presenter.webhook;
  try {
    await s.runner.saveClaimed(job);
  } catch (err) {
    await s.runner.endUnstarted(job, "The bot could not record this job.", { forget: true });
    throw err;
  }
  return true;
}

/**
 * Holds a recorded job's budget in one atomic step, refusing when the budget or a cap cannot
 * hold it; a job that will not run is final in the store before its claim is let go.
 */
export async function holdJob(s: RequestDeps, job: Job, presenter: Presenter): Promise<boolean> {
  let held: ReserveOutcome;
  try {
    held = await s.budget.reserve(job);
    if (held.ok) await s.runner.saveClaimed(job);
  } catch (err) {
    await s.runner.endUnstarted(job, "The bot could not record this job.");
    throw err;
  }
  if (!held.ok && held.reason === "released") {
    // another process ended this job while this one stalled past its lease, and told the member
    if ((await s.runner.endUnstarted(job, msg("budget.released"))) === "lost") return false;
    await presenter.refuse(msg("budget.released"));
    return false;
  }
  if (!held.ok) {
    s.metrics.jobEnded("refused");
    // The member hears why first: a process that dies between the two leaves a recorded job its
    // restart ends in the member's reply, where forgetting first would leave "thinking…" forever.
    try {
      await presenter.refuse(await refusalText(held, job, s), refusalOffer(held, s));
    } finally {
      // a refusal is not a job: nothing of it stays in the store or the member's history
      await s.runner.endUnstarted(job, "refused by the budget", { forget: true });
    }
    return false;
  }
  return true;
}

/** Shows the first progress message of an admitted job and hands the job to the runner. */
export async function showAndStart(s: RequestDeps, job: Job, presenter: Presenter, images?: JobStartExtras["images"]): Promise<void> {
  const components = progressCard({ ...job, now: Date.now() }, progressComponents(job.id, job.state, job.locale));
  const content = JSON.stringify(components); // as the job's editor keeps it
  let shown: string | undefined;
  try {
    const id = await presenter.show({ flags: COMPONENTS_V2, components, allowed_mentions: { parse: [] } });
    job.progressMessageId = id;
    shown = content;
    await s.repo.linkMessage(id, job.id);
    await s.runner.saveClaimed(job);
  } catch (err) {
    s.log.warn({ job: job.id, err }, "could not show the estimate; the runner will retry");
  }
  s.runner.start(job, { webhook: presenter.webhook, ...(images ? { images } : {}), ...(shown ? { shownContent: shown } : {}) });
}

/** Records the job, screens its pictures, then holds its budget: refused (and told) when any says no. */
export async function admitJob(s: RequestDeps, job: Job, presenter: Presenter): Promise<boolean> {
  return (await recordJob(s, job, presenter)) && (await screenJob(s, job, presenter)) && (await holdJob(s, job, presenter));
}

/** Admits a job whose picture is already at fal (a regeneration) and starts it. */
export async function launchJob(s: RequestDeps, job: Job, presenter: Presenter): Promise<boolean> {
  if (!(await admitJob(s, job, presenter))) return false;
  await showAndStart(s, job, presenter);
  return true;
}

/**
 * For a price question: when the member's budget and credits do not cover the video now, what
 * they have and the packs' buy buttons (packs sold only); undefined otherwise.
 */
export async function shortOffer(s: Pick<RequestDeps, "shop" | "budget">, guildId: string | null, userId: string, costMicros: number): Promise<{ leftMicros: number; buttons: unknown } | undefined> {
  if (!s.shop.on) return undefined;
  const status = await s.budget.status(guildId ?? "dm", userId);
  const leftMicros = status.remainingMicros + Math.max(0, status.creditMicros ?? 0);
  return leftMicros < costMicros ? { leftMicros, buttons: packButtons(s.shop.packs()) } : undefined;
}
