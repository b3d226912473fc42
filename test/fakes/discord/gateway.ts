// Gateway v10 over `ws` (JSON encoding, no compression): HELLO, IDENTIFY, READY, RESUME, dispatches.
// Sharded as Discord is: a session identifies as shard [i, n], READY lists the guilds with
// (guild_id >> 22) % n === i, and a guild's dispatches go only to the sessions of its shard.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket } from "ws";
import { sessionId } from "./ids.js";
import { channelJson, channelsOf } from "./channels.js";
import { guildById, guildCreateJson, guildsOnShard, knownUsers, memberJson, readyJson, shardOf } from "./payloads.js";
import { Intents, type State } from "./state.js";

const PRIVILEGED = Intents.GuildMembers | Intents.GuildPresences | Intents.MessageContent;
const BUFFER_MAX = 1000;
const STALE_MS = 60_000;
/** Close codes after which the session cannot be resumed. */
const NON_RESUMABLE = new Set([1000, 1001, 4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014]);

interface Session {
  id: string;
  seq: number;
  buffer: Array<{ s: number; data: string }>;
  ws?: WebSocket;
  intents: number;
  /** [shard_id, num_shards] from IDENTIFY. */
  shard: [number, number];
  ready: boolean;
  invalid: boolean;
  closedAt?: number;
}

interface Conn {
  session?: Session;
}

