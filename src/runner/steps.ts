import { ApiError } from "@fal-ai/client";
import { fetchImage } from "../discord/index.js";
import { DownloadError } from "../http/index.js";
import { msg } from "../i18n/index.js";
import type { FalStatus } from "../seedance/index.js";
import { describeFalError } from "../seedance/index.js";
import { buildSeedanceInput, seedanceOutputSchema, type SeedanceOutput } from "../seedance/index.js";
import type { FalWebhook } from "../seedance/index.js";
import { SubmitOutcomeUnknown } from "../seedance/index.js";
import { REGENERATE_EMOJI, resultComponents } from "../cards/index.js";
import { downloadVideo, postVideo, videoCost, type Delivery } from "../delivery/index.js";
import { costFromUnits } from "../jobs/index.js";
import { isBarred, isChannelGone, isTransient, JobFailure } from "../jobs/index.js";
import { reservationStatus, type Job, type JobState } from "../jobs/index.js";
import type { LiveJob } from "./live.js";
import type { JobStartExtras } from "./live.js";
import type { RunnerOptions } from "./options.js";

type Transition = (live: LiveJob, state: JobState, patch?: Partial<Job>) => Promise<void>;

/** The bot may not post where the job was asked for, for now: tried again until the delivery deadline. */
export class DeliveryBarred extends Error {
  override name = "DeliveryBarred";
}

/**
 * The steps that talk to the outside, one per state. Each leaves the job in its next state
 * (written to the store, fenced by the job's lease) or throws: a passing error is retried by the
 * runner, anything else ends the job.
 */
export class JobSteps {
  constructor(
    private readonly o: RunnerOptions,
    private readonly transition: Transition,
    private readonly stopping: () => boolean,
    private readonly closeBooks: (live: LiveJob) => Promise<void>,
  ) {}

  async storeImages(live: LiveJob): Promise<void> {
    const { job } = live;
    const images = live.extras.images ?? (await this.refetchImages(job));
    live.extras.images = images; // kept for a retry if the upload fails for a passing reason
    const imageUrl = await this.o.seedance.uploadImage(images.image.bytes, images.image.type, images.image.fileName);
    const endImageUrl = images.endImage ? await this.o.seedance.uploadImage(images.endImage.bytes, images.endImage.type, images.endImage.fileName) : undefined;
    live.dropImages();
    await this.transition(live, "image_stored", { params: { ...job.params, imageUrl, endImageUrl }, sourceUrls: null, imageStoredAt: Date.now() });
  }

  /** After a restart the pictures are fetched again from Discord (their URLs live about a day). */
  private async refetchImages(job: Job): Promise<NonNullable<JobStartExtras["images"]>> {
    const urls = job.sourceUrls;
    try {
      if (!urls) throw new Error("no source URLs");
      const image = await fetchImage({ url: urls.image, name: "picture" }, "picture");
      const endImage = urls.endImage ? await fetchImage({ url: urls.endImage, name: "end picture" }, "endPicture") : undefined;
      return { image, endImage };
    } catch {
      throw new JobFailure(msg("job.refetchFailed"));
    }
  }

  async submit(live: LiveJob, deadline: number): Promise<void> {
    const { job } = live;
    const input = buildSeedanceInput(job.params, job.userId);
    if (reservationStatus(job) !== "held") throw new JobFailure(msg("job.noReservation"));
    // The wait for a slot ends at the job's deadline: the runner then times the job out.
    const owner = { guild: job.guildId ?? "dm", member: job.userId };
    const granted = await this.o.slots.acquire(job.id, { owner, onPlace: (place) => live.showPlace(place), timeoutMs: deadline - Date.now(), fence: live.fence });
    live.waitingPosition = null;
    if (!granted || this.stopping() || live.cancel || live.lost) return;
    if (Date.now() > deadline) return this.o.slots.release(job.id); // never sent after its deadline
    // The operator's brake: while it holds, nothing more goes to fal.
    if (await this.o.paused()) {
      this.o.slots.release(job.id);
      throw new JobFailure(msg("job.paused"));
    }
    // Written first, fenced: proves this process holds the job now, and a crash during the call
    // leaves "submitting", which is never sent twice.
    await this.transition(live, "submitting");
    let queued;
    try {
      queued = await this.o.seedance.submit(input);
    } catch (err) {
      if (err instanceof SubmitOutcomeUnknown) {
        // fal may have queued (and will bill) it; without its request id it cannot be followed
        this.o.log.error({ job: job.id, err }, "fal submit outcome unknown: fal may have queued and billed this job; it is not sent again");
        throw new JobFailure(msg("job.answerLost"));
      }
      // fal's answer proves it did not queue the job: a passing refusal may be tried again
      await this.transition(live, "image_stored");
      throw err;
    }
    // the state and fal's request id → job link in one write: a webhook finds its job from now on
    Object.assign(job, { state: "submitted", falRequestId: queued.requestId, queuePosition: queued.queuePosition, submittedAt: Date.now() });
    await this.o.repo.saveSubmitted(job, live.fence);
    live.refresh();
    this.o.log.info({ job: job.id, requestId: queued.requestId }, "submitted to fal");
  }

