// HTTP plumbing: Discord-shaped errors, body reading, JSON/multipart parsing.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedFile } from "./types.js";

/** A body `send` writes as it is, with its own Content-Type (an HTML page rather than JSON). */
export class RawBody {
  constructor(readonly text: string, readonly contentType: string) {}
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`);
  }
}

const e = (status: number, code: number, message: string) => new ApiError(status, { code, message });

export const Errors = {
  unauthorized: () => e(401, 0, "401: Unauthorized"),
  unknownChannel: () => e(404, 10003, "Unknown Channel"),
  unknownMessage: () => e(404, 10008, "Unknown Message"),
  unknownEmoji: () => e(400, 10014, "Unknown Emoji"),
  unknownWebhook: () => e(404, 10015, "Unknown Webhook"),
  unknownApplication: () => e(404, 10002, "Unknown Application"),
  unknownGuild: () => e(404, 10004, "Unknown Guild"),
  unknownMember: () => e(404, 10007, "Unknown Member"),
  unknownUser: () => e(404, 10013, "Unknown User"),
  unknownCommand: () => e(404, 10063, "Unknown application command"),
  unknownInteraction: () => e(404, 10062, "Unknown interaction"),
  alreadyAcknowledged: () => e(400, 40060, "Interaction has already been acknowledged."),
  invalidWebhookToken: () => e(401, 50027, "Invalid Webhook Token"),
  emptyMessage: () => e(400, 50006, "Cannot send an empty message"),
  tooLarge: () => e(413, 40005, "Request entity too large"),
  missingAccess: () => e(403, 50001, "Missing Access"),
  missingPermissions: () => e(403, 50013, "Missing Permissions"),
  cannotEditOthers: () => e(403, 50005, "Cannot edit a message authored by another user"),
  threadArchived: () => e(400, 50083, "Thread is archived"),
  invalidJson: () => e(400, 50109, "The request body contains invalid JSON."),
  methodNotAllowed: () => e(405, 0, "405: Method Not Allowed"),
};

export interface FieldError {
  code: string;
  message: string;
}

/** Discord's nested error object: {embeds:{0:{title:{_errors:[...]}}}}. */
export type ErrorTree = { _errors?: FieldError[] } & { [key: string]: ErrorTree | FieldError[] | undefined };

export class FormErrors {
  readonly tree: ErrorTree = {};
  count = 0;

  add(path: Array<string | number>, code: string, message: string): this {
    let node: ErrorTree = this.tree;
    for (const seg of path) {
      const key = String(seg);
      node = (node[key] ??= {}) as ErrorTree;
    }
    const list = (node._errors ??= []);
    if (!list.some((x) => x.code === code && x.message === message)) {
      list.push({ code, message });
      this.count++;
    }
    return this;
  }

  throwIfAny(): void {
    if (this.count > 0) throw invalidForm(this.tree);
  }
}

export function invalidForm(errors: ErrorTree): ApiError {
  return new ApiError(400, { code: 50035, message: "Invalid Form Body", errors });
}

export function formError(path: Array<string | number>, code: string, message: string): ApiError {
  return invalidForm(new FormErrors().add(path, code, message).tree);
}

export const MAX_BODY_BYTES = 200 * 1024 * 1024;

export function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max && !failed) {
        failed = true;
        reject(Errors.tooLarge());
      }
      if (!failed) chunks.push(c);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

export interface ParsedBody {
  json?: unknown;
  files?: RecordedFile[];
  multipart: boolean;
}

export async function parseBody(buf: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  if (buf.length === 0) return { multipart: false };
  const ct = (contentType ?? "").toLowerCase();
  if (ct.startsWith("application/json")) {
    try {
      return { json: JSON.parse(buf.toString("utf8")), multipart: false };
    } catch {
      throw Errors.invalidJson();
    }
  }
  if (ct.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await new Response(buf, { headers: { "content-type": contentType! } }).formData();
    } catch (err) {
      throw new ApiError(400, { code: 50035, message: `Invalid Form Body (unparseable multipart: ${String(err)})` });
    }
    const files: RecordedFile[] = [];
    const fields: Record<string, unknown> = {};
    let json: unknown;
    for (const [field, value] of form.entries()) {
      if (typeof value === "string") {
        if (field === "payload_json") {
          try {
            json = JSON.parse(value);
          } catch {
            throw Errors.invalidJson();
          }
        } else fields[field] = value;
      } else {
        const blob = value as Blob & { name?: string };
        files.push({
          field,
          filename: blob.name ?? "blob",
          contentType: blob.type || "application/octet-stream",
          bytes: Buffer.from(await blob.arrayBuffer()),
        });
      }
    }
    if (json === undefined && Object.keys(fields).length > 0) json = fields;
    return { json, files, multipart: true };
  }
  throw new ApiError(400, {
    code: 50035,
    message: `Invalid Form Body (fake Discord: unsupported Content-Type "${contentType ?? ""}" for a request body)`,
  });
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (status === 204 || body === undefined) {
    res.statusCode = status;
    res.end();
    return;
  }
  if (body instanceof RawBody) {
    res.writeHead(status, { "Content-Type": body.contentType, "Content-Length": Buffer.byteLength(body.text) }).end(body.text);
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
