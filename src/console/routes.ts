import { createHmac } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Routes, type RESTGetAPICurrentUserGuildsResult } from "discord.js";
import fastifyCookie from "@fastify/cookie";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyFormbody from "@fastify/formbody";
import fastifyHelmet from "@fastify/helmet";
import { JOB_STATES, type Job } from "../jobs/index.js";
import { parseGuildCap } from "../operator/index.js";
import { givenAway, NO_TOTALS } from "../quota/index.js";
import { messageLink } from "../discord/index.js";
import { formatUsd } from "../seedance/index.js";
import { registerAuth, SESSION_COOKIE } from "./auth.js";
import { dailySpendChart, type DaySpend } from "./chart.js";
import type { ConsoleDeps } from "./deps.js";
import { page, STYLE, type Html } from "./html.js";
import { auditPage, jobsPage, overviewPage, serversPage, type JobRow, type ServerRow } from "./pages.js";
import { ConsoleSessions } from "./sessions.js";

const PER_PAGE = 50;
const DAY_MS = 86_400_000;

/** A key of the console's own, derived from the OAuth2 secret (the same in every process). */
const keyFrom = (secret: string, purpose: string) => createHmac("sha256", secret).update(`seedance-console:${purpose}`).digest();
/** What a CSRF token is bound to: the session (its cookie's random id), so no other session's token passes. */
const csrfBinding = (req: FastifyRequest): string => req.cookies[SESSION_COOKIE] ?? "";

/**
 * The operator's console as a Fastify plugin: Discord login, the overview (books, caps, pause,
 * a 30-day chart), jobs, servers (caps), and the audit log. Server-rendered, no script; every
 * POST carries the session's CSRF token; helmet sets a strict CSP and X-Frame-Options DENY.
 */
