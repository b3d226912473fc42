import type { Logger } from "../log/index.js";
import type { DiscordMessages, ProgressTarget } from "../discord/index.js";
import type { Fence } from "../store/index.js";
import { progressComponents } from "../cards/index.js";
import { messageLink } from "../discord/index.js";
import { CoalescingEditor } from "../discord/index.js";
import { backoffMs, isBarred, isMessageGone } from "../jobs/index.js";
import { isFinal, type Job } from "../jobs/index.js";
import { COMPONENTS_V2 } from "../discord/index.js";
import { isMajorChange, progressCard, shownPlace, type ProgressView } from "../cards/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { InteractionWebhook } from "../discord/index.js";

type Image = { bytes: Buffer; type: string; fileName: string };

/** Pictures already in memory from the command, so they need not be fetched twice. */
export interface JobStartExtras {
  webhook?: InteractionWebhook | null;
  /** `release` frees the intake place these pictures hold (bounded memory), once they are at fal. */
  images?: { image: Image; endImage?: Image | undefined; release?: () => void };
  shownContent?: string;
}

export type CancelOutcome = "cancelled" | "too_late" | "finished" | "unknown" | "requested";

export interface LiveDeps {
  messages: DiscordMessages;
  repo: JobRepository;
  log: Logger;
  editIntervalMs: number;
  /** Renews the job's lease and says whether this process still holds it (a lost lease is handled by the caller). */
  confirmLease: () => Promise<boolean>;
}

/**
 * The in-memory side of a job this process runs: its lease (the fence every write shows), its
 * progress message (kept in step through a coalescing editor), its place in the bot's queue, a
 * pending cancel request, and the finished video between delivery attempts.
 */
export class LiveJob {
  readonly target: ProgressTarget;
  readonly editor: CoalescingEditor;
  private view: ProgressView | undefined;
  waitingPosition: number | null = null;
  cancel: { by: string; resolve: (outcome: CancelOutcome) => void; outcome: Promise<CancelOutcome> } | null = null;
  /** The progress message or its channel was deleted: the job cannot reach its member. */
  gone = false;
  /** The bot may no longer edit the progress message (a moderator hid the channel): the job goes on without edits. */
  editsBarred = false;
  /** This process no longer holds the job's lease: it stops driving it and writes nothing more. */
  lost = false;
  /** When the lease was last renewed (a renewal failing for longer than the lease loses the job). */
  renewedAt = Date.now();
  /** fal's status stream did not work for this job: poll instead. */
  pollOnly = false;
  shortStreams = 0;
  /** The finished video, kept between delivery attempts (never downloaded twice). */
  video: Buffer | null = null;
  /** The card shows the job's final state (or there is no card it could be shown on). */
  endShown = false;
  private controller = new AbortController();

  constructor(
    readonly job: Job,
    readonly fence: Fence,
    public extras: JobStartExtras,
    private readonly deps: LiveDeps,
  ) {
    const stored = job.webhook && job.webhook.expiresAt > Date.now() ? job.webhook : null;
    this.target = { channelId: job.channelId, messageId: job.progressMessageId, webhook: extras.webhook ?? stored };
    this.editor = new CoalescingEditor((content) => this.send(content), deps.editIntervalMs, deps.editIntervalMs * 10, (err) =>
      deps.log.warn({ job: job.id, err }, "progress edit failed"),
    );
    if (extras.shownContent) this.editor.markSent(extras.shownContent);
    // the editor keeps what it needs of it; the text itself need not stay in memory while the job waits
    this.extras = { ...extras, shownContent: undefined };
  }

  /** Aborts when the job should stop waiting (a cancel, shutdown, its message gone, its lease lost). */
  get signal(): AbortSignal {
    if (this.controller.signal.aborted) this.controller = new AbortController();
    return this.controller.signal;
  }

  interrupt(): void {
    this.controller.abort();
  }

  /** Waits `ms`, or less when the job is interrupted. */
  sleep(ms: number): Promise<void> {
    const signal = this.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }

  /** Lets go of the pictures (uploaded, or the job ended) and of the intake place they held. */
  dropImages(): void {
    const release = this.extras.images?.release;
    this.extras.images = undefined;
    release?.();
  }

  requestCancel(by: string): Promise<CancelOutcome> {
    if (this.cancel) return this.cancel.outcome;
    let resolve!: (outcome: CancelOutcome) => void;
    const outcome = new Promise<CancelOutcome>((r) => (resolve = r));
    this.cancel = { by, resolve, outcome };
    return outcome;
  }

