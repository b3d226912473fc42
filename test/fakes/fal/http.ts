/** Small HTTP helpers shared by the fake fal routes. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedRequest } from "./types.js";

/** One request being handled: the real (fal) target URL, raw body, parsed JSON and its log record. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  target: URL;
  body: Buffer;
  /** Parsed JSON body (undefined if empty or not JSON). */
  json?: unknown;
  /** True when the body was sent as JSON but failed to parse. */
  badJson: boolean;
  record: RecordedRequest;
  /**
   * Set by a "lose the answer" fault: the request is handled as usual (a job is queued), but
   * this runs instead of sending the handler's answer.
   */
  loseAnswer?: () => void;
  /**
   * Set by a "hold the answer" fault: the request was handled at once, but its answer is sent
   * this much later (the client waits while the job, and its webhook, go on).
   */
  answerDelayMs?: number;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function send(
  x: Exchange,
  status: number,
  body: Buffer | string | undefined,
  headers: Record<string, string | number> = {},
): void {
  x.record.status = status;
  if (x.answerDelayMs) {
    const ms = x.answerDelayMs;
    x.answerDelayMs = undefined;
    setTimeout(() => send(x, status, body, headers), ms);
    return;
  }
  if (x.loseAnswer) {
    const lose = x.loseAnswer;
    x.loseAnswer = undefined;
    return lose();
  }
  if (x.res.headersSent || x.res.destroyed) return;
  const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body) : body;
  x.res.writeHead(status, { ...headers, "Content-Length": payload?.length ?? 0 });
  x.res.end(x.method === "HEAD" ? undefined : payload);
}

export function sendJson(x: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(x, status, JSON.stringify(body), { "Content-Type": "application/json", ...headers });
}

/** Sends an injected reply: objects as JSON, strings as text, undefined as an empty body. */
export function sendInjected(x: Exchange, reply: { status: number; body?: unknown; headers?: Record<string, string> }): void {
  const h = reply.headers ?? {};
  if (reply.body === undefined) send(x, reply.status, undefined, h);
  else if (typeof reply.body === "string") send(x, reply.status, reply.body, { "Content-Type": "text/plain", ...h });
  else sendJson(x, reply.status, reply.body, h);
}

/**
 * For routes that write their answer themselves (the SSE stream): waits out a held answer, then
 * plays a lost one. Returns false when the answer was lost and the route must write nothing.
 */
export async function beforeStreaming(x: Exchange): Promise<boolean> {
  if (x.answerDelayMs) {
    await sleep(x.answerDelayMs);
    x.answerDelayMs = undefined;
  }
  if (!x.loseAnswer) return true;
  const lose = x.loseAnswer;
  x.loseAnswer = undefined;
  x.record.status = 200;
  lose();
  return false;
}

export function notFound(x: Exchange): void {
  sendJson(x, 404, { detail: `Not found: ${x.method} ${x.target.href}` });
}

export function methodNotAllowed(x: Exchange): void {
  sendJson(x, 405, { detail: "Method Not Allowed" });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
