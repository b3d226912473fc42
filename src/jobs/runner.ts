import { ApiError } from "@fal-ai/client";
import type { Logger } from "../log/logger.js";
import { fetchImage } from "../discord/attachments.js";
import { DiscordMessages, type InteractionWebhook, type ProgressTarget } from "../discord/messages.js";
import type { Seedance } from "../seedance/client.js";
import { describeFalError } from "../seedance/errors.js";
import { buildSeedanceInput } from "../seedance/input.js";
import type { Tier } from "../seedance/pricing.js";
import { actualCost, downloadVideo, messageLink, postVideo } from "./delivery.js";
import { CoalescingEditor } from "./editor.js";
import type { Slots } from "./slots.js";
import { isCancellable, progressComponents, REGENERATE_EMOJI, resultComponents } from "./controls.js";
import { isFinal, type Job, type JobState } from "./job.js";
import { isMajorChange, renderProgress, type ProgressView } from "./progress.js";
import type { JobRepository } from "./repository.js";

/** The budget's part in a job: hold before fal, settle on delivery, refund otherwise. */
export interface JobAccounting {
  reserve(job: Job): Promise<{ ok: boolean }>;
  settle(job: Job, micros: number): Promise<void>;
  refund(job: Job): Promise<void>;
}

export interface RunnerOptions {
  repo: JobRepository;
  seedance: Seedance;
  messages: DiscordMessages;
  log: Logger;
  tier: Tier;
  accounting: JobAccounting;
  slots: Slots;
  pollIntervalMs: number;
  editIntervalMs: number;
}

/** Pictures already in memory from the command, so they need not be fetched twice. */
export interface JobStartExtras {
  webhook?: InteractionWebhook | null;
  images?: { image: { bytes: Buffer; type: string; fileName: string }; endImage?: { bytes: Buffer; type: string; fileName: string } | undefined };
  shownContent?: string;
}

interface LiveJob {
  job: Job;
  target: ProgressTarget;
  editor: CoalescingEditor;
  view: ProgressView | undefined;
  extras: JobStartExtras;
  waitingPosition: number | null;
  components: unknown[];
  cancel: { by: string; resolve: (outcome: CancelOutcome) => void; outcome: Promise<CancelOutcome> } | null;
}

export type CancelOutcome = "cancelled" | "too_late" | "finished" | "unknown";

/** A failure to tell the member about, in plain words. */
class JobFailure extends Error {}

export class JobRunner {
  private readonly live = new Map<string, LiveJob>();
  private readonly running = new Set<Promise<void>>();
  private stopping = false;
  private readonly wake = new Set<() => void>();

  constructor(private readonly o: RunnerOptions) {}

  get activeCount(): number {
    return this.live.size;
  }

  start(job: Job, extras: JobStartExtras = {}): void {
    if (this.live.has(job.id) || isFinal(job) || this.stopping) return;
    const target: ProgressTarget = { channelId: job.channelId, messageId: job.progressMessageId, webhook: extras.webhook ?? null };
    const live: LiveJob = { job, target, extras, view: undefined, editor: undefined!, waitingPosition: null, components: [], cancel: null };
    if (job.state === "submitted" || job.state === "running") this.o.slots.hold(job.id);
    live.editor = new CoalescingEditor(
      (content) => this.sendProgress(live, content),
      this.o.editIntervalMs,
      this.o.editIntervalMs * 10,
      (err) => this.o.log.warn({ job: job.id, err }, "progress edit failed"),
    );
    if (extras.shownContent) live.editor.markSent(extras.shownContent);
    this.live.set(job.id, live);
    const run = this.drive(live).finally(() => {
      this.live.delete(job.id);
      this.running.delete(run);
    });
    this.running.add(run);
  }

  /**
   * Asks to cancel a job. Jobs not yet at fal stop at once; queued ones are cancelled at fal
   * first; a render that has started cannot be stopped (fal has no way to), so that is "too late".
   */
  async cancel(jobId: string, by: string): Promise<CancelOutcome> {
    const live = this.live.get(jobId);
    if (!live) {
      const job = await this.o.repo.get(jobId);
      return job && isFinal(job) ? "finished" : "unknown";
    }
    if (!isCancellable(live.job.state)) return isFinal(live.job) ? "finished" : "too_late";
    if (live.cancel) return live.cancel.outcome;
    let resolve!: (outcome: CancelOutcome) => void;
    const outcome = new Promise<CancelOutcome>((r) => (resolve = r));
    live.cancel = { by, resolve, outcome };
    this.o.slots.withdraw(jobId);
    for (const w of this.wake) w();
    return outcome;
  }