export function consolePlugin(d: ConsoleDeps): (app: FastifyInstance) => Promise<void> {
  const settings = d.config.console!;
  const sessions = new ConsoleSessions(d.store);
  const listGuilds = guildLister(d);
  const chart = chartDrawer(d);
  return async (app) => {
    await app.register(fastifyCookie, { secret: keyFrom(settings.clientSecret, "cookies").toString("hex") });
    await app.register(fastifyFormbody, { bodyLimit: 16_384 });
    await app.register(fastifyCsrf, {
      sessionPlugin: "@fastify/cookie",
      cookieKey: "seedance_console_csrf",
      cookieOpts: { path: "/console", httpOnly: true, sameSite: "lax", secure: settings.url.startsWith("https://"), signed: true },
      // the token is bound to the session: another session's token is refused
      csrfOpts: { userInfo: true, hmacKey: keyFrom(settings.clientSecret, "csrf") },
      getUserInfo: csrfBinding,
    });
    await app.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'self'"], scriptSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'", "data:"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"] },
      },
      frameguard: { action: "deny" },
      hsts: settings.url.startsWith("https://"),
    });
    const { requireOperator } = registerAuth(app, {
      consoleUrl: settings.url,
      clientSecret: settings.clientSecret,
      discordWebUrl: settings.discordWebUrl,
      discordApiUrl: d.config.discordApiUrl,
      applicationId: () => d.client.application?.id ?? d.client.user!.id,
      isOwner: (id) => d.operator.isOwner(id),
      sessions,
      log: d.log,
    });

    app.get("/console/style.css", async (_req, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "max-age=3600").send(STYLE));

    /** A page for the signed-in operator; `body` gets the session's CSRF token for its forms. */
    const show = (req: FastifyRequest, reply: FastifyReply, title: string, current: string, body: (csrf: string) => Html | Promise<Html>, status = 200) => {
      const csrf = reply.generateCsrf({ userInfo: csrfBinding(req) });
      return Promise.resolve(body(csrf)).then((html) => reply.code(status).type("text/html; charset=utf-8").header("cache-control", "no-store").send(page(title, current, req.operatorSession!, csrf, html)));
    };
    const servers = (req: FastifyRequest, reply: FastifyReply, notice: string | null, status = 200) =>
      show(req, reply, "Servers", "/console/servers", async (csrf) => serversPage({ servers: await serverRows(d, listGuilds), allowList: d.config.allowedGuildIds !== null, csrf, notice }), status);
    const guarded = { preHandler: requireOperator };
    const posted = { preHandler: [requireOperator, app.csrfProtection] };
    // behind a reverse proxy on loopback, req.ip is the browser's (X-Forwarded-For; see http/server.ts)
    const origin = (req: FastifyRequest) => ({ from: "console" as const, address: req.ip.replace(/^::ffff:/, "") });

    app.get("/console", guarded, async (req, reply) => {
      const [books, paused, rows, svg] = await Promise.all([d.budget.operatorBooks(), d.operator.paused(), serverRows(d, null), chart()]);
      const pausedBy = paused ? (d.client.users.cache.get(paused.by)?.username ?? paused.by) : "";
      return show(req, reply, "Overview", "/console", (csrf) =>
        overviewPage({ period: d.budget.period().key, total: books.total, usedMicros: givenAway(books.total), spendCapMicros: d.budget.spendCapMicros, servers: rows, paused: paused ? { by: pausedBy, at: paused.at } : null, chart: svg, csrf }),
      );
    });
    app.post("/console/pause", posted, async (req, reply) => {
      await d.operator.pause(req.operatorSession!.userId, origin(req));
      return reply.code(303).redirect("/console");
    });
    app.post("/console/resume", posted, async (req, reply) => {
      await d.operator.resume(req.operatorSession!.userId, origin(req));
      return reply.code(303).redirect("/console");
    });

    app.get("/console/jobs", guarded, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const guild = /^\d{17,20}$/.test(q.guild ?? "") ? q.guild! : "";
      const state = (JOB_STATES as readonly string[]).includes(q.state ?? "") ? q.state! : "";
      const pageNo = Math.max(1, Math.min(1_000, Number.parseInt(q.page ?? "1", 10) || 1));
      const { jobs, more } = await d.repo.latest({ ...(guild ? { guildId: guild } : {}), ...(state ? { states: [state] } : {}) }, (pageNo - 1) * PER_PAGE, PER_PAGE);
      const guilds = [...d.client.guilds.cache.values()].map((g) => ({ id: g.id, name: g.name })).sort((a, b) => a.name.localeCompare(b.name));
      return show(req, reply, "Jobs", "/console/jobs", () => jobsPage({ jobs: jobs.map((j) => jobRow(d, j)), guilds, states: JOB_STATES, filter: { guild, state }, page: pageNo, more }));
    });

    app.get("/console/servers", guarded, async (req, reply) => {
      const saved = (req.query as Record<string, string | undefined>).saved;
      return servers(req, reply, saved ? `Saved: ${saved}` : null);
    });
    app.post("/console/servers/:guildId/cap", posted, async (req, reply) => {
      const { guildId } = req.params as { guildId: string };
      const cap = parseGuildCap(String((req.body as Record<string, unknown> | undefined)?.cap ?? ""));
      if (!/^\d{17,20}$/.test(guildId) || cap === undefined) return servers(req, reply, "Not saved: a cap is an amount in US dollars (such as 25 or 25.50), none, or default.", 400);
      await d.budget.setGuildCap(guildId, cap);
      const detail = cap === null ? "default" : cap === "none" ? "none" : formatUsd(cap);
      await d.operator.audit.record({ by: req.operatorSession!.userId, action: "cap", guildId, detail, ...origin(req) });
      d.log.info({ guild: guildId, cap, by: req.operatorSession!.userId }, "server cap set from the console");
      return reply.code(303).redirect(`/console/servers?${new URLSearchParams({ saved: `the cap of ${guildId} is ${detail}` })}`);
    });

    app.get("/console/audit", guarded, async (req, reply) => {
      const pageNo = Math.max(1, Math.min(1_000, Number.parseInt((req.query as Record<string, string | undefined>).page ?? "1", 10) || 1));
      const entries = await d.operator.audit.list((pageNo - 1) * PER_PAGE, PER_PAGE + 1);
      const names = new Map<string, string>();
      for (const e of entries) {
        const user = d.client.users.cache.get(e.by);
        if (user) names.set(e.by, user.globalName ?? user.username);
        const guild = e.guildId ? d.client.guilds.cache.get(e.guildId) : undefined;
        if (guild) names.set(guild.id, guild.name);
      }
      return show(req, reply, "Audit log", "/console/audit", () => auditPage({ entries: entries.slice(0, PER_PAGE), names, page: pageNo, more: entries.length > PER_PAGE }));
    });

    app.post("/console/logout", posted, async (req, reply) => {
      await sessions.close(req.operatorSession!.id);
      reply.clearCookie(SESSION_COOKIE, { path: "/console" });
      return reply.code(303).redirect("/console/logged-out");
    });
  };
}

/** The servers' list from Discord is read at most this often (one page per 200 servers). */
const GUILD_LIST_MS = 60_000;

