// HTTP server: /api/v10 REST, the attachment CDN, the web origin (/web: OAuth2's authorize page),
// request recording and fault injection (one-shot failNext/holdNext rules, then the fault policy of
// faults.ts). OAuth2 requests (oauth2.ts) are taken before the REST pipeline.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkDecision, describeRequest } from "./faults.js";
import { Gateway } from "./gateway.js";
import { ApiError, parseBody, readBody, send, type ParsedBody } from "./http-util.js";
import { MessageFlags } from "./limits.js";
import { OAuth2, type OAuth2Input } from "./oauth2.js";
import { RateLimiter } from "./ratelimit.js";
import { commandRoutes } from "./rest-commands.js";
import { interactionRoutes } from "./rest-interactions.js";
import { botRoutes } from "./rest-routes.js";
import { isRejection, runPipeline, type RouteDef } from "./router.js";
import type { State } from "./state.js";
import type { DiscordFaultPolicy, FailReply, RecordedRequest } from "./types.js";
import { SpecValidator } from "./validation.js";

let sharedValidator: SpecValidator | undefined;

interface Hold {
  method?: string;
  path: RegExp;
  ms: number;
  times: number;
}

interface Fault {
  method?: string;
  path: RegExp;
  reply: FailReply;
  times: number;
}

export class FakeServer {
  readonly http: Server;
  readonly gateway: Gateway;
  readonly oauth2: OAuth2;
  private readonly routes: RouteDef[];
  private readonly limiter: RateLimiter;
  private readonly validator: SpecValidator;
  private readonly faults: Fault[] = [];
  private readonly holds: Hold[] = [];
  private policy: DiscordFaultPolicy | undefined;
  port = 0;

