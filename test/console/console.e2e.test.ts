import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { REDIS_URL } from "../support/redis.js";
import { ephemeralText, runVideo, startHarness, type Harness } from "../support/harness.js";
import { consoleHarness, CookieJar, csrfOf, login } from "./browser-less.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("the operator's console: login", () => {
  it("sends a visitor to Discord with a random state bound to the browser, and lets the owner in with a session cookie only", async () => {
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    const { discord } = h;
    const jar = new CookieJar();
    const first = await jar.fetch(`${base}/console`);
    expect(first.status).toBe(302);
    const authorize = new URL(first.headers.get("location")!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${discord.webUrl}/oauth2/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ client_id: discord.applicationId, redirect_uri: `${base}/console/callback`, response_type: "code", scope: "identify" });
    const state = authorize.searchParams.get("state")!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(jar.seen.find((c) => c.startsWith("seedance_console_state="))).toMatch(new RegExp(`^seedance_console_state=${state}; Max-Age=600; Path=/console; HttpOnly; SameSite=Lax$`));
    const { res, url } = await jar.follow(authorize.toString());
    expect(url).toBe(`${base}/console`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("<h2>Overview</h2>");
    expect(page).toContain(discord.owner.global_name ?? discord.owner.username);
    // the session cookie: a random id, HttpOnly, SameSite=Lax, 12 hours (no Secure on plain http)
    expect(jar.seen.find((c) => c.startsWith("seedance_console="))).toMatch(/^seedance_console=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/console; HttpOnly; SameSite=Lax$/);
    // Discord's token is in no cookie, and in no page
    const tokens = discord.oauth2Log.filter((e) => e.kind === "token");
    expect(tokens).toHaveLength(1);
    for (const cookie of jar.seen) expect(cookie).not.toMatch(/access|bearer|token/i);
    // strict headers on every console page
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self';.*script-src 'none';.*frame-ancestors 'none'/);
    expect(page).not.toMatch(/<script|style=/);
  });

  it("refuses a callback whose state is not this browser's, or was used already", async () => {
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    const victim = new CookieJar();
    const attacker = new CookieJar();
    // the attacker's own login, finished in the victim's browser (login CSRF): the victim's own
    // login is under way too, so a state cookie is there, but it is not the callback's
    await victim.fetch(`${base}/console`);
    expect(victim.cookies.get("seedance_console_state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const start = await attacker.fetch(`${base}/console`);
    const back = await attacker.fetch(start.headers.get("location")!);
    const callback = back.headers.get("location")!;
    expect((await victim.fetch(callback)).status).toBe(400);
    expect(victim.cookies.has("seedance_console")).toBe(false);
    // two callbacks at once with one state (a double click, or a replay racing the login): one wins
    const racer = new CookieJar();
    const r = await racer.fetch(`${base}/console`);
    const rb = await racer.fetch(r.headers.get("location")!);
    const both = await Promise.all([racer.fetch(rb.headers.get("location")!), racer.fetch(rb.headers.get("location")!)]);
    expect(both.map((x) => x.status).sort()).toEqual([303, 400]);
    // the right browser, but the callback replayed after the login: refused
    const jar = new CookieJar();
    const s = await jar.fetch(`${base}/console`);
    const b = await jar.fetch(s.headers.get("location")!);
    const cb = b.headers.get("location")!;
    const stateCookie = jar.cookies.get("seedance_console_state")!;
    expect((await jar.fetch(cb)).status).toBe(303);
    jar.cookies.set("seedance_console_state", stateCookie);
    const replay = await jar.fetch(cb);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("did not start here or has expired");
  });

  it("gives anyone but an owner a 403 and no data", async () => {
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    h.discord.setOAuth2User(h.discord.users.admin);
    const { jar, res } = await login(base);
    expect(res.status).toBe(403);
    const page = await res.text();
    expect(page).toContain("This console is for the bot&#39;s operator only.");
    expect(page).not.toMatch(/Overview|billed/);
    expect(jar.cookies.has("seedance_console")).toBe(false);
    expect((await jar.fetch(`${base}/console/audit`)).status).toBe(302);
  });

  it("logout ends the session: the old cookie opens nothing", async () => {
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    const { jar, res } = await login(base);
    const sessionCookie = jar.cookies.get("seedance_console")!;
    const out = await jar.post(`${base}/console/logout`, { _csrf: csrfOf(await res.text()) });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/console/logged-out");
    expect(jar.cookies.has("seedance_console")).toBe(false);
    jar.cookies.set("seedance_console", sessionCookie);
    expect((await jar.fetch(`${base}/console/jobs`)).status).toBe(302);
  });

  it("has no routes at all when CONSOLE_URL is unset", async () => {
    h = await startHarness({ env: { HTTP_PORT: "0" } });
    const res = await fetch(`http://127.0.0.1:${h.bot.httpPort}/console`, { redirect: "manual" });
    expect(res.status).toBe(404);
  });
});

