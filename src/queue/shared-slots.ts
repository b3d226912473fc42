import type { Fence, RedisLike } from "../store/index.js";
import { announcePlaces, tellPlace } from "./slots.js";

/**
 * The fal slots (`MAX_CONCURRENT_JOBS`) of every process on one Redis: a sorted set of the
 * jobs at fal, each renewed by the process that drives it. A slot whose process died lapses
 * after `ttlMs` (its job is resumed elsewhere and holds it again). Each entry is the job's id
 * with its lease token, and a slot is granted or renewed only while that lease holds: a process
 * that lost a job (stalled past its lease) can neither take nor keep a slot for it, and its
 * entry never stands for the new driver's. Times are Redis's own (TIME), so clocks of the
 * processes never matter. Each process queues its own waiters in arrival order; the head tries
 * whenever a slot may have freed: when this process lets one go, and every `pollMs` while
 * anyone waits.
 */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
// KEYS: slots, lease; ARGV: member, ttl, capacity, token ('' when unfenced)
const ACQUIRE = `
${NOW}
if ARGV[4] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[4] then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  return 1
end
return 0
`;
const HOLD = `
${NOW}
if ARGV[4] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[4] then redis.call('ZREM', KEYS[1], ARGV[1]) return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1
`;
const RELEASE = `redis.call('ZREM', KEYS[1], ARGV[1]) return 1`;

interface Waiter {
  id: string;
  resolve: (granted: boolean) => void;
  onPlace: ((place: number) => void) | undefined;
  lastPlace: number;
  timer: NodeJS.Timeout | undefined;
}

export class SharedSlots {
  /** Job id → its entry in the set and its lease. */
  private readonly held = new Map<string, { member: string; fence: Fence | undefined }>();
  private readonly fences = new Map<string, Fence | undefined>();
  private waiting: Waiter[] = [];
  private pumping = false;
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
    this.poll = setInterval(() => this.waiting.length && this.pump(), pollMs);
    this.renew = setInterval(() => void this.renewAll(), Math.max(1_000, ttlMs / 3));
    this.poll.unref();
    this.renew.unref();
  }

  private static member(id: string, fence: Fence | undefined): string {
    return fence ? `${id}:${fence.token}` : id;
  }

  private script(script: string, id: string, member: string, fence: Fence | undefined): Promise<unknown> {
    return this.redis.eval(script, {
      keys: [this.key, this.leaseKey(fence?.name ?? id)],
      arguments: [member, String(this.ttlMs), String(this.capacity), fence?.token ?? ""],
    });
  }

  /** Resolves true with a slot, false when withdrawn, on shutdown, after `timeoutMs`, or when the job's lease is gone. */
  acquire(id: string, onPlace?: (place: number) => void, timeoutMs?: number, fence?: Fence): Promise<boolean> {
    if (this.held.has(id)) return Promise.resolve(true);
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = { id, resolve, onPlace, lastPlace: 0, timer: undefined };
      if (timeoutMs !== undefined) waiter.timer = setTimeout(() => this.withdraw(id), timeoutMs);
      this.fences.set(id, fence);
      this.waiting.push(waiter);
      tellPlace(waiter, this.waiting.length);
      this.pump();
    });
  }

  /** A job found at fal after a restart holds its slot whatever the count. */
  hold(id: string, fence?: Fence): void {
    const member = SharedSlots.member(id, fence);
    this.held.set(id, { member, fence });
    this.script(HOLD, id, member, fence).then((ok) => ok === 0 && this.lost(id), this.onError);
  }

  release(id: string): void {
    const entry = this.held.get(id);
    if (!entry) return this.withdraw(id);
    this.held.delete(id);
    this.script(RELEASE, id, entry.member, entry.fence).then(() => this.pump(), this.onError);
  }

  withdraw(id: string): void {
    const idx = this.waiting.findIndex((w) => w.id === id);
    if (idx < 0) return;
    const [w] = this.waiting.splice(idx, 1);
    this.fences.delete(id);
    clearTimeout(w!.timer);
    w!.resolve(false);
    this.announce(idx);
  }

  wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    clearInterval(this.poll);
    clearInterval(this.renew);
  }

  placeOf(id: string): number | null {
    const idx = this.waiting.findIndex((w) => w.id === id);
    return idx < 0 ? null : idx + 1;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** The job's lease is gone: its slot entry was dropped by the script; forget it here too. */
  private lost(id: string): void {
    this.held.delete(id);
    this.withdraw(id);
    this.onLost(id);
  }

  /** Lets the waiters at the head try, in order, until one is refused. */
  private pump(): void {
    if (this.pumping || !this.waiting.length) return;
    this.pumping = true;
    void (async () => {
      try {
        while (this.waiting.length) {
          const head = this.waiting[0]!;
          const fence = this.fences.get(head.id);
          const member = SharedSlots.member(head.id, fence);
          const answer = await this.script(ACQUIRE, head.id, member, fence);
          if (answer === -1) {
            this.lost(head.id); // not ours any more: its place goes to the next
            continue;
          }
          if (answer !== 1) break;
          if (this.waiting[0] !== head) {
            // withdrawn while asking: give the slot back
            await this.script(RELEASE, head.id, member, fence);
            continue;
          }
          this.waiting.shift();
          this.fences.delete(head.id);
          clearTimeout(head.timer);
          this.held.set(head.id, { member, fence });
          head.resolve(true);
          this.announce();
        }
      } catch (err) {
        this.onError(err);
      } finally {
        this.pumping = false;
      }
    })();
  }

  private async renewAll(): Promise<void> {
    for (const [id, entry] of this.held) {
      const ok = await this.script(HOLD, id, entry.member, entry.fence).catch((err: unknown) => (this.onError(err), 1));
      if (ok === 0) this.lost(id);
    }
  }

  private announce(from = 0): void {
    announcePlaces(this.waiting, from);
  }
}
