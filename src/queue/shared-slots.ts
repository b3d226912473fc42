import { randomUUID } from "node:crypto";
import type { Fence, RedisLike } from "../store/index.js";
import { fairOrder, type ServerLine } from "./fair.js";
import { ENQUEUE, GRANT, SNAPSHOT, WITHDRAW } from "./fair-lua.js";
import { PLACES_EVERY_MS, tellPlaces, type AcquireOptions, type SlotPool } from "./slots.js";

/**
 * The fal slots (`MAX_CONCURRENT_JOBS`) of every process on one Redis: a sorted set of the
 * jobs at fal, each renewed by the process that drives it. A slot whose process died lapses
 * after `ttlMs` (its job is resumed elsewhere and holds it again). Each entry is the job's id
 * with its lease token, and a slot is granted or renewed only while that lease holds: a process
 * that lost a job (stalled past its lease) can neither take nor keep a slot for it. Times are
 * Redis's own (TIME), so the processes' clocks never matter.
 *
 * The waiting jobs of all processes are one fair order in Redis (fair-lua.ts): whichever
 * process sees a free slot (it let one go, a job joined, or every `pollMs` while it has jobs
 * waiting) hands it to the head of that order in one script, and each process collects what
 * was granted to its own jobs. No job waits behind a process that is slow to ask.
 */
const SLOT = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
// KEYS: slots, lease; ARGV: slot, token ('' when unfenced)
const HOLD = `
${SLOT}
if ARGV[2] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[2] then redis.call('ZREM', KEYS[1], ARGV[1]) return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1
`;
const RELEASE = `redis.call('ZREM', KEYS[1], ARGV[1]) return 1`;

interface Waiter {
  resolve: (granted: boolean) => void;
  onPlace: ((place: number) => void) | undefined;
  lastPlace: number;
  timer: NodeJS.Timeout | undefined;
  fence: Fence | undefined;
  guild: string;
}

type Snapshot = [number, [string, [string, string[]][]][]];

const turn = (name: string) => {
  const [start, seq] = name.split("|", 2);
  return { start: Number(start), seq: Number(seq) };
};