  /**
   * Follows the job at fal: on the status stream while it works (one request for the whole
   * wait, and the end is seen at once), else by one status poll; the runner paces the calls.
   */
  async watch(live: LiveJob, deadline: number): Promise<void> {
    const { job } = live;
    const requestId = job.falRequestId!;
    // fal's webhook, when it came, is the end: whatever the status route says (or fails to)
    const hook = await this.o.repo.falResult<FalWebhook>(requestId);
    if (hook) return this.collect(live, hook);
    if (!live.pollOnly) {
      const opened = Date.now();
      // statuses are applied in order; a failed one (the store away) is kept, never left unhandled
      // while the stream is open (an unhandled rejection ends the process)
      let applying = Promise.resolve();
      let applyFailed: { err: unknown } | undefined;
      const onStatus = (s: FalStatus) => {
        applying = applying.then(() => (applyFailed ? undefined : this.apply(live, s))).catch((err: unknown) => void (applyFailed ??= { err }));
      };
      let last: FalStatus | undefined;
      try {
        const until = AbortSignal.any([live.signal, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]);
        last = await this.o.seedance.watch(requestId, onStatus, until, this.stallMs);
      } catch (err) {
        if (isTransient(err)) throw err;
        live.pollOnly = true; // fal refused the stream: poll this job from now on
        this.o.log.warn({ job: job.id, err }, "fal status stream refused; polling instead");
      } finally {
        await applying;
      }
      if (applyFailed) throw applyFailed.err;
      if (last?.status === "COMPLETED") return this.collect(live);
      // a stream that keeps ending at once would cost more requests than polling
      live.shortStreams = Date.now() - opened < this.o.pollIntervalMs ? live.shortStreams + 1 : 0;
      if (live.shortStreams >= 3) live.pollOnly = true;
      if (live.signal.aborted) return;
    }
    let status: FalStatus | undefined;
    try {
      // fal's client retries a failing status call for half a minute: a webhook or a cancel does not wait for it
      status = await untilAborted(this.o.seedance.status(requestId), live.signal);
      if (!status) return;
    } catch (err) {
      // status errors never mean the job failed (fal has no FAILED status): ask again later
      throw Object.assign(new Error(`fal status: ${(err as Error).message}`), { cause: err });
    }
    await this.apply(live, status);
    if (status.status === "COMPLETED") await this.collect(live);
  }

  private get stallMs(): number {
    return Math.max(30_000, 15 * this.o.pollIntervalMs);
  }

  private async apply(live: LiveJob, status: FalStatus): Promise<void> {
    const { job } = live;
    if (status.status === "IN_QUEUE") {
      if (job.queuePosition !== status.queuePosition) {
        job.queuePosition = status.queuePosition;
        live.refresh();
      }
    } else if (status.status === "IN_PROGRESS") {
      if (job.state !== "running") {
        if (job.submittedAt) this.o.metrics.falQueueSeconds((Date.now() - job.submittedAt) / 1000);
        await this.transition(live, "running", { runningSince: Date.now(), queuePosition: null });
      }
      if (status.lastLog) job.lastLog = status.lastLog;
      live.refresh();
    }
  }

