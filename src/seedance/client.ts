import { createFalClient, type FalClient } from "@fal-ai/client";
import type { SeedanceInput, SeedanceOutput } from "./input.js";
import { seedanceOutputSchema } from "./input.js";

export type FalStatus =
  | { status: "IN_QUEUE"; queuePosition: number }
  | { status: "IN_PROGRESS"; lastLog: string | undefined }
  | { status: "COMPLETED" };

/** The small part of fal the bot uses, by request id so that any process can resume a job. */
export interface Seedance {
  readonly model: string;
  uploadImage(bytes: Buffer, contentType: string, fileName: string): Promise<string>;
  submit(input: SeedanceInput): Promise<{ requestId: string; queuePosition: number }>;
  status(requestId: string): Promise<FalStatus>;
  /** Throws fal's ApiError/ValidationError when the job failed: fal has no FAILED status. */
  result(requestId: string): Promise<SeedanceOutput>;
  /** True when fal accepted the cancel (only possible while queued). */
  cancel(requestId: string): Promise<boolean>;
}

export interface SeedanceOptions {
  model: string;
  falKey: string | undefined;
  proxyUrl: string | undefined;
}

export function createSeedance(options: SeedanceOptions): Seedance {
  const fal: FalClient = createFalClient({
    credentials: options.falKey,
    ...(options.proxyUrl ? { proxyUrl: { url: options.proxyUrl, when: "always" as const } } : {}),
  });
  const model = options.model;
  return {
    model,
    async uploadImage(bytes, contentType, fileName) {
      return fal.storage.upload(new File([new Uint8Array(bytes)], fileName, { type: contentType }));
    },
    async submit(input) {
      const queued = await fal.queue.submit(model, { input });
      return { requestId: queued.request_id, queuePosition: queued.queue_position ?? 0 };
    },
    async status(requestId) {
      const s = await fal.queue.status(model, { requestId, logs: true });
      if (s.status === "IN_QUEUE") return { status: "IN_QUEUE", queuePosition: s.queue_position ?? 0 };
      if (s.status === "IN_PROGRESS") {
        const logs = s.logs ?? [];
        return { status: "IN_PROGRESS", lastLog: logs.length ? logs[logs.length - 1]!.message : undefined };
      }
      return { status: "COMPLETED" };
    },
    async result(requestId) {
      const r = await fal.queue.result(model, { requestId });
      return seedanceOutputSchema.parse(r.data);
    },
    async cancel(requestId) {
      try {
        await fal.queue.cancel(model, { requestId });
        return true;
      } catch {
        return false;
      }
    },
  };
}