export class SharedSlots implements SlotPool {
  /** Job id → its slot's name in the set and its lease. */
  private readonly held = new Map<string, { slot: string; fence: Fence | undefined }>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly process = randomUUID();
  private pumping: Promise<void> | null = null;
  private again = false;
  private version = -1;
  private placesVersion = -1;
  private placesAt = 0;
  private readonly poll: NodeJS.Timeout;
  private readonly renew: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisLike,
    private readonly key: string,
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly onError: (err: unknown) => void,
    /** The key a job's lease lives under (Store.leaseKey). */
    private readonly leaseKey: (name: string) => string,
    /** Hears that this process no longer holds a job it had a slot or a place for. */
    private readonly onLost: (id: string) => void = () => undefined,
    pollMs = 500,
  ) {
    this.poll = setInterval(() => this.waiters.size && this.pump(), pollMs);
    this.renew = setInterval(() => void this.renewAll(), Math.max(1_000, ttlMs / 3));
    this.poll.unref();
    this.renew.unref();
  }

  private static slot(id: string, fence: Fence | undefined): string {
    return fence ? `${id}:${fence.token}` : id;
  }

  private run(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.redis.eval(script, { keys, arguments: args });
  }

  /** Resolves true with a slot, false when withdrawn, on shutdown, after `timeoutMs`, or when the job's lease is gone. */
  acquire(id: string, o: AcquireOptions = {}): Promise<boolean> {
    if (this.held.has(id)) return Promise.resolve(true);
    if (o.timeoutMs !== undefined && o.timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const owner = o.owner ?? { guild: "", member: "" };
      const waiter: Waiter = { resolve, onPlace: o.onPlace, lastPlace: 0, timer: undefined, fence: o.fence, guild: owner.guild };
      if (o.timeoutMs !== undefined) waiter.timer = setTimeout(() => this.withdraw(id), o.timeoutMs);
      this.waiters.set(id, waiter);
      const lease = o.fence ? this.leaseKey(o.fence.name) : "";
      this.run(ENQUEUE, [this.key], [id, owner.guild, owner.member, this.process, o.fence?.token ?? "", lease]).then(() => this.pump(), this.onError);
    });
  }

  /** A job found at fal after a restart holds its slot whatever the count. */
  hold(id: string, fence?: Fence): void {
    const slot = SharedSlots.slot(id, fence);
    this.held.set(id, { slot, fence });
    this.holdScript(id, slot, fence).then((ok) => ok === 0 && this.lost(id), this.onError);
  }

  release(id: string): void {
    const entry = this.held.get(id);
    if (!entry) return this.withdraw(id);
    this.held.delete(id);
    this.run(RELEASE, [this.key], [entry.slot]).then(() => this.pump(), this.onError);
  }

  withdraw(id: string): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    w.resolve(false);
    this.run(WITHDRAW, [this.key, this.key], [id, this.process, SharedSlots.slot(id, w.fence)]).catch(this.onError);
  }

  /** On shutdown: each waiting job leaves the order (its next driver queues it again). */
  wakeAll(): void {
    for (const id of [...this.waiters.keys()]) this.withdraw(id);
    clearInterval(this.poll);
    clearInterval(this.renew);
  }

  get queued(): number {
    return this.waiters.size;
  }

  waitingHere(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const w of this.waiters.values()) counts.set(w.guild, (counts.get(w.guild) ?? 0) + 1);
    return counts;
  }

  async freeSlots(): Promise<number> {
    // a lapsed holder still counts until the next grant prunes it: a free slot is never overstated
    return Math.max(0, this.capacity - (await this.redis.zCard(this.key)));
  }

  async waitingElsewhere(guild: string): Promise<number> {
    const all = Number((await this.redis.hGet(`${this.key}:count`, guild)) ?? 0);
    return Math.max(0, all - (this.waitingHere().get(guild) ?? 0));
  }

  async waitingByGuild(): Promise<Map<string, number>> {
    const counts = (await this.redis.hGetAll(`${this.key}:count`)) as Record<string, string>;
    return new Map(Object.entries(counts).map(([g, n]) => [g, Number(n)]));
  }

  /** The whole waiting order, every process's jobs (for the places and for tests). */
  async waitingOrder(): Promise<string[]> {
    return fairOrder((await this.lines()).servers);
  }

  private async lines(): Promise<{ version: number; servers: ServerLine[] }> {
    const [version, servers] = (await this.run(SNAPSHOT, [this.key], [])) as Snapshot;
    return { version, servers: servers.map(([server, members]) => ({ ...turn(server), members: members.map(([member, jobs]) => ({ ...turn(member), jobs })) })) };
  }

  /** The job's lease is gone: its slot entry was dropped by the script; forget it here too. */
  private lost(id: string): void {
    this.held.delete(id);
    const w = this.waiters.get(id);
    if (w) {
      this.waiters.delete(id);
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.onLost(id);
  }

  /** Hands free slots to the head of the order and collects what this process's jobs got; one at a time. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.again = false;
        try {
          await this.grant();
          await this.tellPlaces();
        } catch (err) {
          this.onError(err);
        }
      } while (this.again);
    })().finally(() => (this.pumping = null));
  }

  private async grant(): Promise<void> {
    const [version, mine] = (await this.run(GRANT, [this.key, this.key], [String(this.ttlMs), String(this.capacity), this.process])) as [number, string[]];
    this.version = version;
    for (const entry of mine) {
      if (entry.startsWith("!")) {
        this.lost(entry.slice(1));
        continue;
      }
      const [id, slot] = entry.split("\n") as [string, string];
      const w = this.waiters.get(id);
      if (!w) {
        await this.run(RELEASE, [this.key], [slot]); // withdrawn while it was being granted
        continue;
      }
      this.waiters.delete(id);
      clearTimeout(w.timer);
      this.held.set(id, { slot, fence: w.fence });
      w.resolve(true);
    }
  }

  /** Reads the order again when it changed and someone listens, at most every PLACES_EVERY_MS. */
  private async tellPlaces(): Promise<void> {
    if (this.version === this.placesVersion || Date.now() - this.placesAt < PLACES_EVERY_MS) return;
    if (![...this.waiters.values()].some((w) => w.onPlace)) return;
    this.placesAt = Date.now();
    const { version, servers } = await this.lines();
    this.placesVersion = version;
    tellPlaces(fairOrder(servers), this.waiters);
  }

  private holdScript(id: string, slot: string, fence: Fence | undefined): Promise<unknown> {
    return this.run(HOLD, [this.key, this.leaseKey(fence?.name ?? id)], [slot, fence?.token ?? ""]);
  }

  private async renewAll(): Promise<void> {
    for (const [id, entry] of this.held) {
      const ok = await this.holdScript(id, entry.slot, entry.fence).catch((err: unknown) => (this.onError(err), 1));
      if (ok === 0) this.lost(id);
    }
  }
}