  /**
   * The end of the render: the video's address and fal's bill. A webhook whose payload is the
   * output is enough; anything else (an error, an OK without a usable payload) is read from the
   * queue's result route, which also gives the billed units.
   */
  private async collect(live: LiveJob, hook?: FalWebhook): Promise<void> {
    const { job } = live;
    const requestId = job.falRequestId!;
    const fromHook = hook?.status === "OK" ? seedanceOutputSchema.safeParse(hook.payload) : undefined;
    let output: SeedanceOutput;
    if (fromHook?.success) {
      output = fromHook.data;
    } else {
      try {
        output = await this.o.seedance.result(requestId);
      } catch (err) {
        if (isTransient(err)) throw err;
        // a failed render: fal's bill is what it reported, else nothing
        job.falCost = costFromUnits(this.o.seedance.billableUnits(requestId), this.o.unitPriceMicros) ?? { micros: 0, source: "none" };
        const described = describeFalError(err);
        this.o.log.warn({ job: job.id, type: described.type, status: err instanceof ApiError ? err.status : undefined, webhook: Boolean(hook) }, "fal result failed");
        throw new JobFailure(described.message);
      }
    }
    this.o.slots.release(job.id);
    if (job.runningSince) this.o.metrics.falRenderSeconds((Date.now() - job.runningSince) / 1000);
    const falCost = costFromUnits(this.o.seedance.billableUnits(requestId), this.o.unitPriceMicros); // else measured on delivery
    await this.transition(live, "delivering", { videoUrl: output.video.url, resultSeed: output.seed ?? null, falCost, deliveringSince: Date.now() });
  }

  /**
   * Posts the video: downloaded once (kept between attempts), uploaded with a timeout that fits
   * its size. Where the bot may not post for now, it tries again until the delivery deadline;
   * a channel that is gone, or a video fal no longer serves, ends the job undelivered.
   */
  async deliver(live: LiveJob): Promise<void> {
    const { job } = live;
    live.video ??= await downloadVideo(job.videoUrl!).catch((err: unknown) => {
      if (err instanceof DownloadError && err.final) throw new JobFailure(msg("job.videoGone"));
      throw err; // a passing fault: tried again
    });
    await this.post(live, { video: live.video });
  }

  /** Past the delivery deadline: a link to fal's copy, once; if even that cannot be posted, the job ends undelivered. */
  async deliverLink(live: LiveJob): Promise<void> {
    try {
      await this.post(live, { linkOnly: true });
    } catch (err) {
      if (err instanceof JobFailure) throw err;
      this.o.log.warn({ job: live.job.id, err }, "the video could not be posted in time, not even as a link");
      throw new JobFailure(msg("job.notDelivered", { why: msg("job.couldNotPost") }));
    }
  }

  private async post(live: LiveJob, what: Delivery): Promise<void> {
    const { job } = live;
    const measured = what.video ? videoCost(job, this.o.tier, what.video) : { micros: job.estimate.micros, seconds: job.estimate.seconds };
    const falCost = job.falCost ?? { micros: measured.micros, source: what.video ? ("video" as const) : ("assumed" as const) };
    const charge = Math.min(falCost.micros, job.reservation!.micros);
    let resultMessageId: string;
    try {
      resultMessageId = await postVideo(this.o.messages, job, what, { seed: job.resultSeed, seconds: measured.seconds, costMicros: charge }, resultComponents(job.id, job.locale), live.target.webhook);
    } catch (err) {
      if (isChannelGone(err)) throw new JobFailure(msg("job.notDelivered", { why: msg("job.channelGone") }));
      if (isBarred(err)) throw new DeliveryBarred("the bot may not post in the job's channel for now", { cause: err });
      throw err;
    }
    job.resultMessageId = resultMessageId;
    await this.o.repo.save(job, live.fence);
    await this.o.repo.linkMessage(resultMessageId, job.id);
    await this.transition(live, "delivered", { chargeMicros: charge, falCost });
    live.video = null;
    await this.closeBooks(live);
    try {
      await this.o.messages.react(job.channelId, resultMessageId, REGENERATE_EMOJI);
    } catch (err) {
      this.o.log.warn({ job: job.id, err }, "could not add the 🔁 reaction");
    }
  }
}

/** The promise's value, or undefined as soon as `signal` aborts (the promise then settles unheard). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
      (err: unknown) => (signal.removeEventListener("abort", onAbort), reject(err)),
    );
    promise.catch(() => undefined);
  });
}
