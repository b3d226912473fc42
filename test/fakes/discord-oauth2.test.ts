// The fake Discord's OAuth2 authorization-code grant (topics/oauth2): the authorize page on
// `fake.webUrl`, the token endpoint (exchanged with arctic's generic OAuth2Client, as a web console
// would) and Bearer reads of /users/@me, next to the bot's own token.
import { OAuth2Client, OAuth2RequestError, generateState } from "arctic";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeDiscord, type FakeDiscord } from "./discord/index.js";

const REDIRECT = "http://127.0.0.1:9/auth/discord/callback";

let fake: FakeDiscord;
beforeEach(async () => {
  fake = await startFakeDiscord({ rateLimit: false });
  fake.addOAuth2RedirectUri(REDIRECT);
});
afterEach(async () => {
  vi.useRealTimers();
  await fake.close();
});

const authorizeEndpoint = () => `${fake.webUrl}/oauth2/authorize`;
const tokenEndpoint = () => `${fake.apiUrl}/v10/oauth2/token`;
const client = (secret = fake.oauth2ClientSecret, redirect = REDIRECT) => new OAuth2Client(fake.applicationId, secret, redirect);

/** Loads the authorize page as a browser would, without following the redirect. */
async function authorize(params: Record<string, string | undefined>): Promise<{ status: number; location: URL | null; body: string }> {
  const url = new URL(authorizeEndpoint());
  const all = { client_id: fake.applicationId, redirect_uri: REDIRECT, response_type: "code", scope: "identify", ...params };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: "manual" });
  const location = res.headers.get("location");
  return { status: res.status, location: location === null ? null : new URL(location), body: await res.text() };
}