export class Gateway {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readyWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly state: State) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/gateway") {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, url.searchParams));
  }

  private fail(ws: WebSocket, code: number, reason: string): void {
    this.state.record({ method: "WS", path: "/gateway", status: code, code, message: reason });
    ws.close(code, reason.slice(0, 120));
  }

  private onConnection(ws: WebSocket, q: URLSearchParams): void {
    if (q.has("compress")) {
      const msg = `fake Discord: transport compression "${q.get("compress")}" is not supported (is zlib-sync installed?)`;
      console.error(`[fake-discord] ${msg}`);
      this.fail(ws, 4012, msg);
      return;
    }
    if (q.get("v") !== "10") return this.fail(ws, 4012, `fake Discord speaks gateway v10 only (got v=${q.get("v")})`);
    if ((q.get("encoding") ?? "json") !== "json") return this.fail(ws, 4002, "fake Discord supports encoding=json only");
    const conn: Conn = {};
    this.send(ws, { op: 10, d: { heartbeat_interval: this.state.opts.heartbeatIntervalMs, _trace: ["fake-gateway"] }, s: null, t: null });
    ws.on("message", (raw, isBinary) => {
      let p: { op?: number; d?: any };
      try {
        p = JSON.parse(isBinary ? Buffer.from(raw as Buffer).toString("utf8") : String(raw));
      } catch {
        return this.fail(ws, 4002, "Error while decoding payload.");
      }
      this.onPayload(ws, conn, p);
    });
    ws.on("close", (code) => {
      const s = conn.session;
      if (!s || s.ws !== ws) return;
      s.ws = undefined;
      s.closedAt = Date.now();
      if (NON_RESUMABLE.has(code)) s.invalid = true;
    });
    ws.on("error", () => {});
  }

  private send(ws: WebSocket | undefined, payload: unknown): void {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload));
  }

  private onPayload(ws: WebSocket, conn: Conn, p: { op?: number; d?: any }): void {
    const { state } = this;
    switch (p.op) {
      case 1:
        return this.send(ws, { op: 11, d: null, s: null, t: null });
      case 2: {
        if (conn.session) return this.fail(ws, 4005, "Already authenticated.");
        const d = p.d ?? {};
        if (d.token !== state.opts.token) return this.fail(ws, 4004, "Authentication failed.");
        if (typeof d.intents !== "number") return this.fail(ws, 4013, "Invalid intent(s).");
        if (d.intents & PRIVILEGED & ~state.opts.privilegedIntents) return this.fail(ws, 4014, "Disallowed intent(s).");
        const n = state.world.shardCount;
        let shard: [number, number];
        if (d.shard === undefined || d.shard === null) {
          // Discord: a bot that has to shard gets 4011 when it identifies without `shard`.
          if (n !== 1) return this.fail(ws, 4011, `Sharding required (the fake has ${n} shards: identify with shard [i, ${n}]).`);
          shard = [0, 1];
        } else {
          const ok = Array.isArray(d.shard) && d.shard.length === 2 && d.shard.every((x: unknown) => Number.isInteger(x)) &&
            d.shard[1] === n && d.shard[0] >= 0 && d.shard[0] < n;
          if (!ok) return this.fail(ws, 4010, `Invalid shard ${JSON.stringify(d.shard)} (the fake has ${n} shard(s): use [i, ${n}], 0 <= i < ${n}).`);
          shard = [d.shard[0], d.shard[1]];
        }
        const s: Session = { id: sessionId(), seq: 0, buffer: [], ws, intents: d.intents, shard, ready: false, invalid: false };
        this.sessions.set(s.id, s);
        conn.session = s;
        state.identifies.push([shard[0], shard[1]]);
        this.emit(s, "READY", readyJson(state.world, s.id, state.gatewayUrl, shard));
        if (s.intents & Intents.Guilds) {
          for (const g of guildsOnShard(state.world, shard[0])) {
            const channels = channelsOf(state.world, g).map((c) => channelJson(state.world, c));
            this.emit(s, "GUILD_CREATE", guildCreateJson(state.world, g, channels, state.activeThreadsJson(g)));
          }
        }
        s.ready = true;
        this.notifyReady();
        return;
      }
      case 6: {
        if (conn.session) return this.fail(ws, 4005, "Already authenticated.");
        const d = p.d ?? {};
        if (d.token !== state.opts.token) return this.fail(ws, 4004, "Authentication failed.");
        const s = this.sessions.get(d.session_id);
        if (!s || s.invalid) return this.send(ws, { op: 9, d: false, s: null, t: null });
        if (typeof d.seq === "number" && d.seq > s.seq) return this.fail(ws, 4007, "Invalid seq.");
        if (s.ws && s.ws !== ws) s.ws.close(4009, "Session resumed elsewhere.");
        s.ws = ws;
        s.closedAt = undefined;
        conn.session = s;
        for (const e of s.buffer) if (e.s > (d.seq ?? 0)) ws.send(e.data);
        this.emit(s, "RESUMED", { _trace: ["fake-gateway"] });
        this.notifyReady();
        return;
      }
      case 3:
      case 4:
        if (!conn.session) return this.fail(ws, 4003, "Not authenticated.");
        return;
      case 8: {
        const s = conn.session;
        if (!s) return this.fail(ws, 4003, "Not authenticated.");
        const d = p.d ?? {};
        // Only the guilds on this session's shard are answered (Discord has the others elsewhere).
        const g = guildById(state.world, String(d.guild_id));
        if (!g || g.shard !== s.shard[0]) {
          state.log("GUILD_MEMBERS_CHUNK not sent: guild", d.guild_id, "is not on shard", s.shard[0]);
          return;
        }
        const ids: string[] | undefined = d.user_ids ? [d.user_ids].flat() : undefined;
        const members = knownUsers(state.world)
          .filter((u) => (ids ? ids.includes(u.id) : u.username.startsWith(String(d.query ?? ""))))
          .slice(0, d.limit || undefined)
          .map((u) => memberJson(state.world, g, u));
        this.emit(s, "GUILD_MEMBERS_CHUNK", { guild_id: g.guildId, members, chunk_index: 0, chunk_count: 1, not_found: [], ...(d.nonce ? { nonce: d.nonce } : {}) });
        return;
      }
      default:
        if (!conn.session) return this.fail(ws, 4003, "Not authenticated.");
        return this.fail(ws, 4001, `Unknown opcode ${String(p.op)}.`);
    }
  }

  private emit(s: Session, t: string, d: unknown): void {
    s.seq++;
    const data = JSON.stringify({ op: 0, t, s: s.seq, d });
    s.buffer.push({ s: s.seq, data });
    if (s.buffer.length > BUFFER_MAX) s.buffer.shift();
    if (s.ws && s.ws.readyState === WebSocket.OPEN) s.ws.send(data);
  }

  private live(): Session[] {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (!s.ws && s.closedAt !== undefined && now - s.closedAt > STALE_MS) s.invalid = true;
    }
    return [...this.sessions.values()].filter((s) => !s.invalid && s.ready);
  }

  /**
   * Sends a guild's dispatch to every live session of the shard that owns the guild (buffered for
   * sessions that are reconnecting, which a RESUME replays; a session identified later never gets
   * it). An event without a guild (`shard: 0`) goes to shard 0's sessions only, as Discord sends it.
   * Returns how many sessions got it.
   */
  dispatch(t: string, d: unknown, scope: { guildId: string; intent?: number } | { shard: 0; intent?: number }): number {
    const shard = "shard" in scope ? scope.shard : shardOf(scope.guildId, this.state.world.shardCount);
    const { intent } = scope;
    let n = 0;
    for (const s of this.live()) {
      if (s.shard[0] !== shard) continue;
      if (intent !== undefined && !(s.intents & intent)) continue;
      this.emit(s, t, d);
      n++;
    }
    return n;
  }

  connectedSessions(shard?: number): number {
    return this.live().filter((s) => s.ws?.readyState === WebSocket.OPEN && (shard === undefined || s.shard[0] === shard)).length;
  }

  private notifyReady(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w();
  }

  ready(shard?: number): Promise<void> {
    if (this.closed || this.connectedSessions(shard) > 0) return Promise.resolve();
    // Woken at every READY/RESUMED; waits again until a session of `shard` is up.
    return new Promise<void>((resolve) => this.readyWaiters.push(resolve)).then(() => this.ready(shard));
  }

  disconnect(code = 4000, shard?: number): void {
    for (const s of this.sessions.values()) {
      if (shard !== undefined && s.shard[0] !== shard) continue;
      if (s.ws) s.ws.close(code, "fake Discord: disconnect requested by test");
      if (NON_RESUMABLE.has(code)) s.invalid = true;
    }
  }

  close(): void {
    this.closed = true;
    for (const ws of this.wss.clients) ws.terminate();
    for (const s of this.sessions.values()) s.ws?.terminate();
    this.wss.close();
    this.notifyReady();
  }
}
