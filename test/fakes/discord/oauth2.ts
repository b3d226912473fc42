// Discord's OAuth2 authorization-code grant (topics/oauth2), as strict as Discord: the authorize page
// on the web origin, the token and revocation endpoints, and what a Bearer token may read
// (GET /users/@me, /users/@me/guilds, /oauth2/@me). Nobody clicks "Authorize": the page consents as
// the user `setOAuth2User` names (null: the user pressed Cancel).
//
// Routed by server.ts ahead of the bot REST pipeline (the token endpoint is form-encoded, so it is
// neither parsed as JSON nor checked against the OpenAPI subset); a Bot token on /users/@me still
// reaches the pipeline and reads the bot user. Refused codes and tokens are part of the flow: they
// are listed in `oauth2Log`, not in `rejections`.
import { randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { RawBody } from "./http-util.js";
import { guildJson, memberPermissions, userJson, type World } from "./payloads.js";
import type { Reply } from "./router.js";
import type { FakeUser, OAuth2LogEntry } from "./types.js";

/** The scopes the fake grants (Discord knows more; any other answers error=invalid_scope). */
export const OAUTH2_SCOPES = ["identify", "email", "guilds"] as const;
/** An authorization code is good for 10 minutes, once. */
export const OAUTH2_CODE_TTL_MS = 10 * 60_000;
/** Access tokens live 7 days (`expires_in: 604800`). */
export const OAUTH2_TOKEN_TTL_S = 604_800;

export interface OAuth2Input {
  query: Record<string, string>;
  auth: string | undefined;
  contentType: string | undefined;
  raw: Buffer;
}

interface Grant {
  user: FakeUser;
  scopes: string[];
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}
interface Token extends Grant {
  access: string;
  refresh: string;
}

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** 30 random letters and digits, the shape of Discord's codes and tokens. */
const randomToken = () => Array.from({ length: 30 }, () => ALNUM[randomInt(ALNUM.length)]).join("");
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class OAuth2 {
  /** The application's client secret (32 characters, like the developer portal's). */
  readonly clientSecret = randomBytes(24).toString("base64url");
  readonly redirectUris: string[] = [];
  readonly log: OAuth2LogEntry[] = [];
  /** Who consents on the authorize page; null: the user cancels. */
  user: FakeUser | null;
  private readonly codes = new Map<string, Grant>();
  private readonly tokens = new Map<string, Token>();
  private readonly refreshTokens = new Map<string, Token>();

  constructor(
    private readonly world: World,
    private readonly verifyKey: () => string,
  ) {
    this.user = world.owner;
  }

  /**
   * The handler of an OAuth2 request, or undefined when it is none (the REST pipeline or the CDN
   * takes it). `segs`: the path's segments without /api/v10 (or /api) for API requests, whole for
   * the web origin (/web/...). A /users/@me request is OAuth2's only with a Bearer token.
   */
  route(web: boolean, segs: string[], method: string, auth: string | undefined): ((i: OAuth2Input) => Reply) | undefined {
    const p = segs.join("/");
    const bearer = /^Bearer\s/i.test(auth ?? "");
    if (web) return method === "GET" && p === "web/oauth2/authorize" ? (i) => this.authorize(i.query) : undefined;
    if (method === "POST" && p === "oauth2/token") return (i) => this.token(i);
    if (method === "POST" && p === "oauth2/token/revoke") return (i) => this.revoke(i);
    if (method === "GET" && (p === "oauth2/@me" || (bearer && (p === "users/@me" || p === "users/@me/guilds")))) {
      return (i) => this.me(p, i.auth);
    }
    return undefined;
  }

  setUser(user: FakeUser | null): void {
    const id = user?.id;
    const known = [this.world.owner, ...Object.values(this.world.users)].find((u) => u.id === id);
    if (user && !known) throw new Error(`fake Discord: setOAuth2User: ${user.id} is not fake.owner nor one of fake.users (a bot cannot authorize apps)`);
    this.user = known ?? null;
  }

  addRedirectUri(uri: string): void {
    if (!URL.canParse(uri) || new URL(uri).hash) throw new Error(`fake Discord: addOAuth2RedirectUri: not an absolute URI without a fragment: ${uri}`);
    if (!this.redirectUris.includes(uri)) this.redirectUris.push(uri);
  }

  /** Revokes every code and token (of `user`, when given), as deauthorizing the app does. */
  revokeAll(user?: FakeUser): void {
    const mine = (g: Grant) => !user || g.user.id === user.id;
    for (const [c, g] of this.codes) if (mine(g)) this.codes.delete(c);
    for (const t of [...this.tokens.values()]) if (mine(t)) this.drop(t); // (and its refresh token)
  }

  private note(kind: OAuth2LogEntry["kind"], status: number, user?: FakeUser, error?: string): void {
    this.log.push({ kind, status, at: Date.now(), ...(user ? { user: user.id } : {}), ...(error ? { error } : {}) });
  }

  /**
   * GET {web}/oauth2/authorize. An unknown client_id or a redirect_uri that is not registered
   * (exactly) gets an error page (400), never a redirect; otherwise the answer is a 302 back to
   * redirect_uri with `code` (or `error`) and `state` as given.
   */
  private authorize(q: Record<string, string>): Reply {
    const page = (title: string, why: string): Reply => {
      this.note("authorize", 400, undefined, why);
      const html = `<!doctype html><html><head><meta charset="utf-8"><title>Discord</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(why)}</p></body></html>`;
      return { status: 400, body: new RawBody(html, "text/html; charset=utf-8"), headers: NO_STORE };
    };
    if (q.client_id === undefined) return page("Invalid OAuth2 request", "Missing client_id");
    if (q.client_id !== this.world.applicationId) return page("Unknown Application", `Invalid client_id ${q.client_id}`);
    const redirectUri = q.redirect_uri;
    if (!redirectUri || !this.redirectUris.includes(redirectUri)) return page("Invalid OAuth2 redirect_uri", `redirect_uri ${redirectUri ?? "(none)"} is not registered`);
    const back = (params: Record<string, string>, user?: FakeUser): Reply => {
      const url = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      if (q.state !== undefined) url.searchParams.set("state", q.state);
      this.note("authorize", 302, user, params.error);
      return { status: 302, headers: { ...NO_STORE, Location: url.href } };
    };
    if (q.response_type !== "code") {
      return back({ error: "unsupported_response_type", error_description: `response_type ${q.response_type ?? "(none)"} is not supported (the fake grants codes only)` });
    }
    const scopes = (q.scope ?? "").split(" ").filter(Boolean);
    const unknown = scopes.filter((s) => !(OAUTH2_SCOPES as readonly string[]).includes(s));
    if (!scopes.length || unknown.length) {
      return back({ error: "invalid_scope", error_description: `The requested scope is invalid, unknown, or malformed.${unknown.length ? ` (${unknown.join(", ")})` : ""}` });
    }
    if (!this.user) return back({ error: "access_denied", error_description: "The resource owner or authorization server denied the request" });
    const code = randomToken();
    this.codes.set(code, { user: this.user, scopes: [...new Set(scopes)], clientId: q.client_id, redirectUri, expiresAt: Date.now() + OAUTH2_CODE_TTL_MS });
    return back({ code }, this.user);
  }

  /**
   * The client authenticated with HTTP Basic `client_id:client_secret` or with both in the form
   * (RFC 6749 2.3.1); else (or both ways naming different clients) undefined.
   */
  private client(form: URLSearchParams, auth: string | undefined): string | undefined {
    let id = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(auth ?? "");
    if (basic) {
      const pair = Buffer.from(basic[1]!, "base64").toString("utf8");
      const at = pair.indexOf(":");
      if (at < 0) return undefined;
      const decode = (s: string) => { try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch { return s; } };
      const [bid, bsecret] = [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
      if ((id !== undefined && id !== bid) || (secret !== undefined && secret !== bsecret)) return undefined;
      [id, secret] = [bid, bsecret];
    }
    if (id !== this.world.applicationId || secret === undefined) return undefined;
    const [a, b] = [Buffer.from(secret), Buffer.from(this.clientSecret)];
    return a.length === b.length && timingSafeEqual(a, b) ? id : undefined;
  }

  private form(i: OAuth2Input): URLSearchParams {
    // Discord reads the form only: a JSON body has no grant_type ("Grant type None is not supported").
    const form = (i.contentType ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
    return new URLSearchParams(form ? i.raw.toString("utf8") : "");
  }

  /** POST /oauth2/token: grant_type authorization_code or refresh_token. */
  private token(i: OAuth2Input): Reply {
    const form = this.form(i);
    const fail = (status: number, error: string, description?: string, user?: FakeUser): Reply => {
      this.note("token", status, user, error);
      return { status, body: { error, ...(description ? { error_description: description } : {}) }, headers: NO_STORE };
    };
    const clientId = this.client(form, i.auth);
    if (!clientId) return fail(401, "invalid_client");
    const grantType = form.get("grant_type");
    if (grantType === "authorization_code") {
      const code = form.get("code");
      if (!code) return fail(400, "invalid_request", 'Missing "code" in request.');
      const grant = this.codes.get(code);
      this.codes.delete(code); // a code is spent once presented, whatever comes of it
      if (!grant || grant.expiresAt <= Date.now() || grant.clientId !== clientId) return fail(400, "invalid_grant", 'Invalid "code" in request.');
      if (form.get("redirect_uri") !== grant.redirectUri) return fail(400, "invalid_grant", 'Invalid "redirect_uri" in request.', grant.user);
      return this.issue(grant);
    }
    if (grantType === "refresh_token") {
      const old = this.refreshTokens.get(form.get("refresh_token") ?? "");
      if (!old || old.clientId !== clientId) return fail(400, "invalid_grant", 'Invalid "refresh_token" in request.');
      this.drop(old);
      return this.issue(old);
    }
    return fail(400, "unsupported_grant_type", `Grant type ${grantType || "None"} is not supported`);
  }

  private issue(g: Grant): Reply {
    const t: Token = { ...g, access: randomToken(), refresh: randomToken(), expiresAt: Date.now() + OAUTH2_TOKEN_TTL_S * 1000 };
    this.tokens.set(t.access, t);
    this.refreshTokens.set(t.refresh, t);
    this.note("token", 200, t.user);
    const body = { access_token: t.access, token_type: "Bearer", expires_in: OAUTH2_TOKEN_TTL_S, refresh_token: t.refresh, scope: t.scopes.join(" ") };
    return { status: 200, body, headers: NO_STORE };
  }

  private drop(t: Token): void {
    this.tokens.delete(t.access);
    this.refreshTokens.delete(t.refresh);
  }

  /** POST /oauth2/token/revoke (RFC 7009): revokes the grant an access or refresh token belongs to. */
  private revoke(i: OAuth2Input): Reply {
    const form = this.form(i);
    if (!this.client(form, i.auth)) return (this.note("revoke", 401, undefined, "invalid_client"), { status: 401, body: { error: "invalid_client" } });
    const token = form.get("token");
    if (!token) return (this.note("revoke", 400, undefined, "invalid_request"), { status: 400, body: { error: "invalid_request", error_description: 'Missing "token" in request.' } });
    const t = this.tokens.get(token) ?? this.refreshTokens.get(token);
    if (t) this.drop(t);
    this.note("revoke", 200, t?.user);
    return { status: 200, body: {} };
  }

  /** GET /users/@me (scope identify), /users/@me/guilds (scope guilds), /oauth2/@me with a Bearer token. */
  private me(path: string, auth: string | undefined): Reply {
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth ?? "");
    const t = bearer ? this.tokens.get(bearer[1]!) : undefined;
    const live = t && t.expiresAt > Date.now() ? t : undefined;
    const needs = path === "users/@me" ? "identify" : path === "users/@me/guilds" ? "guilds" : undefined;
    if (!live || (needs && !live.scopes.includes(needs))) {
      this.note("me", 401, live?.user, live ? `missing scope ${needs}` : "unauthorized");
      return { status: 401, body: { message: "401: Unauthorized", code: 0 } };
    }
    const u = live.user;
    this.note("me", 200, u);
    const w = this.world;
    if (path === "users/@me/guilds") {
      const perms = memberPermissions(w, u).toString();
      return { status: 200, body: w.guilds.map((g) => ({ id: g.guildId, name: guildJson(w, g).name, icon: null, banner: null, owner: u.id === w.owner.id, permissions: perms, features: [] })) };
    }
    const email = live.scopes.includes("email") ? { email: `${u.username}@users.example.invalid`, verified: true } : {};
    const user = { ...userJson(u), locale: "en-US", mfa_enabled: false, premium_type: 0, ...email };
    if (path === "users/@me") return { status: 200, body: user };
    const application = { id: w.applicationId, name: "FakeBot", icon: null, description: "", hook: true, bot_public: true, bot_require_code_grant: false, verify_key: this.verifyKey(), flags: 0 };
    return { status: 200, body: { application, scopes: live.scopes, expires: new Date(live.expiresAt).toISOString(), ...(live.scopes.includes("identify") ? { user: userJson(u) } : {}) } };
  }
}