  /** Picks up every unfinished job in the store (after a restart). */
  async resumeAll(): Promise<number> {
    const jobs = await this.o.repo.active();
    for (const job of jobs) this.start(job);
    return jobs.length;
  }

  /** Stops polling, lets in-flight steps write their state, and waits up to `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const w of this.wake) w();
    this.o.slots.wakeAll();
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private async drive(live: LiveJob): Promise<void> {
    const { job } = live;
    try {
      this.refresh(live);
      await this.ensureReservation(live);
      while (!isFinal(job) && !this.stopping) {
        if (live.cancel && (await this.handleCancel(live))) break;
        if (job.state === "accepted") await this.storeImages(live);
        else if (job.state === "image_stored") await this.submit(live);
        else if (job.state === "submitted" || job.state === "running") await this.watch(live);
        else if (job.state === "delivering") await this.deliver(live);
      }
    } catch (err) {
      if (this.stopping && !(err instanceof JobFailure)) return;
      const message =
        err instanceof JobFailure
          ? err.message
          : err instanceof ApiError
            ? describeFalError(err).message
            : "Something went wrong on the bot's side while handling this video. Nothing was charged.";
      if (!(err instanceof JobFailure)) this.o.log.error({ job: job.id, state: job.state, err }, "job failed");
      await this.finish(live, "failed", message);
    } finally {
      this.o.slots.release(job.id);
      if (isFinal(job)) await live.editor.flush();
      live.editor.close();
    }
  }

  /** Runs a requested cancel inside the job's own loop, so it never races a state change. */
  private async handleCancel(live: LiveJob): Promise<boolean> {
    const { job } = live;
    const request = live.cancel!;
    live.cancel = null;
    const atFal = job.state === "submitted" && job.falRequestId;
    if (!isCancellable(job.state) || (atFal && !(await this.o.seedance.cancel(job.falRequestId!)))) {
      request.resolve("too_late");
      return false;
    }
    await this.finish(live, "cancelled", `Cancelled by <@${request.by}>. Nothing was charged.`);
    this.o.log.info({ job: job.id, by: request.by, atFal: Boolean(atFal) }, "job cancelled");
    request.resolve("cancelled");
    return true;
  }

  private async transition(live: LiveJob, state: JobState, patch: Partial<Job> = {}): Promise<void> {
    Object.assign(live.job, patch, { state });
    await this.o.repo.save(live.job);
    this.refresh(live);
  }

  private async finish(live: LiveJob, state: "failed" | "cancelled", message: string): Promise<void> {
    await this.o.accounting.refund(live.job);
    await this.transition(live, state, { error: message });
  }

  /** A restart between saving a job and holding its budget: the hold is idempotent per job. */
  private async ensureReservation(live: LiveJob): Promise<void> {
    const { job } = live;
    if (job.reservation || (job.state !== "accepted" && job.state !== "image_stored")) return;
    if (!(await this.o.accounting.reserve(job)).ok) throw new JobFailure("Your budget no longer covers this video. Nothing was charged.");
    await this.o.repo.save(job);
  }

  private async storeImages(live: LiveJob): Promise<void> {
    const { job, extras } = live;
    const images = extras.images ?? (await this.refetchImages(job));
    let imageUrl: string;
    let endImageUrl: string | undefined;
    try {
      imageUrl = await this.o.seedance.uploadImage(images.image.bytes, images.image.type, images.image.fileName);
      if (images.endImage) endImageUrl = await this.o.seedance.uploadImage(images.endImage.bytes, images.endImage.type, images.endImage.fileName);
    } catch (err) {
      this.o.log.error({ job: job.id, err }, "upload to fal storage failed");
      throw new JobFailure("The bot could not send your picture to the model. Please try again; you were not charged.");
    }
    live.extras.images = undefined;
    await this.transition(live, "image_stored", { params: { ...job.params, imageUrl, endImageUrl }, sourceUrls: null });
  }

  /** After a restart the pictures are fetched again from Discord (their URLs live about a day). */
  private async refetchImages(job: Job): Promise<NonNullable<JobStartExtras["images"]>> {
    const urls = job.sourceUrls;
    try {
      if (!urls) throw new Error("no source URLs");
      const image = await fetchImage({ url: urls.image, name: "picture" }, "picture");
      const endImage = urls.endImage ? await fetchImage({ url: urls.endImage, name: "end picture" }, "end picture") : undefined;
      return { image, endImage };
    } catch {
      throw new JobFailure("The bot restarted before your picture reached the model and could not fetch it again. Please run the command again; you were not charged.");
    }
  }

