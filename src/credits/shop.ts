import { DiscordAPIError, Routes, type REST } from "discord.js";
import { ConfigError, type CreditPack } from "../config/index.js";
import type { Logger } from "../log/index.js";
import type { Budget } from "../quota/index.js";
import type { Leases, Store } from "../store/index.js";
import type { PackOnSale } from "./packs.js";

/** An entitlement as Discord sends it (gateway, webhook event or REST), with what the shop reads. */
export interface EntitlementData {
  id: string;
  sku_id: string;
  user_id?: string | null;
  guild_id?: string | null;
  type: number;
  deleted: boolean;
  consumed?: boolean;
}

/** Entitlement type 4: a purchase made in Application Test Mode (discord.js's isTest() misreads one-time purchases). */
const TEST_MODE_PURCHASE = 4;
const SKU_CONSUMABLE = 3;
const RECONCILE_LEASE = "credits:reconcile";
/** Where the listing starts next round (an entitlement id). */
const RECONCILE_MARK = "credits:reconcile:after";
const MARK_BEHIND_MS = 3_600_000;
/** Where a member's once-only low-balance notice is remembered (cleared by a purchase). */
export const lowNoticeKey = (userId: string) => `credits:low-notice:${userId}`;

/**
 * Where the next listing starts: below the oldest purchase left unconsumed, at most an hour of
 * ids behind the newest seen (ids are snowflakes: milliseconds << 22), never back from `start`.
 */
export function nextMark(start: string, newest: bigint, oldestOpen: bigint | null): string {
  const behind = newest - (BigInt(MARK_BEHIND_MS) << 22n);
  const mark = oldestOpen !== null && oldestOpen - 1n < behind ? oldestOpen - 1n : behind;
  return (mark > BigInt(start) ? mark : BigInt(start)).toString();
}

export interface ShopDeps {
  rest: REST;
  budget: Budget;
  store: Store;
  leases: Leases;
  log: Logger;
  packs: readonly CreditPack[];
  reconcileMs: number;
}

/**
 * Credit packs sold through Discord. A purchase is credited first, keyed by its entitlement id
 * (so a repeated event, a second process or a restart credits it once), then consumed, which
 * lets the member buy the pack again. A consume that fails is retried by the reconciliation,
 * which lists the packs' unconsumed entitlements at start and every few minutes (one process
 * at a time), so a purchase whose event was lost, or made while the bot was down, is credited.
 */
