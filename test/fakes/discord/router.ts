// REST routing pipeline: match → auth → rate limit → schema validation → handler.
import { ApiError, invalidForm } from "./http-util.js";
import type { RateLimiter } from "./ratelimit.js";
import type { State } from "./state.js";
import type { FakeMessage, RecordedFile } from "./types.js";
import type { SpecValidator } from "./validation.js";

export interface Ctx {
  state: State;
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  json: unknown;
  files: RecordedFile[];
  multipart: boolean;
  /** Size of the raw request body in bytes. */
  bodyBytes: number;
  auth: string | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The message this request created or edited (its pings are recorded on the request). */
  made?: { message: FakeMessage; kind: "create" | "edit" };
}

export interface RouteDef {
  method: string;
  /** OpenAPI path template, e.g. /channels/{channel_id}/messages/{message_id}. */
  template: string;
  /** Requires "Authorization: Bot <token>". */
  auth: boolean;
  /** Subject to the configured per-route limit (else the generous default). */
  limited?: boolean;
  /** No rate-limit bucket at all (interaction callback). */
  unlimited?: boolean;
  /** Body accepted although the spec lists no request body (e.g. none); skip schema validation. */
  skipSchema?: boolean;
  handler(ctx: Ctx): Reply | Promise<Reply>;
}

export function findRoute(routes: RouteDef[], method: string, segs: string[]) {
  const allowed: string[] = [];
  for (const r of routes) {
    const t = r.template.split("/").slice(1);
    if (t.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < t.length && ok; i++) {
      const ts = t[i]!;
      if (ts.startsWith("{") && ts.endsWith("}")) {
        if (segs[i] === "@original" && ts === "{message_id}") ok = false;
        else if (segs[i] === "@me" && ts === "{user_id}" && r.template.includes("/reactions/")) ok = false;
        else params[ts.slice(1, -1)] = segs[i]!;
      } else if (ts !== segs[i]) ok = false;
    }
    if (!ok) continue;
    if (r.method === method) return { route: r, params, allowed: [r.method] };
    allowed.push(r.method);
  }
  return { route: undefined, params: {}, allowed };
}

function majorOf(template: string, params: Record<string, string>): string {
  if (params.channel_id && template.startsWith("/channels/")) return params.channel_id;
  if (params.guild_id && template.startsWith("/guilds/")) return params.guild_id;
  if (params.webhook_id) return `${params.webhook_id}/${params.webhook_token ?? ""}`;
  return "global";
}

export interface PipelineDeps {
  state: State;
  routes: RouteDef[];
  limiter: RateLimiter;
  validator: SpecValidator;
}

/** Classifies an error answer as a "rejection" (a request real Discord would refuse as malformed). */
export function isRejection(status: number, body: unknown): boolean {
  const code = (body as { code?: number } | undefined)?.code;
  if (status === 401 && code === 0) return true;
  if (status === 404 && code === 0) return true;
  if (status === 405 || status === 413) return true;
  // (50057 Invalid SKU: a body naming a SKU the app does not have)
  return [50035, 50006, 50109, 50013, 50001, 40005, 10014, 50057].includes(code ?? -1);
}

export async function runPipeline(deps: PipelineDeps, ctx: Omit<Ctx, "params">, segs: string[]): Promise<Reply> {
  const { state, routes, limiter, validator } = deps;
  const { route, params, allowed } = findRoute(routes, ctx.method, segs);
  if (!route) {
    if (allowed.length) return { status: 405, body: { code: 0, message: `405: Method Not Allowed (fake Discord: ${ctx.path} supports ${allowed.join(", ")})` } };
    return { status: 404, body: { code: 0, message: `404: Not Found (fake Discord has no route ${ctx.method} ${ctx.path})` } };
  }
  if (route.auth && ctx.auth !== `Bot ${state.opts.token}`) {
    return { status: 401, body: { code: 0, message: "401: Unauthorized" } };
  }
  let headers: Record<string, string> = {};
  if (!route.unlimited) {
    const rl = limiter.take(route.template, route.method, majorOf(route.template, params), Boolean(route.limited));
    headers = rl.headers;
    if (rl.retryAfter !== undefined) {
      state.rateLimited++;
      return {
        status: 429,
        headers,
        body: { message: "You are being rate limited.", retry_after: Number(rl.retryAfter.toFixed(3)), global: false },
      };
    }
  }
  try {
    const qErr = validator.validateQuery(route.template, route.method, ctx.query);
    if (qErr) throw invalidForm(qErr.tree);
    if (!route.skipSchema && validator.hasOperation(route.template, route.method)) {
      const needsBody = ["POST", "PUT", "PATCH"].includes(route.method);
      if (needsBody || ctx.json !== undefined) {
        const bErr = validator.validateBody(route.template, route.method, ctx.json);
        if (bErr) throw invalidForm(bErr.tree);
      }
    }
    const reply = await route.handler({ ...ctx, params });
    return { ...reply, headers: { ...headers, ...(reply.headers ?? {}) } };
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, body: err.body, headers: { ...headers, ...err.headers } };
    throw err;
  }
}
