/**
 * A queued Seedance job whose state is derived from its timeline and the clock:
 * IN_QUEUE (positions, each held stepMs) -> IN_PROGRESS (runMs, logs revealed progressively) -> COMPLETED.
 * The outcome (video file or error body) and what fal charges for it are computed once: a video's
 * right after the submit, an error's the first time the job is seen completed.
 * A cancel is only a request (JobTimeline.cancel): one fal does not honour leaves the timeline as it was.
 */
import { makeMp4 } from "../mp4.js";
import { billedUnitsFor } from "./billing.js";
import { type FalErrorDetail, fileError, imageKind } from "./schema.js";
import type { FakeStorage } from "./storage.js";
import { type FakeJob, type JobState, type JobTimeline, expectedVideo } from "./types.js";

const MAX_IMAGE_BYTES = 30 * 1024 * 1024;
const QUEUE_HOST = "https://queue.fal.run";

export interface JobResult {
  status: number;
  body: unknown;
  /** fal's x-fal-billable-units for the result, when it reports them (what fal tells). */
  billableUnits?: number;
}

/** The outcome of an ended job: the result route's reply, and what fal charges for it. */
interface Ended {
  reply: JobResult;
  billed: number;
}

const CANCELLED: Ended = { reply: { status: 400, body: { detail: "Request was cancelled" } }, billed: 0 };

interface Phase {
  state: "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";
  position?: number;
  logCount: number;
}

export class Job implements FakeJob {
  video?: Buffer;
  videoUrl?: string;
  readonly seed: number;
  cancelledAt?: number;
  releasedAt?: number;
  /** The submit's `fal_webhook` (queue submits only). */
  webhookUrl?: string;
  private ended?: Ended;

  constructor(
    readonly requestId: string,
    readonly endpoint: string,
    readonly input: any,
    readonly submittedAt: number,
    readonly timeline: JobTimeline,
    private readonly storage: FakeStorage,
  ) {
    this.seed = typeof input?.seed === "number" ? input.seed : Math.floor(Math.random() * 2 ** 31);
    // The output file exists before fal says COMPLETED (as at fal): making it then would
    // count the fake's own work as the bot's delivery time.
    if (timeline.outcome.kind === "video") setImmediate(() => this.finish());
  }

  /** owner/alias, e.g. "bytedance/seedance-2.0": the app part used by status/result/cancel URLs. */
  get app(): string {
    return this.endpoint.split("/").slice(0, 2).join("/");
  }