/**
 * Every server the bot is in, by id and name, from Discord's REST list: a process that runs some
 * shards has only their servers in its cache. Falls back to the cache when Discord does not answer.
 */
function guildLister(d: ConsoleDeps): () => Promise<Map<string, string>> {
  let guildList: { at: number; names: Promise<Map<string, string>> } | undefined;
  return () => {
    if (guildList && Date.now() - guildList.at < GUILD_LIST_MS) return guildList.names;
    const names = (async () => {
      const out = new Map<string, string>();
      for (let after = "0"; ; ) {
        const page = (await d.client.rest.get(Routes.userGuilds(), { query: new URLSearchParams({ limit: "200", after }) })) as RESTGetAPICurrentUserGuildsResult;
        for (const g of page) out.set(g.id, g.name);
        if (page.length < 200) return out;
        after = page.at(-1)!.id;
      }
    })().catch((err: unknown) => {
      d.log.warn({ err }, "the console could not list the servers at Discord; showing this process's");
      guildList = undefined;
      return new Map([...d.client.guilds.cache.values()].map((g) => [g.id, g.name]));
    });
    guildList = { at: Date.now(), names };
    return names;
  };
}

/** Every server with books this period, and (with `listGuilds`) every server the bot is in, with caps. */
async function serverRows(d: ConsoleDeps, listGuilds: (() => Promise<Map<string, string>>) | null): Promise<ServerRow[]> {
  const [books, listed] = await Promise.all([d.budget.operatorBooks(), listGuilds ? listGuilds() : new Map<string, string>()]);
  const byId = new Map(books.guilds.map((g) => [g.guildId, g]));
  const ids = new Set([...byId.keys(), ...(listGuilds ? [...d.client.guilds.cache.keys(), ...listed.keys()] : [])]);
  const rows = await Promise.all(
    [...ids].map(async (guildId): Promise<ServerRow> => {
      const b = byId.get(guildId) ?? NO_TOTALS;
      const cap = await d.budget.guildCapFor(guildId);
      return { guildId, name: d.client.guilds.cache.get(guildId)?.name ?? listed.get(guildId) ?? null, books: b, usedMicros: givenAway(b), capMicros: cap.micros, capSource: cap.source, allowed: d.config.allowedGuildIds === null || d.config.allowedGuildIds.includes(guildId) };
    }),
  );
  return rows.sort((a, b) => b.books.billedMicros - a.books.billedMicros || a.guildId.localeCompare(b.guildId));
}

function jobRow(d: ConsoleDeps, j: Job): JobRow {
  const user = d.client.users.cache.get(j.userId);
  return {
    at: j.createdAt,
    guildId: j.guildId,
    guildName: j.guildId ? (d.client.guilds.cache.get(j.guildId)?.name ?? null) : null,
    userId: j.userId,
    userName: user ? (user.globalName ?? user.username) : null,
    state: j.state,
    costMicros: j.state === "delivered" ? (j.chargeMicros ?? j.reservation?.micros ?? null) : (j.falCost?.micros ?? null),
    prompt: j.params.prompt,
    link: j.resultMessageId ? messageLink(j.guildId, j.channelId, j.resultMessageId) : null,
  };
}

/** The chart reads up to 20,000 jobs: drawn at most this often (a Pause and its redirect do not draw it twice). */
const CHART_MS = 60_000;

/** What fal billed per day over the last 30 days, by server, from the jobs asked for then (kept a minute). */
function chartDrawer(d: ConsoleDeps): () => Promise<string> {
  let drawn: { at: number; svg: Promise<string> } | undefined;
  return () => {
    if (drawn && Date.now() - drawn.at < CHART_MS) return drawn.svg;
    const svg = spendChart(d);
    drawn = { at: Date.now(), svg };
    svg.catch(() => (drawn = undefined));
    return svg;
  };
}

async function spendChart(d: ConsoleDeps): Promise<string> {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const days = Array.from({ length: 30 }, (_, i) => new Date(today - (29 - i) * DAY_MS).toISOString().slice(0, 10));
  const jobs = await d.repo.since(today - 29 * DAY_MS);
  const spend: DaySpend[] = jobs.filter((j) => (j.falCost?.micros ?? 0) > 0).map((j) => ({ day: new Date(j.createdAt).toISOString().slice(0, 10), guildId: j.guildId ?? "dm", micros: j.falCost!.micros }));
  const names = new Map([...d.client.guilds.cache.values()].map((g) => [g.id, g.name]));
  return dailySpendChart(spend, { days, names });
}
