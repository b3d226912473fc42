import { ApiError, ValidationError } from "@fal-ai/client";
import type { SeedanceInput } from "./input.js";

/**
 * The one fal call that must never be repeated blindly. @fal-ai/client retries a queue
 * submit by itself on connection errors, timeouts and 429/502/503/504, and a retry of a
 * submit whose answer was lost renders (and bills) the job twice. So the bot sends it here,
 * once, and sorts the outcome: queued (with its request id), not queued (safe to send again
 * later), or unknown (never sent again).
 */

/** fal may have queued the job (its answer never came, or came broken): never send it again. */
export class SubmitOutcomeUnknown extends Error {
  override name = "SubmitOutcomeUnknown";
}

/** The request never reached fal (the connection was refused before anything was sent). */
export class SubmitNotSent extends Error {
  override name = "SubmitNotSent";
}

const QUEUE_HOST = "https://queue.fal.run";
// Failures that happen before a connection exists, so no byte of the request reached fal.
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

function failureCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

export interface SubmitTarget {
  model: string;
  falKey: string | undefined;
  /** fal-js's `proxyUrl` semantics: the request goes there with the real URL in x-fal-target-url. */
  proxyUrl: string | undefined;
  /** Where fal POSTs the end of the request (its `fal_webhook` query parameter). */
  webhookUrl?: string | null;
  timeoutMs?: number;
}

export async function submitOnce(t: SubmitTarget, input: SeedanceInput): Promise<{ requestId: string; queuePosition: number }> {
  const target = `${QUEUE_HOST}/${t.model}${t.webhookUrl ? `?${new URLSearchParams({ fal_webhook: t.webhookUrl })}` : ""}`;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
    "x-fal-queue-priority": "normal",
    ...(t.falKey ? { authorization: `Key ${t.falKey}` } : {}),
    ...(t.proxyUrl ? { "x-fal-target-url": target } : {}),
  };
  let response: Response;
  try {
    response = await fetch(t.proxyUrl ?? target, {
      method: "POST",
      headers,
      body: JSON.stringify(input),
      redirect: "error",
      signal: AbortSignal.timeout(t.timeoutMs ?? 60_000),
    });
  } catch (err) {
    const code = failureCode(err);
    if (code && NOT_CONNECTED.has(code)) throw new SubmitNotSent(`fal could not be reached (${code})`, { cause: err });
    throw new SubmitOutcomeUnknown(`fal's answer to the submit never came (${code ?? (err as Error).name})`, { cause: err });
  }
  const requestId = response.headers.get("x-fal-request-id") ?? undefined;
  if (response.status >= 400 && response.status < 500) {
    // fal refused the request: it did not queue it
    const body = (response.headers.get("content-type") ?? "").includes("json") ? await response.json().catch(() => undefined) : undefined;
    const ErrorType = response.status === 422 ? ValidationError : ApiError;
    throw new ErrorType({ message: (body as { message?: string } | undefined)?.message ?? response.statusText, status: response.status, body, requestId });
  }
  if (response.status < 200 || response.status >= 300) {
    // a gateway error or a timeout answer: fal may have queued the job behind it
    await response.body?.cancel().catch(() => undefined);
    throw new SubmitOutcomeUnknown(`fal answered the submit with HTTP ${response.status}`);
  }
  let body: { request_id?: unknown; queue_position?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch (err) {
    throw new SubmitOutcomeUnknown("fal's answer to the submit could not be read", { cause: err });
  }
  if (typeof body.request_id !== "string" || !body.request_id) throw new SubmitOutcomeUnknown("fal's answer to the submit has no request id");
  return { requestId: body.request_id, queuePosition: typeof body.queue_position === "number" ? body.queue_position : 0 };
}