export class CreditShop {
  private onSale: PackOnSale[] = [];
  private applicationId = "";
  private timer: NodeJS.Timeout | null = null;
  private readonly working = new Set<Promise<unknown>>();
  /** Purchases a listing's round consumed (or found consumed), for its mark. */
  private readonly consumedNow = new Set<string>();
  /** Consumes wait for the application id (an event may arrive on HTTP before the login ends). */
  private opened!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.opened = resolve));

  constructor(private readonly d: ShopDeps) {}

  /** Whether packs are sold (CREDIT_PACKS set): otherwise nothing of credits shows. */
  get on(): boolean {
    return this.d.packs.length > 0;
  }

  get appId(): string {
    return this.applicationId;
  }

  /** The packs with their store names (known once `open` checked the SKUs). */
  packs(): PackOnSale[] {
    return this.onSale;
  }

  private pack(skuId: string): CreditPack | undefined {
    return this.d.packs.find((p) => p.skuId === skuId);
  }

  /** Checks every pack's SKU exists and is consumable; a wrong one stops start-up with one line. */
  async open(applicationId: string): Promise<void> {
    this.applicationId = applicationId;
    this.opened();
    if (!this.on) return;
    const skus = (await this.d.rest.get(Routes.skus(applicationId))) as Array<{ id: string; type: number; name: string }>;
    this.onSale = this.d.packs.map((p) => {
      const sku = skus.find((s) => s.id === p.skuId);
      if (!sku) throw new ConfigError(`Configuration error: CREDIT_PACKS names SKU ${p.skuId}, which this application does not have (create it in the developer portal, Monetization → SKUs)`);
      if (sku.type !== SKU_CONSUMABLE) throw new ConfigError(`Configuration error: CREDIT_PACKS names SKU ${p.skuId} ("${sku.name}"), which is not consumable (type ${sku.type}; a credit pack must be a consumable SKU)`);
      return { ...p, name: sku.name };
    });
  }

  /** A purchase (created or updated): credited once, then consumed. Deleted: the credit is taken back. */
  receive(e: EntitlementData, via: "gateway" | "webhook" | "list"): Promise<"credited" | "duplicate" | "revoked" | "ignored"> {
    const pack = this.pack(e.sku_id);
    if (!pack) return Promise.resolve("ignored");
    if (!e.user_id) {
      this.d.log.warn({ entitlement: e.id, sku: e.sku_id, via }, "a credit pack was bought for a server, not a member: not credited");
      return Promise.resolve("ignored");
    }
    if (e.deleted) return this.revoke(e, via).then(() => "revoked" as const);
    return this.credit(e, e.user_id, pack, via);
  }

  private async credit(e: EntitlementData, userId: string, pack: CreditPack, via: string): Promise<"credited" | "duplicate" | "revoked" | "ignored"> {
    const test = e.type === TEST_MODE_PURCHASE;
    if (e.consumed) {
      // consumed only after it was credited: consumed and unknown means consumed elsewhere
      const known = await this.d.budget.ledger.creditOf(e.id);
      if (!known) this.d.log.warn({ entitlement: e.id, user: userId, via }, "a pack consumed without being credited here: not credited");
      return known ? "duplicate" : "ignored";
    }
    const outcome = await this.d.budget.grantCredit({ entitlementId: e.id, userId, skuId: pack.skuId, micros: pack.micros, test });
    if (outcome === "credited") {
      this.d.log.info({ entitlement: e.id, user: userId, sku: pack.skuId, micros: pack.micros, via, test }, test ? "credit pack bought (a test purchase)" : "credit pack bought");
      await this.d.store.delete(lowNoticeKey(userId)).catch(() => undefined);
    }
    if (outcome !== "revoked") {
      // a listing waits for its consumes; an event's answer does not (Discord wants it within 3 s)
      const consumed = this.consume(e.id);
      if (via === "list") await consumed;
      else void this.track(consumed);
    }
    return outcome;
  }

  private async revoke(e: EntitlementData, via: string): Promise<void> {
    const taken = await this.d.budget.revokeCredit(e.id, e.user_id ?? "");
    if (taken) this.d.log.warn({ entitlement: e.id, user: e.user_id, via }, "a credit pack was refunded by Discord: its credit was taken back");
  }

  /** Consumes a credited purchase; a 4xx is read back (consumed already is done), anything else waits for the reconciliation. */
  private async consume(id: string): Promise<void> {
    await this.ready;
    try {
      await this.d.rest.post(Routes.consumeEntitlement(this.applicationId, id));
      this.consumedNow.add(id);
      return;
    } catch (err) {
      const status = err instanceof DiscordAPIError ? err.status : 0;
      if (status < 400 || status >= 500) {
        this.d.log.warn({ entitlement: id, err }, "consuming a credited pack failed; the reconciliation tries again");
        return;
      }
    }
    const back = (await this.d.rest.get(Routes.entitlement(this.applicationId, id)).catch(() => null)) as EntitlementData | null;
    if (back?.consumed) this.consumedNow.add(id);
    else this.d.log.warn({ entitlement: id }, "Discord refused to consume a credited pack; the reconciliation tries again");
  }

  /**
   * Lists the packs' unconsumed purchases and credits and consumes each (what events missed).
   * Consumed purchases stay listed forever, so each round starts from a mark kept in the store:
   * below the oldest purchase still unconsumed, and an hour of ids (snowflakes are times) behind
   * the newest seen, so a purchase numbered a little out of order is not skipped.
   */
  async reconcile(): Promise<number> {
    if (!this.on) return 0;
    this.consumedNow.clear();
    const start = (await this.d.store.get<string>(RECONCILE_MARK)) ?? "0";
    let after = start;
    let newest = BigInt(start);
    let oldestOpen: bigint | null = null;
    let handled = 0;
    for (;;) {
      const query = new URLSearchParams({ sku_ids: this.d.packs.map((p) => p.skuId).join(","), exclude_ended: "true", limit: "100", after });
      const page = (await this.d.rest.get(Routes.entitlements(this.applicationId), { query })) as EntitlementData[];
      for (const e of page) {
        const id = BigInt(e.id);
        if (id > newest) newest = id;
        if (e.consumed || e.deleted || !this.pack(e.sku_id) || !e.user_id) continue;
        if ((await this.receive(e, "list")) === "credited") handled++;
        if (!this.consumedNow.delete(e.id) && (oldestOpen === null || id < oldestOpen)) oldestOpen = id;
      }
      if (page.length < 100) break;
      after = page.reduce((max, e) => (BigInt(e.id) > BigInt(max) ? e.id : max), page[0]!.id);
    }
    await this.d.store.set(RECONCILE_MARK, nextMark(start, newest, oldestOpen));
    return handled;
  }

  /** At start and then every few minutes, one process at a time (under a lease). */
  start(): void {
    if (!this.on || this.timer) return;
    const round = async () => {
      const lease = await this.d.leases.take(RECONCILE_LEASE).catch(() => null);
      if (!lease) return;
      try {
        const credited = await this.reconcile();
        if (credited) this.d.log.info({ credited }, "purchases found by listing them were credited");
      } catch (err) {
        this.d.log.warn({ err }, "listing purchases failed; trying again later");
      } finally {
        await this.d.leases.release(lease).catch(() => undefined);
      }
    };
    const tick = () => void this.track(round());
    tick();
    this.timer = setInterval(tick, this.d.reconcileMs);
    this.timer.unref();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const kept = p.catch((err: unknown) => this.d.log.warn({ err }, "credit pack work failed"));
    this.working.add(kept);
    void kept.finally(() => this.working.delete(kept));
    return p;
  }

  /** Waits for consumes and rounds under way (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.working.size) await Promise.all([...this.working]);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.settled();
  }
}