  get urls(): { request_id: string; response_url: string; status_url: string; cancel_url: string } {
    const base = `${QUEUE_HOST}/${this.app}/requests/${this.requestId}`;
    return { request_id: this.requestId, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  }

  private get queueEnd(): number {
    return this.submittedAt + this.timeline.queuePositions.length * this.timeline.stepMs;
  }

  phase(now = Date.now()): Phase {
    const t = this.timeline;
    const all = t.logs.length;
    if (this.cancelledAt !== undefined) return { state: "COMPLETED", logCount: 0 };
    if (this.releasedAt !== undefined && now >= this.releasedAt) return { state: "COMPLETED", logCount: all };
    if (now < this.queueEnd) {
      const idx = Math.min(Math.floor((now - this.submittedAt) / t.stepMs), t.queuePositions.length - 1);
      return { state: "IN_QUEUE", position: t.queuePositions[idx] ?? 0, logCount: 0 };
    }
    const ran = now - this.queueEnd;
    if (ran < t.runMs || t.outcome.kind === "never") {
      const revealed = t.runMs <= 0 ? all : Math.floor(ran / (t.runMs / Math.max(all, 1))) + 1;
      return { state: "IN_PROGRESS", logCount: Math.min(all, revealed) };
    }
    return { state: "COMPLETED", logCount: all };
  }

  /** When fal would report this job COMPLETED (undefined while it may never end). */
  get completedAt(): number | undefined {
    if (this.cancelledAt !== undefined) return this.cancelledAt;
    if (this.releasedAt !== undefined) return this.releasedAt;
    return this.timeline.outcome.kind === "never" ? undefined : this.queueEnd + this.timeline.runMs;
  }

  /** When the status may next change, so a stream can sleep until then instead of spinning. */
  nextChangeAt(now = Date.now()): number {
    const t = this.timeline;
    if (now < this.queueEnd) return this.submittedAt + (Math.floor((now - this.submittedAt) / t.stepMs) + 1) * t.stepMs;
    const end = this.completedAt ?? Infinity;
    const logStep = t.logs.length ? t.runMs / t.logs.length : Infinity;
    const nextLog = logStep === Infinity ? Infinity : this.queueEnd + (Math.floor((now - this.queueEnd) / logStep) + 1) * logStep;
    return Math.min(end, nextLog);
  }

  get state(): JobState {
    if (this.cancelledAt !== undefined) return "CANCELLED";
    const s = this.phase().state;
    if (s === "COMPLETED") this.finish();
    return s;
  }

  cancel(now = Date.now()): void {
    this.cancelledAt = now;
  }

  /**
   * fal's handling of `PUT …/cancel` (JobTimeline.cancel): "already-completed" for a request that
   * ended (or was cancelled); else whether fal stops it, which it then does. A cancel fal does not
   * honour changes nothing: the request runs on as if never asked.
   */
  requestCancel(now = Date.now()): "already-completed" | { honoured: boolean } {
    if (this.cancelledAt !== undefined) return "already-completed";
    const p = this.phase(now);
    if (p.state === "COMPLETED") return "already-completed";
    const mode = this.timeline.cancel ?? "auto";
    // "auto": only a request still waiting behind others is dropped; one about to start or
    // running is in its runner's hands, and Seedance's runner finishes the video
    const honoured = mode === "honoured" || (mode === "auto" && p.state === "IN_QUEUE" && (p.position ?? 0) > 0);
    if (honoured) this.cancel(now);
    return { honoured };
  }

  /** What fal charges for this request (FakeFal.billedUnits): null until it ended. */
  billedUnits(now = Date.now()): number | null {
    if (this.cancelledAt !== undefined) return 0;
    if (this.phase(now).state !== "COMPLETED") return null;
    return this.finish().billed;
  }

  release(now = Date.now()): void {
    if (this.cancelledAt === undefined && this.releasedAt === undefined && this.phase(now).state !== "COMPLETED") {
      this.releasedAt = now;
    }
  }

  logs(count: number): Array<{ message: string; level: string; source: string; timestamp: string }> {
    const step = this.timeline.runMs / Math.max(this.timeline.logs.length, 1);
    return this.timeline.logs.slice(0, count).map((message, i) => ({
      message,
      level: "INFO",
      source: "user",
      timestamp: new Date(this.queueEnd + i * step).toISOString(),
    }));
  }

  /** The body of GET .../requests/<id>/status (HTTP 202 unless COMPLETED -> 200). */
  statusBody(withLogs: boolean, now = Date.now()): { httpStatus: number; body: Record<string, unknown> } {
    const p = this.phase(now);
    if (p.state === "IN_QUEUE") {
      return { httpStatus: 202, body: { status: "IN_QUEUE", ...this.urls, queue_position: p.position } };
    }
    const logs = withLogs ? this.logs(p.logCount) : null;
    if (p.state === "IN_PROGRESS") return { httpStatus: 202, body: { status: "IN_PROGRESS", ...this.urls, logs } };
    this.finish();
    const inference = this.cancelledAt !== undefined ? null : this.timeline.runMs / 1000;
    return { httpStatus: 200, body: { status: "COMPLETED", ...this.urls, logs, metrics: { inference_time: inference } } };
  }

  /** The reply of GET .../requests/<id>. */
  resultReply(now = Date.now()): JobResult {
    if (this.cancelledAt !== undefined) return CANCELLED.reply;
    if (this.phase(now).state !== "COMPLETED") return { status: 400, body: { detail: "Request is still in progress" } };
    return this.finish().reply;
  }

  /**
   * Computes (once) the outcome: input image checks, then the timeline's outcome. A video job
   * computes it right after the submit (its file exists before fal says COMPLETED); callers
   * check cancelledAt and the phase before trusting it.
   */
  private finish(): Ended {
    if (this.ended) return this.ended;
    if (this.cancelledAt !== undefined) return (this.ended = CANCELLED);
    // an input fal could not download fails before any GPU time: nothing told, nothing charged
    const problems = this.checkImages();
    if (problems.length > 0) return (this.ended = { reply: { status: 422, body: { detail: problems } }, billed: 0 });
    const outcome = this.releasedAt !== undefined && this.timeline.outcome.kind !== "video" ? { kind: "video" as const } : this.timeline.outcome;
    const units = this.timeline.billableUnits;
    if (outcome.kind === "error") {
      const reply = { status: outcome.status, body: { detail: outcome.detail }, ...(typeof units === "number" ? { billableUnits: units } : {}) };
      return (this.ended = { reply, billed: typeof units === "number" ? units : 0 });
    }
    const want = expectedVideo(this.input ?? {});
    const o = outcome.kind === "video" ? outcome : { kind: "video" as const };
    const frame = { width: o.width ?? want.width, height: o.height ?? want.height, durationSec: o.durationSec ?? want.durationSec };
    const video = makeMp4({ ...frame, ...(o.padToBytes !== undefined ? { padToBytes: o.padToBytes } : {}) });
    this.video = video;
    this.videoUrl = this.storage.putOutput("output.mp4", "video/mp4", video, this.requestId);
    // a suppressed header (null) hides the bill from the client, not from the invoice
    const charged = typeof units === "number" ? units : billedUnitsFor(frame.width, frame.height, frame.durationSec);
    const reply: JobResult = {
      status: 200,
      body: {
        video: { url: this.videoUrl, content_type: "video/mp4", file_name: "output.mp4", file_size: video.length },
        seed: this.seed,
      },
      ...(units === null ? {} : { billableUnits: charged }),
    };
    return (this.ended = { reply, billed: charged });
  }

  /** What fal would hit while downloading image_url / end_image_url. Data URIs count as reachable. */
  private checkImages(): FalErrorDetail[] {
    const out: FalErrorDetail[] = [];
    for (const field of ["image_url", "end_image_url"] as const) {
      const url: unknown = this.input?.[field];
      if (typeof url !== "string" || url.startsWith("data:")) continue;
      const f = this.storage.lookup(url);
      if (!f?.bytes) out.push(fileError(field, "file_download_error", url));
      else if (f.bytes.length > MAX_IMAGE_BYTES) out.push(fileError(field, "file_too_large", url, { max_size: MAX_IMAGE_BYTES }));
      else if (!imageKind(f.bytes)) {
        out.push(fileError(field, "unsupported_image_format", url, { supported_formats: ["jpeg", "png", "webp"] }));
      }
    }
    return out;
  }
}