  /** A new place in the bot's queue: the card is drawn again only when what it shows changes. */
  showPlace(place: number | null): void {
    const shown = place ? shownPlace(place) : null;
    const before = this.waitingPosition ? shownPlace(this.waitingPosition) : null;
    // told about 10,000 jobs at a time: a plain comparison, no allocation beyond the two small objects
    const key = (p: typeof shown) => (p === null ? 0 : "place" in p ? p.place : -p.ahead);
    const same = key(shown) === key(before);
    this.waitingPosition = place;
    // a job near the head (or just out of it) is the one its member watches: its place goes out at
    // the major pace; "about 9,000 ahead" can wait for the minor one
    if (!same) this.refresh((shown !== null && "place" in shown) || (before !== null && "place" in before));
  }

  /** Re-renders the progress message; the editor decides when it goes out. */
  refresh(urgent = false): void {
    const view = viewOf(this.job, this.waitingPosition);
    const major = urgent || isMajorChange(this.view, view);
    this.view = view;
    // the editor compares and coalesces text: the card goes through it as JSON
    this.editor.update(JSON.stringify(cardOf(view, this.job)), major);
  }

  /**
   * Shows a job's end as the store has it, once, outside the editor and without the lease: after
   * this process lost the job, its stale edits must not be the card's last word. The end is the
   * truth whoever shows it, so two processes showing it do no harm.
   */
  async showEnd(ended: Job): Promise<void> {
    if (this.gone || this.editsBarred || !ended.progressMessageId) return;
    const target = { ...this.target, messageId: ended.progressMessageId };
    await this.deps.messages.editProgress(target, { flags: COMPONENTS_V2, components: cardOf(viewOf(ended, null), ended), allowed_mentions: { parse: [] } }, { mayCreate: false });
  }

  /** After this process lost the job: waits for its end (its new driver may still run it), then shows it once; gives up after ten minutes. */
  async showEndOnceEnded(stopping: () => boolean): Promise<void> {
    const until = Date.now() + 10 * 60_000;
    for (let failures = 0; !stopping() && Date.now() < until; ) {
      try {
        const stored = await this.deps.repo.get(this.job.id);
        if (!stored) return;
        if (isFinal(stored)) {
          await this.showEnd(stored);
          this.deps.log.debug({ job: this.job.id, state: stored.state }, "after losing the job: its end shown again");
          return;
        }
        failures = 0;
        await new Promise((r) => setTimeout(r, 2_000).unref());
      } catch (err) {
        // the store or Discord may be away for a moment (a stall often comes with one)
        if (++failures >= 8) return this.deps.log.warn({ job: this.job.id, err }, "could not show again the end of a job this process lost");
        await new Promise((r) => setTimeout(r, backoffMs(failures, 250)).unref());
      }
    }
  }

  private async send(card: string): Promise<void> {
    const final = isFinal(this.job);
    if (this.editsBarred || this.gone) {
      this.endShown ||= final; // nowhere to show it
      return;
    }
    // A job that ended before it was ever shown (a restart before its hold was confirmed) has no
    // card to edit: a new public message would be a ghost the member never asked about.
    const mayCreate = !(isFinal(this.job) && !this.job.progressMessageId);
    // A process that stalled past its lease (a long pause, a stopped container) must not paint an
    // old state over what the job's new driver showed: it proves its lease before each edit.
    if (this.lost || !(await this.deps.confirmLease())) return;
    let id: string | null;
    this.deps.log.debug({ job: this.job.id, state: this.job.state, message: this.target.messageId, viaWebhook: Boolean(this.target.webhook) }, "progress edit");
    try {
      id = await this.deps.messages.editProgress(this.target, { flags: COMPONENTS_V2, components: JSON.parse(card) as unknown[], allowed_mentions: { parse: [] } }, { mayCreate });
    } catch (err) {
      if (isMessageGone(err)) {
        this.gone = true;
        this.interrupt();
      } else if (isBarred(err)) {
        // a moderator may hide the channel for a while: stop editing, never abandon the job for it
        this.editsBarred = true;
      }
      throw err;
    }
    this.deps.log.debug({ job: this.job.id, state: this.job.state, message: id }, "progress edited");
    if (final) this.endShown = true; // shown, or (never shown before) nothing to show it on
    if (id !== null && this.job.progressMessageId !== id && !this.lost) {
      this.job.progressMessageId = id;
      await this.deps.repo.linkMessage(id, this.job.id);
      await this.deps.repo.save(this.job, this.fence);
    }
  }
}

function viewOf(job: Job, waitingPosition: number | null): ProgressView {
  return {
    userId: job.userId,
    state: job.state,
    params: job.params,
    estimate: job.estimate,
    queuePosition: job.queuePosition,
    waitingPosition,
    runningSince: job.runningSince,
    lastLog: job.lastLog,
    error: job.error,
    resultUrl: job.resultMessageId ? messageLink(job.guildId, job.channelId, job.resultMessageId) : null,
    now: Date.now(),
    locale: job.locale,
  };
}

function cardOf(view: ProgressView, job: Job): unknown[] {
  return progressCard(view, progressComponents(job.id, job.state, job.locale)) as unknown[];
}
