import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OAuth2Client } from "arctic";
import type { Logger } from "../log/index.js";
import { html, page } from "./html.js";
import { LOGIN_MS, SESSION_MS, type ConsoleSession, type ConsoleSessions } from "./sessions.js";

export const SESSION_COOKIE = "seedance_console";
const STATE_COOKIE = "seedance_console_state";

export interface AuthDeps {
  /** The console's public base URL (CONSOLE_URL), e.g. https://bot.example.com. */
  consoleUrl: string;
  clientSecret: string;
  /** Where Discord's authorize page is (DISCORD_WEB_URL) and its API (DISCORD_API_URL). */
  discordWebUrl: string;
  discordApiUrl: string;
  applicationId: () => string;
  isOwner: (userId: string) => boolean;
  sessions: ConsoleSessions;
  log: Logger;
}

/** The request's session, once `requireOperator` let it through. */
declare module "fastify" {
  interface FastifyRequest {
    operatorSession?: ConsoleSession & { id: string };
  }
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function cookieOptions(d: AuthDeps, maxAgeMs: number) {
  return { path: "/console", httpOnly: true, sameSite: "lax" as const, secure: d.consoleUrl.startsWith("https://"), maxAge: Math.floor(maxAgeMs / 1000) };
}

/**
 * Discord OAuth2 (authorization code, scope `identify`) with arctic's generic client, pointed at
 * DISCORD_WEB_URL and DISCORD_API_URL. Discord's token is used once, to read who signed in, and
 * never leaves this function; only owners get a session (a random id in an HttpOnly cookie).
 */
export function registerAuth(app: FastifyInstance, d: AuthDeps): { requireOperator: (req: FastifyRequest, reply: FastifyReply) => Promise<void> } {
  const redirectUri = `${d.consoleUrl}/console/callback`;
  const client = () => new OAuth2Client(d.applicationId(), d.clientSecret, redirectUri);

  async function toDiscord(reply: FastifyReply): Promise<FastifyReply> {
    const state = await d.sessions.newState();
    const url = client().createAuthorizationURL(`${d.discordWebUrl}/oauth2/authorize`, state, ["identify"]);
    reply.setCookie(STATE_COOKIE, state, cookieOptions(d, LOGIN_MS));
    return reply.code(302).header("cache-control", "no-store").redirect(url.toString());
  }

  function refused(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
    return reply.code(status).header("cache-control", "no-store").type("text/html; charset=utf-8").send(page(title, "", null, null, html`<p class="notice">${text}</p><p><a href="/console">Log in again</a></p>`));
  }

  app.get("/console/callback", async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const cookieState = req.cookies[STATE_COOKIE] ?? "";
    reply.clearCookie(STATE_COOKIE, { path: "/console" });
    // the state must be this browser's (its cookie) and unused (the store): no login CSRF, no replay
    if (!q.state || !cookieState || !sameText(q.state, cookieState) || !(await d.sessions.takeState(q.state))) {
      return refused(reply, 400, "Login expired", "This login did not start here or has expired. Please log in again.");
    }
    if (q.error || !q.code) return refused(reply, 403, "Login cancelled", "Discord did not sign you in.");
    let user: { id: string; username: string; global_name?: string | null };
    try {
      const tokens = await client().validateAuthorizationCode(`${d.discordApiUrl}/v10/oauth2/token`, q.code, null);
      const me = await fetch(`${d.discordApiUrl}/v10/users/@me`, { headers: { authorization: `Bearer ${tokens.accessToken()}` }, signal: AbortSignal.timeout(10_000) });
      if (!me.ok) throw new Error(`Discord answered ${me.status} for /users/@me`);
      user = (await me.json()) as typeof user;
    } catch (err) {
      d.log.warn({ err: err instanceof Error ? err.message : String(err) }, "console login failed at Discord");
      return refused(reply, 502, "Login failed", "Discord could not confirm who you are. Please try again.");
    }
    if (!d.isOwner(user.id)) {
      d.log.warn({ user: user.id }, "console login refused: not an owner");
      return refused(reply, 403, "Not allowed", "This console is for the bot's operator only.");
    }
    const id = await d.sessions.open({ userId: user.id, name: user.global_name ?? user.username });
    d.log.info({ user: user.id }, "operator signed in to the console");
    reply.setCookie(SESSION_COOKIE, id, cookieOptions(d, SESSION_MS));
    return reply.code(303).header("cache-control", "no-store").redirect("/console");
  });

  app.get("/console/logged-out", async (_req, reply) => refused(reply, 200, "Logged out", "You are logged out."));

  /** Lets an owner's live session through (renewed, cookie too); sends anyone else to Discord. */
  async function requireOperator(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const id = req.cookies[SESSION_COOKIE];
    const session = await d.sessions.use(id);
    if (!session || !id) {
      if (req.method === "GET") await toDiscord(reply);
      else await refused(reply, 403, "Not logged in", "Your session has ended. Please log in again.");
      return;
    }
    if (!d.isOwner(session.userId)) {
      await d.sessions.close(id);
      await refused(reply, 403, "Not allowed", "This console is for the bot's operator only.");
      return;
    }
    reply.setCookie(SESSION_COOKIE, id, cookieOptions(d, SESSION_MS));
    req.operatorSession = { ...session, id };
  }

  return { requireOperator };
}
