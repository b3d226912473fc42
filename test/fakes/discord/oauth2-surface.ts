// The OAuth2 methods of FakeDiscord (see types.ts), over oauth2.ts. FakeDiscordImpl extends this,
// which extends the Premium Apps surface.
import type { Premium } from "./entitlements.js";
import type { OAuth2 } from "./oauth2.js";
import { PremiumSurface } from "./premium-surface.js";
import type { FakeUser, OAuth2LogEntry } from "./types.js";

export class OAuth2Surface extends PremiumSurface {
  constructor(
    premium: Premium,
    private readonly oauth2: OAuth2,
  ) {
    super(premium);
  }

  get oauth2ClientSecret(): string {
    return this.oauth2.clientSecret;
  }
  get oauth2RedirectUris(): string[] {
    return [...this.oauth2.redirectUris];
  }
  get oauth2Log(): OAuth2LogEntry[] {
    return this.oauth2.log;
  }
  addOAuth2RedirectUri(uri: string): void {
    this.oauth2.addRedirectUri(uri);
  }
  setOAuth2User(user: FakeUser | null): void {
    this.oauth2.setUser(user);
  }
  revokeOAuth2Tokens(user?: FakeUser): void {
    this.oauth2.revokeAll(user);
  }
}
