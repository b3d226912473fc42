/**
 * The order in which waiting jobs get a fal slot: round-robin by server, and within a server
 * round-robin by member. Pure (no I/O): the pool of one process keeps a FairQueue, and the
 * shared pool on Redis runs the same rules in Lua and reads its state back as `FairLine`s.
 *
 * Each member's waiting jobs are numbered by round: the first gets the server's current round
 * (or, if the member was served in that round already, the next one), the others follow one
 * round each. Servers are numbered the same way over the whole queue. The next job is the one
 * with the lowest round, ties going to whoever joined first; so in each round every server with
 * waiting jobs gets one turn, and within a server every member one. Handing a job out never
 * changes the order of the others, and a job's place only grows when someone joins a round
 * ahead of it (a member or server that had no turn yet in that round).
 */

/** Who a waiting job belongs to. Jobs with the same owner are served in arrival order. */
export interface Owner {
  guild: string;
  member: string;
}

/** A server or member with waiting jobs: its next round and when it joined (ties). */
export interface Turn {
  start: number;
  seq: number;
}

/** A member's waiting jobs, in arrival order. */
export interface MemberLine extends Turn {
  jobs: readonly string[];
}

/** A server's waiting members. */
export interface ServerLine extends Turn {
  members: readonly MemberLine[];
}

const before = (a: Turn, b: Turn) => a.start - b.start || a.seq - b.seq;

/** Every waiting job in the order it will be served. O(n log n). */
export function fairOrder(servers: readonly ServerLine[]): string[] {
  const all: { start: number; seq: number; id: string }[] = [];
  const inServer: { start: number; seq: number; id: string }[] = [];
  for (const s of servers) {
    inServer.length = 0;
    for (const m of s.members) m.jobs.forEach((id, i) => inServer.push({ start: m.start + i, seq: m.seq, id }));
    inServer.sort(before);
    inServer.forEach((j, i) => all.push({ start: s.start + i, seq: s.seq, id: j.id }));
  }
  return all.sort(before).map((j) => j.id);
}

interface Member extends Turn {
  jobs: string[];
}

interface Server extends Turn {
  /** Members with waiting jobs. */
  members: Map<string, Member>;
  count: number;
  /** The member round of the last job this server handed out. */
  clock: number;
  /** Round of the last turn of each member with nothing waiting (kept while it still matters). */
  lastOf: Map<string, number>;
  /** Round of this server's last turn (while it has nothing waiting). */
  last: number;
}

/** No turn yet: max(last + 1, clock) is then the clock. */
const NEVER = -1;

export class FairQueue {
  private seq = 0;
  /** The server round of the last job handed out. */
  private clock = 0;
  /** Servers with waiting jobs, and idle ones whose last turn still matters. */
  private readonly servers = new Map<string, Server>();
  private readonly owners = new Map<string, Owner>();

  get size(): number {
    return this.owners.size;
  }

  has(id: string): boolean {
    return this.owners.has(id);
  }

  /** Waiting jobs by server. */
  byGuild(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [guild, s] of this.servers) if (s.count) counts.set(guild, s.count);
    return counts;
  }

  countOf(guild: string): number {
    return this.servers.get(guild)?.count ?? 0;
  }

  add(id: string, owner: Owner): void {
    if (this.owners.has(id)) return;
    let s = this.servers.get(owner.guild);
    if (!s) {
      s = { start: 0, seq: 0, members: new Map(), count: 0, clock: 0, lastOf: new Map(), last: NEVER };
      this.servers.set(owner.guild, s);
    }
    if (s.count === 0) Object.assign(s, { start: Math.max(s.last + 1, this.clock), seq: ++this.seq });
    let m = s.members.get(owner.member);
    if (!m) {
      m = { start: Math.max((s.lastOf.get(owner.member) ?? NEVER) + 1, s.clock), seq: ++this.seq, jobs: [] };
      s.lastOf.delete(owner.member);
      s.members.set(owner.member, m);
    }
    m.jobs.push(id);
    s.count++;
    this.owners.set(id, owner);
  }

  /** Takes a waiting job out (withdrawn); true when it was waiting. */
  remove(id: string): boolean {
    const owner = this.owners.get(id);
    if (!owner) return false;
    this.owners.delete(id);
    const s = this.servers.get(owner.guild)!;
    const m = s.members.get(owner.member)!;
    m.jobs.splice(m.jobs.indexOf(id), 1);
    // what was never served is not remembered as a turn: the next job starts where this one would have
    if (!m.jobs.length) this.idleMember(s, owner.member, m.start - 1);
    if (--s.count === 0) s.last = s.start - 1;
    return true;
  }

  /** Hands out the next job in the order, counting the turn of its server and member. */
  next(): string | undefined {
    let s: Server | undefined;
    let guild = "";
    for (const [g, c] of this.servers) if (c.count && (!s || before(c, s) < 0)) [s, guild] = [c, g];
    if (!s) return undefined;
    let m: Member | undefined;
    let member = "";
    for (const [k, c] of s.members) if (!m || before(c, m) < 0) [m, member] = [c, k];
    const id = m!.jobs.shift()!;
    this.owners.delete(id);
    s.clock = m!.start++;
    if (!m!.jobs.length) this.idleMember(s, member, s.clock);
    this.clock = s.start++;
    if (--s.count === 0) s.last = this.clock;
    this.forget(guild, s);
    return id;
  }

  /** The waiting jobs in the order they will be served. */
  order(): string[] {
    return fairOrder(this.lines());
  }

  /** The state as the order reads it (what the shared pool reads back from Redis). */
  lines(): ServerLine[] {
    const lines: ServerLine[] = [];
    for (const s of this.servers.values()) if (s.count) lines.push({ start: s.start, seq: s.seq, members: [...s.members.values()] });
    return lines;
  }

  private idleMember(s: Server, member: string, last: number): void {
    s.members.delete(member);
    s.lastOf.set(member, last);
  }

  /** Drops what no longer changes anyone's round: a last turn at least one round behind its clock. */
  private forget(guild: string, s: Server): void {
    for (const [member, last] of s.lastOf) if (last < s.clock) s.lastOf.delete(member);
    for (const [g, other] of this.servers) if (!other.count && other.last < this.clock) this.servers.delete(g);
    if (!s.count && s.last < this.clock) this.servers.delete(guild);
  }
}