describe("the operator's console: actions", () => {
  it("refuses a POST without the session's CSRF token, and changes nothing", async () => {
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    const { jar } = await login(base);
    expect((await jar.post(`${base}/console/pause`, {})).status).toBe(403);
    // another session's token is not this one's
    const other = await login(base);
    const othersToken = csrfOf(await (await other.jar.fetch(`${base}/console`)).text());
    expect((await jar.post(`${base}/console/pause`, { _csrf: othersToken })).status).toBe(403);
    expect((await jar.post(`${base}/console/servers/${h.discord.guildId}/cap`, { cap: "0.10", _csrf: "forged" })).status).toBe(403);
    // the same browser signed in again: the first session's token is not the new session's
    const before = csrfOf(await (await jar.fetch(`${base}/console`)).text());
    jar.cookies.delete("seedance_console");
    expect((await jar.follow(`${base}/console`)).res.status).toBe(200);
    expect((await jar.post(`${base}/console/pause`, { _csrf: before })).status).toBe(403);
    expect(await h.bot.services.operator.paused()).toBeNull();
    expect(await h.bot.services.budget.guildCapFor(h.discord.guildId)).toMatchObject({ source: "default" });
  });

  it("pause and a server's cap take effect on the bot, and the audit log holds actions from Discord and from the console", async () => {
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    const { discord } = h;
    const { jar, res } = await login(base);
    const paused = await jar.post(`${base}/console/pause`, { _csrf: csrfOf(await res.text()) });
    expect(paused.status).toBe(303);
    const refused = await runVideo(h, { duration: 5 });
    expect(await discord.waitFor(() => ephemeralText(h!, refused), 10_000)).toMatch(/New videos are paused by the bot's operator/);
    const overview = await (await jar.fetch(`${base}/console`)).text();
    expect(overview).toContain("New videos are <strong>paused</strong>");
    expect((await jar.post(`${base}/console/resume`, { _csrf: csrfOf(overview) })).status).toBe(303);
    // a cap of $0.50 for this server: a $1.53 video is refused by it
    const servers = await (await jar.fetch(`${base}/console/servers`)).text();
    expect(servers).toContain(discord.guildId);
    const bad = await jar.post(`${base}/console/servers/${discord.guildId}/cap`, { cap: "lots", _csrf: csrfOf(servers) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Not saved");
    const capped = await jar.post(`${base}/console/servers/${discord.guildId}/cap`, { cap: "0.50", _csrf: csrfOf(servers) });
    expect(capped.status).toBe(303);
    const tooDear = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await discord.waitFor(() => ephemeralText(h!, tooDear), 10_000)).toMatch(/This server's budget for this period, set by the bot's operator, is used up/);
    // the owner pauses from Discord too
    const op = await discord.slashCommand({ name: "operator", user: discord.owner, options: [{ name: "pause", type: 1, options: [] }] });
    await discord.waitFor(() => ephemeralText(h!, op), 10_000);
    const audit = await (await jar.fetch(`${base}/console/audit`)).text();
    const rows = [...audit.matchAll(/<tr><td>[^<]+UTC<\/td><td>[^<]+<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([
      ["paused new videos", "/operator in Discord"],
      ["cap of Fake Guild set to $0.50", "the console (127.0.0.1)"],
      ["resumed new videos", "the console (127.0.0.1)"],
      ["paused new videos", "the console (127.0.0.1)"],
    ]);
  });

  it("lists every server the bot is in, also those on shards another process runs", async () => {
    const started = await consoleHarness({ SHARD_COUNT: "2", SHARD_IDS: "0" }, { discord: { shards: 2 }, storeUrl: `${REDIS_URL}?namespace=test-${randomUUID()}` });
    h = started.h;
    const { base } = started;
    const { discord } = h;
    const [mine, theirs] = discord.guilds;
    // this process runs shard 0 only: the other guild is not in its cache
    expect(h.bot.services.client.guilds.cache.has(theirs!.guildId)).toBe(false);
    const { jar } = await login(base);
    const page = await (await jar.fetch(`${base}/console/servers`)).text();
    expect(page).toContain(`Fake Guild <small>${mine!.guildId}</small>`);
    expect(page).toContain(`Fake Guild 1 <small>${theirs!.guildId}</small>`);
    expect(page).toContain(`action="/console/servers/${theirs!.guildId}/cap"`);
  });

  it("lists jobs newest first with their prompt escaped, filtered by server and state", async () => {
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    const { discord } = h;
    const first = await runVideo(h, { duration: 4, resolution: "480p", prompt: "<b>first</b> & more" });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === first.id && m.text.includes("✅ Done")), 15_000);
    const { jar } = await login(base);
    const page = await (await jar.fetch(`${base}/console/jobs`)).text();
    expect(page).toContain("&lt;b&gt;first&lt;/b&gt; &amp; more");
    expect(page).toMatch(/<td>delivered<\/td>\s*<td class="num">\$0\.\d\d<\/td>/);
    expect(page).toMatch(/href="https:\/\/discord\.com\/channels\/\d+\/\d+\/\d+">open<\/a>/);
    const failedOnly = await (await jar.fetch(`${base}/console/jobs?state=failed`)).text();
    expect(failedOnly).toContain("No jobs.");
    const otherServer = await (await jar.fetch(`${base}/console/jobs?guild=123456789012345678`)).text();
    expect(otherServer).toContain("No jobs.");
  });
});
