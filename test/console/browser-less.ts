import { startHarness, type Harness, type HarnessOptions } from "../support/harness.js";
import { freePort } from "../support/net.js";

/** A browser without a browser: cookies kept per name, redirects followed by hand. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header seen, whole (for checks of their flags and contents). */
  readonly seen: string[] = [];

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      this.seen.push(line);
      const [pair, ...attrs] = line.split(";");
      const [name, ...value] = pair!.split("=");
      const expired = attrs.some((a) => /^\s*max-age=0$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join("="));
    }
    return res;
  }

  /** Follows redirects (GET) from `url` until a page answers; the last response. */
  async follow(url: string): Promise<{ res: Response; url: string }> {
    let at = url;
    for (let i = 0; i < 10; i++) {
      const res = await this.fetch(at);
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location) return { res, url: at };
      at = new URL(location, at).toString();
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** POSTs a form. */
  post(url: string, form: Record<string, string>): Promise<Response> {
    return this.fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() });
  }
}

/** The bot with its console on, behind the fake Discord's OAuth2; the console's base URL. */
export async function consoleHarness(env: Record<string, string> = {}, options: Omit<HarnessOptions, "env"> = {}): Promise<{ h: Harness; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const h = await startHarness({
    ...options,
    env: ({ discord }) => {
      discord.addOAuth2RedirectUri(`${base}/console/callback`);
      return { HTTP_PORT: String(port), CONSOLE_URL: base, DISCORD_CLIENT_SECRET: discord.oauth2ClientSecret, DISCORD_WEB_URL: discord.webUrl, ...env };
    },
  });
  return { h, base };
}

/** Logs in as the fake's consenting user; the jar then holds the session. */
export async function login(base: string, jar = new CookieJar()): Promise<{ jar: CookieJar; res: Response; url: string }> {
  const { res, url } = await jar.follow(`${base}/console`);
  return { jar, res, url };
}

/** The CSRF token of a page's forms. */
export function csrfOf(page: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!token) throw new Error("no CSRF token on the page");
  return token;
}