  private async submit(live: LiveJob): Promise<void> {
    const { job } = live;
    const input = buildSeedanceInput(job.params, job.userId);
    if (!job.reservation) throw new JobFailure("This job has no budget reservation, so it was not sent. Nothing was charged.");
    const granted = await this.o.slots.acquire(job.id, (place) => {
      live.waitingPosition = place;
      this.refresh(live);
    });
    live.waitingPosition = null;
    if (!granted || this.stopping || live.cancel) return;
    const { requestId, queuePosition } = await this.o.seedance.submit(input);
    await this.transition(live, "submitted", { falRequestId: requestId, queuePosition });
    this.o.log.info({ job: job.id, requestId }, "submitted to fal");
  }

  private async watch(live: LiveJob): Promise<void> {
    const { job } = live;
    const requestId = job.falRequestId!;
    let failures = 0;
    while (!this.stopping && !live.cancel) {
      let status;
      try {
        status = await this.o.seedance.status(requestId);
        failures = 0;
      } catch (err) {
        // fal's client already retried; keep watching with a growing pause
        failures++;
        this.o.log.warn({ job: job.id, err, failures }, "fal status failed");
        await this.sleep(Math.min(60_000, this.o.pollIntervalMs * 2 ** Math.min(failures, 6)));
        continue;
      }
      if (status.status === "IN_QUEUE") {
        if (job.queuePosition !== status.queuePosition) {
          job.queuePosition = status.queuePosition;
          this.refresh(live);
        }
      } else if (status.status === "IN_PROGRESS") {
        if (job.state !== "running") await this.transition(live, "running", { runningSince: Date.now(), queuePosition: null });
        if (status.lastLog && status.lastLog !== job.lastLog) job.lastLog = status.lastLog;
        this.refresh(live);
      } else {
        await this.collect(live);
        return;
      }
      await this.sleep(this.o.pollIntervalMs);
    }
  }

  private async collect(live: LiveJob): Promise<void> {
    const { job } = live;
    this.o.slots.release(job.id);
    try {
      const output = await this.o.seedance.result(job.falRequestId!);
      await this.transition(live, "delivering", { videoUrl: output.video.url, resultSeed: output.seed ?? null });
    } catch (err) {
      const described = describeFalError(err);
      this.o.log.warn({ job: job.id, type: described.type, status: err instanceof ApiError ? err.status : undefined }, "fal result failed");
      throw new JobFailure(described.message);
    }
  }

  private async deliver(live: LiveJob): Promise<void> {
    const { job } = live;
    const video = await downloadVideo(job.videoUrl!);
    const cost = actualCost(job, this.o.tier, video);
    const resultMessageId = await postVideo(
      this.o.messages,
      job,
      video,
      { seed: job.resultSeed, seconds: cost.seconds, costMicros: cost.micros },
      resultComponents(job.id),
    );
    await this.o.repo.linkMessage(resultMessageId, job.id);
    await this.o.accounting.settle(job, cost.micros);
    await this.transition(live, "delivered", { resultMessageId });
    try {
      await this.o.messages.react(job.channelId, resultMessageId, REGENERATE_EMOJI);
    } catch (err) {
      this.o.log.warn({ job: job.id, err }, "could not add the 🔁 reaction");
    }
  }

  private refresh(live: LiveJob): void {
    const { job } = live;
    const view: ProgressView = {
      userId: job.userId,
      state: job.state,
      params: job.params,
      estimate: job.estimate,
      queuePosition: job.queuePosition,
      waitingPosition: live.waitingPosition,
      runningSince: job.runningSince,
      lastLog: job.lastLog,
      error: job.error,
      resultUrl: job.resultMessageId ? messageLink(job.guildId, job.channelId, job.resultMessageId) : null,
      now: Date.now(),
    };
    const major = isMajorChange(live.view, view);
    live.view = view;
    live.components = progressComponents(job.id, job.state);
    live.editor.update(renderProgress(view), major);
  }

  private async sendProgress(live: LiveJob, content: string): Promise<void> {
    const id = await this.o.messages.editProgress(live.target, { content, allowed_mentions: { parse: [] }, components: live.components });
    if (live.job.progressMessageId !== id) {
      live.job.progressMessageId = id;
      await this.o.repo.linkMessage(id, live.job.id);
      await this.o.repo.save(live.job);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }
}
