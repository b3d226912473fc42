import { createHash } from "node:crypto";

/**
 * What was sent, as a digest: a card's text is a kilobyte or more, and with thousands of jobs
 * waiting that adds up, while all the editor needs of it is "is this the same text?".
 */
const digest = (content: string) => createHash("sha1").update(content).digest("base64");

/**
 * Keeps one message in step with the latest text without flooding Discord: one edit in
 * flight, at most one per `minIntervalMs`, minor changes only every `minorIntervalMs`, and
 * nothing sent when the text is unchanged. Older pending texts are simply replaced.
 */
export class CoalescingEditor {
  private lastSent: string | null = null;
  private lastSentAt = 0;
  private pending: string | null = null;
  private pendingMajor = false;
  private timer: NodeJS.Timeout | null = null;
  /** Whether the pending timer was set for the short (major) gap. */
  private timerMajor = false;
  private inFlight: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly send: (content: string) => Promise<void>,
    private readonly minIntervalMs: number,
    private readonly minorIntervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Records text already shown (e.g. sent by the command handler itself). */
  markSent(content: string): void {
    this.lastSent = digest(content);
    this.lastSentAt = Date.now();
  }

  update(content: string, major: boolean): void {
    if (this.closed) return;
    if (this.pending === null && digest(content) === this.lastSent) return;
    this.pending = content;
    this.pendingMajor ||= major;
    // A major change must not wait out a minor change's longer timer.
    if (this.pendingMajor && this.timer && !this.timerMajor) this.clearTimer();
    this.schedule();
  }

  /** Sends whatever is pending as soon as the rate allows and resolves when it is out. */
  async flush(): Promise<void> {
    this.pendingMajor = true;
    for (;;) {
      if (this.inFlight) await this.inFlight;
      if (this.pending === null || digest(this.pending) === this.lastSent) return;
      this.clearTimer();
      const wait = this.lastSentAt + this.minIntervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!this.inFlight) this.fire();
    }
  }

  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.inFlight || this.pending === null) return;
    const gap = this.pendingMajor ? this.minIntervalMs : this.minorIntervalMs;
    const delay = Math.max(0, this.lastSentAt + gap - Date.now());
    this.timerMajor = this.pendingMajor;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire();
    }, delay);
  }

  private fire(): void {
    const content = this.pending;
    const sent = content === null ? null : digest(content);
    if (content === null || sent === this.lastSent) {
      this.pending = null;
      return;
    }
    this.pending = null;
    this.pendingMajor = false;
    this.lastSentAt = Date.now();
    this.inFlight = this.send(content)
      .then(() => {
        this.lastSent = sent;
      })
      .catch(this.onError)
      .finally(() => {
        this.inFlight = null;
        if (!this.closed) this.schedule();
      });
  }
}