/** A fresh code for the current OAuth2 user, through arctic's authorization URL. */
async function code(scopes = ["identify"]): Promise<string> {
  const res = await fetch(client().createAuthorizationURL(authorizeEndpoint(), generateState(), scopes), { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!).searchParams.get("code")!;
}

const me = (auth: string | undefined, path = "/v10/users/@me") =>
  fetch(`${fake.apiUrl}${path}`, { headers: auth === undefined ? {} : { Authorization: auth } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

/** The OAuth2 error arctic threw for a token request. */
const oauthError = (p: Promise<unknown>) =>
  p.then(() => { throw new Error("expected the token request to be refused"); }, (e: unknown) => {
    if (!(e instanceof OAuth2RequestError)) throw e;
    return e.code;
  });

const tokenForm = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(tokenEndpoint(), { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(fields) })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

describe("fake Discord: OAuth2 authorization-code grant", () => {
  it("authorize → code → token (arctic) → /users/@me is the user who consented", async () => {
    fake.setOAuth2User(fake.users.admin);
    const state = generateState();
    const url = client().createAuthorizationURL(authorizeEndpoint(), state, ["identify"]);
    const page = await fetch(url, { redirect: "manual" });
    expect(page.status).toBe(302);
    const back = new URL(page.headers.get("location")!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect([...back.searchParams.keys()]).toEqual(["code", "state"]);
    expect(back.searchParams.get("state")).toBe(state);

    const tokens = await client().validateAuthorizationCode(tokenEndpoint(), back.searchParams.get("code")!, null);
    expect(tokens.data).toEqual({ access_token: tokens.accessToken(), token_type: "Bearer", expires_in: 604800, refresh_token: tokens.refreshToken(), scope: "identify" });
    expect(tokens.accessToken()).toMatch(/^[A-Za-z0-9]{30}$/);

    const user = await me(`Bearer ${tokens.accessToken()}`);
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ id: fake.users.admin.id, username: "admin", global_name: "Admin", bot: false });
    expect(user.body).not.toHaveProperty("email");
    expect(fake.oauth2Log.map((l) => [l.kind, l.status, l.user])).toEqual([
      ["authorize", 302, fake.users.admin.id], ["token", 200, fake.users.admin.id], ["me", 200, fake.users.admin.id],
    ]);
    expect(fake.rejections).toEqual([]);
  });

  it("consents as the owner by default; takes the client credentials in the form too, unversioned path included", async () => {
    const c = await code();
    const { status, body } = await tokenForm({ grant_type: "authorization_code", code: c, redirect_uri: REDIRECT, client_id: fake.applicationId, client_secret: fake.oauth2ClientSecret });
    expect(status).toBe(200);
    expect((await me(`Bearer ${body.access_token as string}`)).body.id).toBe(fake.owner.id);
    // arctic's Discord provider posts to /api/oauth2/token (no version), which Discord serves too
    const c2 = await code();
    const unversioned = await client().validateAuthorizationCode(`${fake.apiUrl}/oauth2/token`, c2, null);
    expect((await me(`Bearer ${unversioned.accessToken()}`)).body.id).toBe(fake.owner.id);
  });

  it("echoes state exactly, and leaves it out when none was given", async () => {
    const state = "a b+c/=&é?%20";
    const withState = await authorize({ state });
    expect(withState.status).toBe(302);
    expect(withState.location!.searchParams.get("state")).toBe(state);
    const without = await authorize({});
    expect(without.status).toBe(302);
    expect(without.location!.searchParams.has("code")).toBe(true);
    expect(without.location!.searchParams.has("state")).toBe(false);
  });

  it("refuses an unregistered redirect_uri or a wrong client_id with an error page, never a redirect", async () => {
    const elsewhere = await authorize({ redirect_uri: "http://127.0.0.1:9/auth/discord/callback/", state: "s" });
    expect([elsewhere.status, elsewhere.location]).toEqual([400, null]);
    expect(elsewhere.body).toContain("Invalid OAuth2 redirect_uri");
    const evil = await authorize({ redirect_uri: "https://evil.example/cb" });
    expect([evil.status, evil.location]).toEqual([400, null]);
    const wrongClient = await authorize({ client_id: "123456789012345678" });
    expect([wrongClient.status, wrongClient.location]).toEqual([400, null]);
    expect(wrongClient.body).toContain("Unknown Application");
    fake.addOAuth2RedirectUri("https://console.example/cb");
    expect(fake.oauth2RedirectUris).toEqual([REDIRECT, "https://console.example/cb"]);
    expect((await authorize({ redirect_uri: "https://console.example/cb" })).status).toBe(302);
  });

  it("redirects with error=access_denied when the user cancels, and with invalid_scope / unsupported_response_type", async () => {
    fake.setOAuth2User(null);
    const denied = await authorize({ state: "xyz" });
    expect(denied.status).toBe(302);
    expect(Object.fromEntries(denied.location!.searchParams)).toEqual({ error: "access_denied", error_description: expect.any(String), state: "xyz" });
    expect(fake.oauth2Log.at(-1)).toMatchObject({ kind: "authorize", status: 302, error: "access_denied" });
    expect(fake.oauth2Log.at(-1)).not.toHaveProperty("user");

    fake.setOAuth2User(fake.users.requester);
    const scope = await authorize({ scope: "identify bot", state: "s" });
    expect(scope.location!.searchParams.get("error")).toBe("invalid_scope");
    expect(scope.location!.searchParams.get("state")).toBe("s");
    expect(scope.location!.searchParams.has("code")).toBe(false);
    expect((await authorize({ scope: "identify email guilds" })).location!.searchParams.has("code")).toBe(true);
    const implicit = await authorize({ response_type: "token" });
    expect(implicit.location!.searchParams.get("error")).toBe("unsupported_response_type");
    expect(() => fake.setOAuth2User(fake.botUser)).toThrow(/cannot authorize/);
  });

  it("a code is single-use", async () => {
    const c = await code();
    await client().validateAuthorizationCode(tokenEndpoint(), c, null);
    expect(await oauthError(client().validateAuthorizationCode(tokenEndpoint(), c, null))).toBe("invalid_grant");
    expect(await oauthError(client().validateAuthorizationCode(tokenEndpoint(), "madeUpCode123", null))).toBe("invalid_grant");
    expect(fake.oauth2Log.filter((l) => l.kind === "token").map((l) => [l.status, l.error])).toEqual([[200, undefined], [400, "invalid_grant"], [400, "invalid_grant"]]);
    expect(fake.rejections).toEqual([]);
  });

  it("a code is bound to its redirect_uri, and expires after 10 minutes", async () => {
    const other = "http://127.0.0.1:9/other";
    fake.addOAuth2RedirectUri(other);
    const c = await code();
    expect(await oauthError(client(fake.oauth2ClientSecret, other).validateAuthorizationCode(tokenEndpoint(), c, null))).toBe("invalid_grant");
    const noRedirect = await tokenForm({ grant_type: "authorization_code", code: await code(), client_id: fake.applicationId, client_secret: fake.oauth2ClientSecret });
    expect([noRedirect.status, noRedirect.body.error]).toEqual([400, "invalid_grant"]);

    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const late = await code();
    const fresh = await code();
    vi.setSystemTime(Date.now() + 10 * 60_000 + 1);
    expect(await oauthError(client().validateAuthorizationCode(tokenEndpoint(), late, null))).toBe("invalid_grant");
    vi.setSystemTime(Date.now() - 2);
    await expect(client().validateAuthorizationCode(tokenEndpoint(), fresh, null)).resolves.toBeDefined();
  });

  it("refuses a wrong client secret with 401 invalid_client, and keeps the code", async () => {
    const c = await code();
    expect(await oauthError(client("not-the-secret").validateAuthorizationCode(tokenEndpoint(), c, null))).toBe("invalid_client");
    const inForm = await tokenForm({ grant_type: "authorization_code", code: c, redirect_uri: REDIRECT, client_id: fake.applicationId, client_secret: "nope" });
    expect([inForm.status, inForm.body]).toEqual([401, { error: "invalid_client" }]);
    const noSecret = await tokenForm({ grant_type: "authorization_code", code: c, redirect_uri: REDIRECT, client_id: fake.applicationId });
    expect(noSecret.status).toBe(401);
    const otherClient = new OAuth2Client("123456789012345678", fake.oauth2ClientSecret, REDIRECT);
    expect(await oauthError(otherClient.validateAuthorizationCode(tokenEndpoint(), c, null))).toBe("invalid_client");
    await expect(client().validateAuthorizationCode(tokenEndpoint(), c, null)).resolves.toBeDefined();
  });

  it("answers a bad, missing or revoked Bearer token 401; the token reads nothing of the bot's", async () => {
    const unauthorized = { status: 401, body: { message: "401: Unauthorized", code: 0 } };
    expect(await me("Bearer notAToken")).toEqual(unauthorized);
    expect(await me(undefined, "/v10/oauth2/@me")).toEqual(unauthorized);
    const tokens = await client().validateAuthorizationCode(tokenEndpoint(), await code(), null);
    const bearer = `Bearer ${tokens.accessToken()}`;
    expect(await me("Bearer notAToken")).toEqual(unauthorized);
    expect(await me(`${bearer}x`)).toEqual(unauthorized);
    expect(await me(tokens.accessToken())).toEqual(unauthorized); // no "Bearer"
    expect(await me(bearer, "/v10/users/@me/guilds")).toEqual(unauthorized); // no guilds scope
    const info = await me(bearer, "/v10/oauth2/@me");
    expect(info.body).toMatchObject({ application: { id: fake.applicationId }, scopes: ["identify"], user: { id: fake.owner.id } });
    expect((await fetch(`${fake.apiUrl}/v10/gateway/bot`, { headers: { Authorization: bearer } })).status).toBe(401);
    expect((await fetch(`${fake.apiUrl}/v10/guilds/${fake.guildId}`, { headers: { Authorization: bearer } })).status).toBe(401);
    expect((await me(bearer)).status).toBe(200);
    fake.revokeOAuth2Tokens();
    expect(await me(bearer)).toEqual(unauthorized);
    expect(fake.oauth2Log.filter((l) => l.kind === "me").map((l) => l.status)).toEqual([401, 401, 401, 401, 401, 200, 200, 401]);
    // refused Bearer tokens are part of the flow, not malformed requests; what went to the bot's
    // routes (no "Bearer", or a Bearer token where only the Bot token goes) is
    expect(fake.rejections.map((r) => [r.status, r.path])).toEqual([[401, "/users/@me"], [401, "/gateway/bot"], [401, `/guilds/${fake.guildId}`]]);
  });

  it("revokes one user's tokens and codes only, when told whose", async () => {
    fake.setOAuth2User(fake.users.requester);
    const requester = await client().validateAuthorizationCode(tokenEndpoint(), await code(), null);
    const requesterCode = await code();
    fake.setOAuth2User(fake.users.moderator);
    const moderator = await client().validateAuthorizationCode(tokenEndpoint(), await code(), null);
    const moderatorCode = await code();
    fake.revokeOAuth2Tokens(fake.users.requester);
    expect((await me(`Bearer ${requester.accessToken()}`)).status).toBe(401);
    expect(await oauthError(client().validateAuthorizationCode(tokenEndpoint(), requesterCode, null))).toBe("invalid_grant");
    expect((await me(`Bearer ${moderator.accessToken()}`)).body.id).toBe(fake.users.moderator.id);
    await expect(client().validateAuthorizationCode(tokenEndpoint(), moderatorCode, null)).resolves.toBeDefined();
  });

  it("still answers the bot user on /users/@me for the Bot token", async () => {
    const bot = await me(`Bot ${fake.token}`);
    expect(bot.status).toBe(200);
    expect(bot.body).toMatchObject({ id: fake.botUserId, bot: true });
    expect((await me(`Bot wrong-token`)).status).toBe(401);
    expect(fake.oauth2Log).toEqual([]);
  });

  it("with scopes email and guilds: the email, and the user's guilds with their permissions", async () => {
    fake.setOAuth2User(fake.users.admin);
    const tokens = await client().validateAuthorizationCode(tokenEndpoint(), await code(["identify", "email", "guilds"]), null);
    expect(tokens.scopes()).toEqual(["identify", "email", "guilds"]);
    const bearer = `Bearer ${tokens.accessToken()}`;
    expect((await me(bearer)).body).toMatchObject({ email: "admin@users.example.invalid", verified: true });
    const guilds = await me(bearer, "/v10/users/@me/guilds");
    expect(guilds.body).toEqual([expect.objectContaining({ id: fake.guildId, owner: false, permissions: expect.stringMatching(/^\d+$/) })]);
    const perms = BigInt((guilds.body as unknown as Array<{ permissions: string }>)[0]!.permissions);
    expect(perms & (1n << 5n)).toBe(1n << 5n); // Manage Server
  });

  it("refreshes a token once and revokes a grant at /oauth2/token/revoke", async () => {
    const first = await client().validateAuthorizationCode(tokenEndpoint(), await code(), null);
    const second = await client().refreshAccessToken(tokenEndpoint(), first.refreshToken(), []);
    expect((await me(`Bearer ${first.accessToken()}`)).status).toBe(401);
    expect((await me(`Bearer ${second.accessToken()}`)).status).toBe(200);
    expect(await oauthError(client().refreshAccessToken(tokenEndpoint(), first.refreshToken(), []))).toBe("invalid_grant");
    await client().revokeToken(`${tokenEndpoint()}/revoke`, second.accessToken());
    expect((await me(`Bearer ${second.accessToken()}`)).status).toBe(401);
    // the form is all Discord reads: a JSON body names no grant type
    const basic = `Basic ${Buffer.from(`${fake.applicationId}:${fake.oauth2ClientSecret}`).toString("base64")}`;
    const json = await fetch(tokenEndpoint(), { method: "POST", headers: { "Content-Type": "application/json", Authorization: basic }, body: JSON.stringify({ grant_type: "authorization_code", code: await code(), redirect_uri: REDIRECT }) });
    expect([json.status, await json.json()]).toEqual([400, { error: "unsupported_grant_type", error_description: "Grant type None is not supported" }]);
  });
});
