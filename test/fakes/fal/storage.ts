/**
 * Fake fal storage: rest.fal.ai initiate routes (authenticated, JSON) and this fake's own
 * signed-URL style routes (no auth): PUT /upload/<id>, multipart PUT /upload/<id>/<n> + POST /upload/<id>/complete,
 * GET|HEAD /files/<id>/<name>.
 * An output file (its id is its request id) can be expired (FakeFal.expireOutput): fal's output
 * URLs do not live forever, and a bot that fetches late must cope.
 */
import { randomUUID } from "node:crypto";
import { type Exchange, methodNotAllowed, notFound, send, sendJson } from "./http.js";
import type { OutputExpiry, Upload } from "./types.js";

const EXPIRED_DETAIL: Record<401 | 403 | 404 | 410, string> = {
  401: "Not authenticated",
  403: "Request has expired",
  404: "File not found",
  410: "File has expired and is no longer available",
};

export interface StoredFile {
  id: string;
  fileName: string;
  contentType: string;
  url: string;
  /** Undefined until the bytes were PUT (or the multipart upload completed). */
  bytes?: Buffer;
  parts?: Map<number, Buffer>;
  multipart: boolean;
  /** "upload" for client uploads, "output" for generated videos. */
  origin: "upload" | "output";
}

export class FakeStorage {
  readonly files = new Map<string, StoredFile>();
  readonly uploads: Upload[] = [];
  /** Output file id (= request id) -> what its URL answers from now on. */
  readonly expired = new Map<string, OutputExpiry>();

  constructor(private readonly baseUrl: string) {}

  fileUrl(id: string, fileName: string): string {
    return `${this.baseUrl}/files/${id}/${encodeURIComponent(fileName)}`;
  }

  /** Registers a generated file (e.g. an output video) and returns its URL. */
  putOutput(fileName: string, contentType: string, bytes: Buffer, id: string = randomUUID()): string {
    const url = this.fileUrl(id, fileName);
    this.files.set(id, { id, fileName, contentType, url, bytes, multipart: false, origin: "output" });
    return url;
  }

  /** The stored upload a URL points at, if it is one of this fake's file URLs and its bytes arrived. */
  lookup(url: string): StoredFile | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    if (`${u.protocol}//${u.host}` !== this.baseUrl) return undefined;
    const m = /^\/files\/([^/]+)\/([^/]+)$/.exec(u.pathname);
    const f = m?.[1] ? this.files.get(m[1]) : undefined;
    if (!f || !f.bytes || m?.[2] !== encodeURIComponent(f.fileName)) return undefined;
    return f;
  }

  /** POST https://rest.fal.ai/storage/upload/initiate[-multipart]?storage_type=fal-cdn-v3 */
  handleRest(x: Exchange): void {
    const p = x.target.pathname;
    const multipart = p === "/storage/upload/initiate-multipart";
    if (p !== "/storage/upload/initiate" && !multipart) return notFound(x);
    if (x.method !== "POST") return methodNotAllowed(x);
    const body = x.json as { content_type?: unknown; file_name?: unknown } | undefined;
    const missing = (["content_type", "file_name"] as const).filter((k) => typeof body?.[k] !== "string" || !body[k]);
    if (x.badJson || missing.length > 0) {
      return sendJson(x, 422, {
        detail: missing.map((k) => ({ loc: ["body", k], msg: "Field required", type: "missing" })),
      });
    }
    const id = randomUUID();
    const fileName = String(body?.file_name);
    const file: StoredFile = {
      id,
      fileName,
      contentType: String(body?.content_type),
      url: this.fileUrl(id, fileName),
      multipart,
      origin: "upload",
      ...(multipart ? { parts: new Map<number, Buffer>() } : {}),
    };
    this.files.set(id, file);
    sendJson(x, 200, { upload_url: `${this.baseUrl}/upload/${id}`, file_url: file.url });
  }

  /** Routes on this fake's own host. Returns false if the path is not a storage path. */
  handleLocal(x: Exchange): boolean {
    const seg = x.target.pathname.split("/").slice(1);
    if (seg[0] === "upload") {
      this.handleUpload(x, seg.slice(1));
      return true;
    }
    if (seg[0] === "files") {
      const f = seg[1] ? this.files.get(seg[1]) : undefined;
      const gone = seg[1] ? this.expired.get(seg[1]) : undefined;
      if (x.method !== "GET" && x.method !== "HEAD") methodNotAllowed(x);
      else if (gone) {
        if ("redirectTo" in gone) send(x, 302, undefined, { Location: gone.redirectTo });
        else sendJson(x, gone.status, { detail: EXPIRED_DETAIL[gone.status] });
      } else if (!f?.bytes || seg.length !== 3 || seg[2] !== encodeURIComponent(f.fileName)) {
        send(x, 404, "Not Found", { "Content-Type": "text/plain" });
      } else send(x, 200, f.bytes, { "Content-Type": f.contentType });
      return true;
    }
    return false;
  }

  private handleUpload(x: Exchange, seg: string[]): void {
    const f = seg[0] ? this.files.get(seg[0]) : undefined;
    if (!f || f.origin !== "upload") return sendJson(x, 404, { detail: "Upload not found" });
    if (seg.length === 1) {
      if (x.method !== "PUT") return methodNotAllowed(x);
      if (f.multipart) return sendJson(x, 400, { detail: "This is a multipart upload: PUT the parts" });
      const ct = x.req.headers["content-type"];
      if (ct) f.contentType = ct;
      this.complete(f, x.body);
      return send(x, 200, undefined);
    }
    if (!f.multipart || !f.parts) return notFound(x);
    if (seg.length === 2 && seg[1] === "complete") {
      if (x.method !== "POST") return methodNotAllowed(x);
      const listed = (x.json as { parts?: Array<{ partNumber?: number }> } | undefined)?.parts;
      const numbers = [...f.parts.keys()].sort((a, b) => a - b);
      if (!Array.isArray(listed) || listed.length !== numbers.length || listed.some((p, i) => p.partNumber !== numbers[i])) {
        return sendJson(x, 400, { detail: "Parts do not match the uploaded parts" });
      }
      this.complete(f, Buffer.concat(numbers.map((n) => f.parts?.get(n) ?? Buffer.alloc(0))));
      return sendJson(x, 200, { file_url: f.url });
    }
    const partNumber = Number(seg[1]);
    if (seg.length === 2 && Number.isInteger(partNumber) && partNumber > 0) {
      if (x.method !== "PUT") return methodNotAllowed(x);
      f.parts.set(partNumber, x.body);
      return sendJson(x, 200, { partNumber, etag: `"${f.id}-${partNumber}-${x.body.length}"` });
    }
    notFound(x);
  }

  private complete(f: StoredFile, bytes: Buffer): void {
    f.bytes = bytes;
    this.uploads.push({ fileUrl: f.url, contentType: f.contentType, bytes });
  }
}
