import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";

/** A check of the health: what is down (empty when everything is up). */
export type HealthCheck = () => Promise<string[]>;

export interface HttpRoutes {
  health: HealthCheck;
  /** Prometheus text format, and its content type. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Required as a bearer token for /metrics when set. */
  metricsToken?: string | null;
  /** POST /fal/webhook: the raw body and headers; answers the HTTP status. Absent: no webhook route. */
  falWebhook?: (req: IncomingMessage, rawBody: Buffer) => Promise<number>;
  /** POST /discord/events: Discord's signed webhook events (headers and raw body); answers the status. Absent: no route. */
  discordEvents?: (headers: IncomingMessage["headers"], rawBody: Buffer) => Promise<number>;
  /** More routes on the same server (the operator's console), registered as Fastify plugins. */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

/** fal's webhook bodies are a video's metadata: a megabyte is plenty. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Compares the bearer token in constant time (its length is not a secret). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header("cache-control", "no-store").type("application/json").send(JSON.stringify(body));
}

/**
 * The bot's one HTTP layer (Fastify) on `port` (0: any free port): /healthz, /metrics, fal's
 * webhook, Discord's events, and whatever `plugins` add. Webhooks get their raw bytes (their
 * signatures cover them); form bodies are parsed by the plugins that take them.
 */
export async function startHttpServer(port: number, routes: HttpRoutes, onError: (err: unknown) => void): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  // a reverse proxy on the same machine (TLS in front of the console) is trusted for X-Forwarded-For
  const app = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES, forceCloseConnections: true, return503OnClosing: true, trustProxy: "loopback" });
  // signatures are over the exact bytes: JSON (and anything unnamed) stays a Buffer
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(["application/json", "*"], { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) onError(err);
    return json(reply, status, { error: status === 413 ? "body too large" : status === 500 ? "internal error" : "bad request" });
  });
  app.setNotFoundHandler((_req, reply) => json(reply, 404, { error: "not found" }));

  app.get("/healthz", async (_req, reply) => {
    const down = await routes.health();
    return json(reply, down.length ? 503 : 200, down.length ? { status: "down", down } : { status: "ok" });
  });
  app.get("/metrics", async (req, reply) => {
    if (routes.metricsToken && !bearerMatches(req.headers.authorization, routes.metricsToken)) {
      reply.header("www-authenticate", 'Bearer realm="metrics"');
      return json(reply, 401, { error: "unauthorized" });
    }
    const m = await routes.metrics();
    return reply.code(200).header("cache-control", "no-store").type(m.contentType).send(m.body);
  });
  const raw = (body: unknown) => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));
  if (routes.falWebhook) {
    const falWebhook = routes.falWebhook;
    app.post("/fal/webhook", async (req, reply) => {
      const status = await falWebhook(req.raw, raw(req.body));
      return json(reply, status, { status: status < 300 ? "ok" : "refused" });
    });
  }
  if (routes.discordEvents) {
    const discordEvents = routes.discordEvents;
    app.post("/discord/events", async (req, reply) => {
      const status = await discordEvents(req.headers, raw(req.body));
      if (status === 204) return reply.code(204).send();
      return json(reply, status, { error: status === 401 ? "invalid request signature" : "not handled" });
    });
  }
  for (const plugin of routes.plugins ?? []) await app.register(plugin);

  await app.listen({ port, host: "::" }).catch(() => app.listen({ port, host: "0.0.0.0" }));
  const address = app.server.address();
  return {
    server: app.server,
    port: typeof address === "object" && address ? address.port : port,
    close: () => app.close(),
  };
}
