import type { DiscordFaultDecision, DiscordFaultRequest, FakeDiscord, FakeUser } from "../fakes/discord/index.js";
import { ephemeralText, type Harness } from "../support/harness.js";
import type { FaultLog } from "./faults.js";
import type { Plan, PurchasePlan } from "./plan.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The packs the simulation sells: the fake's two consumable SKUs. */
export function packsOf(discord: FakeDiscord): Array<{ skuId: string; micros: number }> {
  return [
    { skuId: discord.skus[0]!.id, micros: 5_000_000 },
    { skuId: discord.skus[1]!.id, micros: 20_000_000 },
  ];
}

/**
 * The members who buy credit packs: an admin gives them no budget at the start, so every video
 * of theirs is paid by credits; each planned purchase happens after its order is sent, with its
 * events lost, doubled or repeated, its consume failing, and sometimes a refund by Discord.
 */
export class Purchases {
  /** Consume faults still to happen, by "user:sku" (the entitlement's id is Discord's to choose). */
  private readonly faults = new Map<string, PurchasePlan["consumeFault"]>();
  readonly made: Array<{ plan: PurchasePlan; id: string }> = [];
  readonly skipped: PurchasePlan[] = [];

  constructor(
    private readonly discord: FakeDiscord,
    private readonly plan: Plan,
    private readonly users: FakeUser[],
    private readonly log: FaultLog,
  ) {}

  /** Sets each buyer's budget in their server to $0 (an admin's /quota set), retried while the process starts. */
  async zeroBudgets(): Promise<void> {
    const h = { discord: this.discord } as unknown as Harness;
    for (const member of this.plan.buyers) {
      const guild = member % this.plan.guilds;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const set = await this.discord.slashCommand({
            name: "quota",
            guild,
            user: this.discord.users.admin,
            options: [{ name: "set", type: 1, options: [{ name: "user", type: 6, value: this.users[member]! }, { name: "usd", type: 10, value: 0 }] }] as never,
          });
          if (/is now/.test(await this.discord.waitFor(() => ephemeralText(h, set), 5_000))) break;
        } catch {
          await sleep(500);
        }
      }
    }
  }

  /** For the fake's fault policy: the planned fault of a consume, once. */
  consumeFault(r: DiscordFaultRequest): DiscordFaultDecision | undefined {
    if (r.route !== "entitlement.consume") return undefined;
    const e = this.discord.entitlement(r.path.split("/")[4] ?? "");
    const key = `${e?.user_id}:${e?.sku_id}`;
    const fault = this.faults.get(key);
    if (!fault || fault === "none") return undefined;
    this.faults.delete(key);
    this.log.add(fault === "fail" ? "discord: consume failed (500)" : "discord: consume done, its answer lost (500)");
    const reply = { status: 500, body: { code: 0, message: "Internal Server Error" } };
    return fault === "fail" ? { fail: reply } : { failAfter: reply };
  }

  /** The purchases planned after this order, each run on its own. */
  after(order: number): Array<Promise<void>> {
    return this.plan.purchases.filter((p) => p.afterOrder === order).map((p) => this.buy(p));
  }

  private async buy(p: PurchasePlan): Promise<void> {
    const user = this.users[p.member]!;
    const sku = this.discord.skus[p.pack]!.id;
    this.faults.set(`${user.id}:${sku}`, p.consumeFault);
    let id: string;
    try {
      id = (await this.discord.purchase({ userId: user.id, skuId: sku, deliver: p.deliver })).id;
    } catch {
      // Discord sells one at a time: the member's last one of this pack is not consumed yet
      this.faults.delete(`${user.id}:${sku}`);
      this.skipped.push(p);
      this.log.add("purchase not made: the last one of this pack is not consumed yet");
      return;
    }
    this.made.push({ plan: p, id });
    this.log.add(`purchase (${p.deliver.length ? p.deliver.join(" + ") : "event lost"})`);
    for (let k = 0; k < p.replays; k++) {
      await sleep(100 + k * 300);
      this.log.add("purchase event repeated");
      await this.discord.replayEntitlementEvent(id, "ENTITLEMENT_CREATE", p.deliver.length ? p.deliver : ["gateway"]);
    }
    if (p.refund) {
      await sleep(500);
      this.log.add("purchase refunded by Discord");
      await this.discord.refundPurchase(id, { deliver: ["gateway", "webhook"] });
    }
  }

  /** Waits until every purchase not refunded is consumed (the listing runs every 10 s), at most `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    await this.discord.eventDeliveriesSettled();
    const until = Date.now() + timeoutMs;
    const open = () => this.made.filter(({ id }) => {
      const e = this.discord.entitlement(id);
      return e && !e.deleted && !e.consumed;
    });
    while (open().length && Date.now() < until) await sleep(500);
  }
}