  constructor(private readonly state: State) {
    this.validator = sharedValidator ??= new SpecValidator();
    this.limiter = new RateLimiter(state.opts.rateLimit);
    this.routes = [...interactionRoutes(), ...commandRoutes(), ...botRoutes(state), ...state.premium.routes()];
    this.gateway = new Gateway(state);
    this.oauth2 = new OAuth2(state.world, () => state.premium.webhooks.publicKey);
    state.dispatch = (t, d, scope) => void this.gateway.dispatch(t, d, scope);
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        console.error("[fake-discord] internal error", err);
        send(res, 500, { code: 0, message: `500: fake Discord internal error: ${String(err)}` });
      });
    });
    this.http.on("upgrade", (req, socket, head) => {
      this.record(req, new URL(req.url ?? "/", "http://x"), "/gateway", 101);
      this.gateway.handleUpgrade(req, socket, head);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, "127.0.0.1", resolve));
    this.port = (this.http.address() as AddressInfo).port;
    const origin = `http://127.0.0.1:${this.port}`;
    this.state.cdnUrl = origin;
    this.state.gatewayUrl = `ws://127.0.0.1:${this.port}/gateway`;
  }

  failNext(f: Fault): void {
    this.faults.push(f);
  }

  /** Serves matching requests normally but answers only after `ms`: the work is done, the reply late. */
  holdNext(h: Hold): void {
    this.holds.push(h);
  }

  setPolicy(policy: DiscordFaultPolicy | undefined): void {
    this.policy = policy;
  }

  private record(req: IncomingMessage, url: URL, path: string, status = 0): RecordedRequest {
    const auth = req.headers.authorization;
    const rec: RecordedRequest = {
      method: req.method ?? "GET", path, query: Object.fromEntries(url.searchParams), auth: auth === undefined ? undefined : String(auth), status, at: Date.now(),
    };
    this.state.requests.push(rec);
    return rec;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const rawSegs = url.pathname.split("/").slice(1);
    let segs: string[];
    try {
      segs = rawSegs.map((s) => decodeURIComponent(s));
    } catch {
      segs = rawSegs;
    }
    const isApi = segs[0] === "api";
    const apiSegs = isApi ? segs.slice(segs[1] === "v10" ? 2 : 1) : segs;
    const path = "/" + apiSegs.join("/");
    const rec = this.record(req, url, path);
    // OAuth2: /web/oauth2/authorize, /api/v10/... and /api/oauth2/... (unversioned, as Discord also serves those)
    const oauth = !isApi || segs[1] === "v10" || segs[1] === "oauth2" ? this.oauth2.route(!isApi, apiSegs, rec.method, rec.auth) : undefined;
    // the client gave up (e.g. its request timeout) before the answer: nobody reads it
    res.on("close", () => {
      if (!res.writableFinished) rec.abandoned = true;
    });
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      rec.doneAt = Date.now();
      if (body !== undefined) rec.response = body;
      if (status >= 400 && isApi && !oauth && isRejection(status, body)) {
        const b = body as { code?: number; message?: string; errors?: unknown };
        this.state.record({ method: rec.method, path, status, code: b.code ?? 0, message: b.message ?? "", errors: b.errors, body: rec.json });
      }
      this.state.log(rec.method, path, status);
      send(res, status, body, headers);
    };

    let parsed: ParsedBody = { multipart: false };
    let oauthInput: OAuth2Input | undefined;
    let bodyBytes = 0;
    try {
      const raw = await readBody(req);
      bodyBytes = raw.length;
      if (oauth) oauthInput = { query: rec.query, auth: rec.auth, contentType: req.headers["content-type"], raw };
      else parsed = await parseBody(raw, req.headers["content-type"]);
    } catch (err) {
      if (err instanceof ApiError) return answer(err.status, err.body, err.headers);
      throw err;
    }
    if (parsed.json !== undefined) rec.json = parsed.json;
    if (parsed.files?.length) rec.files = parsed.files;

    const fail = (reply: FailReply, by: string) => {
      const { status, headers = {} } = reply;
      let body = reply.body;
      if (status === 429) {
        this.state.rateLimited++;
        body ??= { message: "You are being rate limited.", retry_after: 0.1, global: false };
        const retryAfter = (body as { retry_after?: number }).retry_after ?? 0.1;
        // as Discord answers a route's exhausted bucket: its X-RateLimit-* headers say so (a 429
        // without them is what a client can only read as a sublimit)
        const bucket = {
          "X-RateLimit-Limit": "5",
          "X-RateLimit-Remaining": "0",
          "X-RateLimit-Reset": ((Date.now() + retryAfter * 1000) / 1000).toFixed(3),
          "X-RateLimit-Reset-After": retryAfter.toFixed(3),
          "X-RateLimit-Bucket": RateLimiter.bucketHash(path.replace(/\d{17,20}/g, ":id"), rec.method),
        };
        return answer(status, body, { ...bucket, "Retry-After": String(retryAfter), "X-RateLimit-Scope": "user", ...headers });
      }
      return answer(status, body ?? { code: 0, message: `${status}: injected by fake Discord ${by}` }, headers);
    };
    const fault = this.faults.find((f) => (!f.method || f.method.toUpperCase() === rec.method) && f.path.test(path));
    if (fault) {
      if (--fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return fail(fault.reply, "failNext()");
    }

    // The policy: asked about REST requests only (the CDN and the gateway are not REST).
    const policy = isApi ? this.policy : undefined;
    const asked = policy ? describeRequest(this.state, rec.method, path, apiSegs, parsed.files?.length ?? 0, bodyBytes) : undefined;
    const answered = policy && asked ? policy(asked) : undefined;
    const decision = answered && asked ? checkDecision(answered, asked) : undefined;
    if (decision && "fail" in decision) return fail(decision.fail, "fault policy");
    if (decision && "expireToken" in decision) this.state.expireToken(asked!.interactionToken!);
    if (decision && "bytesPerSecond" in decision) {
      // A slow upload: the body arrives bytes/bytesPerSecond after the request started. (The fake
      // has read it already, to tell the policy its size; it waits out the rest of the upload.)
      // A client that gives up first never completed it, so Discord never saw the request.
      await this.untilClosedOr(res, rec.at + (bodyBytes / decision.bytesPerSecond) * 1000 - Date.now());
      if (rec.abandoned) return this.state.log(rec.method, path, "abandoned during a slow upload");
    }

    if (!isApi && !oauth) return this.cdn(req, url, segs, rec, res);
    if (segs[1] !== "v10" && !oauth) {
      return answer(404, { code: 0, message: `404: Not Found (fake Discord serves API v10 only, got ${url.pathname})` });
    }
    const reply = oauth ? oauth(oauthInput!) : await runPipeline(
      { state: this.state, routes: this.routes, limiter: this.limiter, validator: this.validator },
      { state: this.state, method: rec.method, path, query: rec.query, json: parsed.json, files: parsed.files ?? [], multipart: parsed.multipart, bodyBytes, auth: rec.auth },
      apiSegs,
    );
    // Snapshot now: the message may change again while a held answer waits.
    if (reply.made && reply.status < 300) {
      const { message: m, kind } = reply.made;
      const mentions = { users: [...m.mentions.users], roles: [...m.mentions.roles], everyone: m.mentions.everyone };
      rec.mentions = mentions;
      this.state.pings.push({ mentions, request: rec, messageId: m.id, kind, ephemeral: (m.flags & MessageFlags.EPHEMERAL) !== 0 });
    }
    const hold = this.holds.find((h) => (!h.method || h.method.toUpperCase() === rec.method) && h.path.test(path));
    if (hold) {
      if (--hold.times <= 0) this.holds.splice(this.holds.indexOf(hold), 1);
      await new Promise((r) => setTimeout(r, hold.ms));
    }
    if (decision && "holdMs" in decision) await new Promise((r) => setTimeout(r, decision.holdMs));
    // the work is done, but the client is told it failed (the real answer is lost on the way)
    if (decision && "failAfter" in decision) return fail(decision.failAfter, "fault policy (failAfter: the request was handled)");
    answer(reply.status, reply.body, reply.headers);
  }

  /** Waits `ms`, or less if the client closes the connection first. */
  private untilClosedOr(res: ServerResponse, ms: number): Promise<void> {
    if (ms <= 0 || res.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      res.once("close", done);
      function done() {
        clearTimeout(timer);
        res.off("close", done);
        resolve();
      }
    });
  }

  /**
   * GET {cdn}/attachments/{channel}/{id}/{filename}?ex&is&hm (also /ephemeral-attachments/...), and
   * {cdn}/external/{hash}/https/{host}/{path}: the media proxy's copy of an image a member linked
   * to (unsigned, like Discord's; query parameters such as ?width= are ignored).
   */
  private cdn(req: IncomingMessage, url: URL, segs: string[], rec: RecordedRequest, res: ServerResponse): void {
    const gone = (why: string) => {
      rec.status = 404;
      this.state.log("CDN 404", rec.path, why);
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`This content is no longer available. (fake CDN: ${why})`);
    };
    if (!["GET", "HEAD"].includes(rec.method)) return gone("method not allowed");
    if (segs[0] === "external") {
      const img = this.state.linkedImages.get(url.pathname);
      if (!img) return gone("unknown external media");
      rec.status = 200;
      res.writeHead(200, { "Content-Type": img.contentType, "Content-Length": String(img.bytes.length), "Cache-Control": "public, max-age=86400" });
      res.end(req.method === "HEAD" ? undefined : img.bytes);
      return;
    }
    if (segs.length !== 4 || !["attachments", "ephemeral-attachments"].includes(segs[0]!)) return gone("unknown path");
    const a = this.state.attachments.get(segs[2]!);
    if (!a || a.filename !== segs[3]) return gone("unknown attachment");
    const reason = this.state.signer.verify(url.pathname, url.searchParams);
    if (reason) return gone(reason);
    rec.status = 200;
    res.writeHead(200, {
      "Content-Type": a.content_type ?? "application/octet-stream",
      "Content-Length": String(a.bytes.length),
      "Cache-Control": "public, max-age=31536000",
    });
    res.end(req.method === "HEAD" ? undefined : a.bytes);
  }

  async close(): Promise<void> {
    this.gateway.close();
    this.state.premium.webhooks.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}
