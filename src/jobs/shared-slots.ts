import type { RedisLike } from "../store/index.js";
import { announcePlaces, tellPlace } from "./slots.js";

/**
 * The fal slots (`MAX_CONCURRENT_JOBS`) of every process on one Redis: a sorted set of the
 * jobs at fal, each renewed by the process that drives it. A slot whose process died lapses
 * after `ttlMs` (its job is resumed elsewhere and holds it again). Each process queues its
 * own waiters in arrival order; the head tries whenever a slot may have freed: when this
 * process lets one go, and every `pollMs` while anyone waits.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0
`;
const HOLD = `redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) return 1`;
const RELEASE = `redis.call('ZREM', KEYS[1], ARGV[1]) return 1`;

interface Waiter {
  id: string;
  resolve: (granted: boolean) => void;
  onPlace: ((place: number) => void) | undefined;
  lastPlace: number;
  timer: NodeJS.Timeout | undefined;
}

export class SharedSlots {
  private readonly held = new Set<string>();
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
    pollMs = 500,
  ) {
    this.poll = setInterval(() => this.waiting.length && this.pump(), pollMs);
    this.renew = setInterval(() => void this.renewAll(), Math.max(1_000, ttlMs / 3));
    this.poll.unref();
    this.renew.unref();
  }

  private script(script: string, id: string): Promise<unknown> {
    return this.redis.eval(script, { keys: [this.key], arguments: [id, String(Date.now()), String(this.ttlMs), String(this.capacity)] });
  }

  /** Resolves true with a slot, false when withdrawn, on shutdown, or after `timeoutMs`. */
  acquire(id: string, onPlace?: (place: number) => void, timeoutMs?: number): Promise<boolean> {
    if (this.held.has(id)) return Promise.resolve(true);
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = { id, resolve, onPlace, lastPlace: 0, timer: undefined };
      if (timeoutMs !== undefined) waiter.timer = setTimeout(() => this.withdraw(id), timeoutMs);
      this.waiting.push(waiter);
      tellPlace(waiter, this.waiting.length);
      this.pump();
    });
  }

  /** A job found at fal after a restart holds its slot whatever the count. */
  hold(id: string): void {
    this.held.add(id);
    this.script(HOLD, id).catch(this.onError);
  }

  release(id: string): void {
    if (!this.held.delete(id)) return this.withdraw(id);
    this.script(RELEASE, id).then(() => this.pump(), this.onError);
  }

  withdraw(id: string): void {
    const idx = this.waiting.findIndex((w) => w.id === id);
    if (idx < 0) return;
    const [w] = this.waiting.splice(idx, 1);
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

  /** Lets the waiters at the head try, in order, until one is refused. */
  private pump(): void {
    if (this.pumping || !this.waiting.length) return;
    this.pumping = true;
    void (async () => {
      try {
        while (this.waiting.length) {
          const head = this.waiting[0]!;
          if ((await this.script(ACQUIRE, head.id)) !== 1) break;
          if (this.waiting[0] !== head) {
            // withdrawn while asking: give the slot back
            await this.script(RELEASE, head.id);
            continue;
          }
          this.waiting.shift();
          clearTimeout(head.timer);
          this.held.add(head.id);
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
    for (const id of this.held) await this.script(HOLD, id).catch(this.onError);
  }

  private announce(from = 0): void {
    announcePlaces(this.waiting, from);
  }
}
