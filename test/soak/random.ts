/**
 * Seeded randomness for the simulation: every decision is drawn from a generator seeded by the run's
 * seed and what the decision is about (a job's number, a fault's kind), never from Math.random, so a
 * seed names the same faults on the same jobs every time it runs.
 */

/** mulberry32: a small, fast, well-mixed 32-bit generator. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts: a seed for one subject of the run. */
export function seedOf(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("\u0000")) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Dice {
  private readonly next: () => number;

  constructor(...subject: Array<string | number>) {
    this.next = mulberry32(seedOf(...subject));
  }

  /** A number in [0, 1). */
  roll(): number {
    return this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A whole number from `lo` to `hi`, both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}
