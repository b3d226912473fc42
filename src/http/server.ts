import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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
}

/** fal's webhook bodies are a video's metadata: a megabyte is plenty. */
const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Compares the bearer token in constant time (its length is not a secret). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function send(res: ServerResponse, status: number, body: string, contentType = "application/json"): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(body);
}

/** /healthz, /metrics and fal's webhook on `port` (0: any free port). */
export async function startHttpServer(port: number, routes: HttpRoutes, onError: (err: unknown) => void): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const route = async () => {
      if (req.method === "GET" && path === "/healthz") {
        const down = await routes.health();
        return send(res, down.length ? 503 : 200, JSON.stringify(down.length ? { status: "down", down } : { status: "ok" }));
      }
      if (req.method === "GET" && path === "/metrics") {
        if (routes.metricsToken && !bearerMatches(req.headers.authorization, routes.metricsToken)) {
          res.setHeader("www-authenticate", 'Bearer realm="metrics"');
          return send(res, 401, JSON.stringify({ error: "unauthorized" }));
        }
        const m = await routes.metrics();
        return send(res, 200, m.body, m.contentType);
      }
      if (req.method === "POST" && path === "/fal/webhook" && routes.falWebhook) {
        const body = await readBody(req);
        if (!body) return send(res, 413, JSON.stringify({ error: "body too large" }));
        const status = await routes.falWebhook(req, body);
        return send(res, status, JSON.stringify({ status: status < 300 ? "ok" : "refused" }));
      }
      if (req.method === "POST" && path === "/discord/events" && routes.discordEvents) {
        const body = await readBody(req);
        if (!body) return send(res, 413, JSON.stringify({ error: "body too large" }));
        const status = await routes.discordEvents(req.headers, body);
        if (status === 204) return void res.writeHead(204).end();
        return send(res, status, JSON.stringify({ error: status === 401 ? "invalid request signature" : "not handled" }));
      }
      send(res, 404, JSON.stringify({ error: "not found" }));
    };
    route().catch((err) => {
      onError(err);
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: "internal error" }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
