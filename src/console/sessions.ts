import { randomBytes } from "node:crypto";
import type { Store } from "../store/index.js";

/** An operator signed in to the console: who (from Discord's /users/@me), since when. */
export interface ConsoleSession {
  userId: string;
  name: string;
  createdAt: number;
}

/** A session lasts 12 hours from its last use. */
export const SESSION_MS = 12 * 3_600_000;
/** A login must come back from Discord within 10 minutes. */
export const LOGIN_MS = 10 * 60_000;

const sessionKey = (id: string) => `console:session:${id}`;
const stateKey = (state: string) => `console:state:${state}`;

/** A random id for a cookie: 32 bytes, base64url. */
export const randomId = (): string => randomBytes(32).toString("base64url");

/**
 * Sessions in the store (any process behind the proxy can read them; a restart keeps them):
 * the browser holds only a random id, never Discord's token.
 */
export class ConsoleSessions {
  constructor(private readonly store: Store) {}

  async open(session: Omit<ConsoleSession, "createdAt">): Promise<string> {
    const id = randomId();
    await this.store.set(sessionKey(id), { ...session, createdAt: Date.now() } satisfies ConsoleSession, SESSION_MS);
    return id;
  }

  /** The session, renewed for another 12 hours; undefined when it is unknown or expired. */
  async use(id: string | undefined): Promise<ConsoleSession | undefined> {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const session = await this.store.get<ConsoleSession>(sessionKey(id));
    if (session) await this.store.set(sessionKey(id), session, SESSION_MS);
    return session;
  }

  async close(id: string | undefined): Promise<void> {
    if (id) await this.store.delete(sessionKey(id));
  }

  /** A login's state, kept until Discord sends the browser back (single-use). */
  async newState(): Promise<string> {
    const state = randomId();
    await this.store.set(stateKey(state), Date.now(), LOGIN_MS);
    return state;
  }

  /** Whether `state` was issued and not used yet; it is used now either way. */
  async takeState(state: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(state)) return false;
    // a lease taken once per state: two callbacks racing with one state, only one wins
    if (!(await this.store.leaseTake(`console:state-used:${state}`, "used", LOGIN_MS))) return false;
    const issued = await this.store.get<number>(stateKey(state));
    await this.store.delete(stateKey(state));
    return issued !== undefined && Date.now() - issued < LOGIN_MS;
  }
}
