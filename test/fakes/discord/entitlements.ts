// Premium Apps: the application's SKUs and entitlements (one-time purchases), their REST routes
// (resources/sku, resources/entitlement) and the ENTITLEMENT_CREATE / _UPDATE / _DELETE events,
// on the gateway (shard 0 only: events without a guild_id go to shard 0) and as signed webhook
// events (event-webhooks.ts).
import { ApiError, FormErrors, formError } from "./http-util.js";
import { isSnowflake, snowflake } from "./ids.js";
import { EventWebhooks, type EventWebhookRetry } from "./event-webhooks.js";
import { guildById, knownUsers, type World } from "./payloads.js";
import type { Ctx, Reply, RouteDef } from "./router.js";
import type {
  EntitlementEventType,
  EventDelivery,
  FakeEntitlement,
  FakeSku,
  FakeSkuInput,
  PurchaseArgs,
} from "./types.js";

export const SkuType = { DURABLE: 2, CONSUMABLE: 3, SUBSCRIPTION: 5 } as const;
export const SKU_AVAILABLE = 1 << 2;
export const EntitlementType = { PURCHASE: 1, TEST_MODE_PURCHASE: 4 } as const;
/** "At most 50 SKUs per app." */
export const MAX_SKUS = 50;

export const DEFAULT_SKUS: FakeSkuInput[] = [
  { type: 3, name: "Small pack" },
  { type: 3, name: "Big pack" },
  { type: 2, name: "Supporter" },
];

const unknownEntitlement = () => new ApiError(404, { code: 10029, message: "Unknown Entitlement" });
const notConsumable = () => new ApiError(400, { code: 40018, message: "Only consumable SKUs can be consumed" });
const invalidSku = () => new ApiError(400, { code: 50057, message: "Invalid SKU" });
// What Discord answers to a second consume is not documented (and unconfirmed); the fake picks a
// plain 400. A bot should read the entitlement back and look at `consumed`.
const alreadyConsumed = () => new ApiError(400, { code: 0, message: "Entitlement already consumed" });

/** The application's SKUs: `inputs` (or the defaults), ids made once per fake. */
export function makeSkus(applicationId: string, inputs: FakeSkuInput[] = DEFAULT_SKUS): FakeSku[] {
  if (inputs.length > MAX_SKUS) throw new Error(`fake Discord: an application has at most ${MAX_SKUS} SKUs (got ${inputs.length})`);
  const t = Date.UTC(2022, 0, 1);
  const skus = inputs.map((s, i): FakeSku => {
    if (s.id !== undefined && !isSnowflake(s.id)) throw new Error(`fake Discord: SKU id ${s.id} is not a snowflake`);
    return {
      id: s.id ?? snowflake(t + i * 1000), type: s.type, application_id: applicationId, name: s.name,
      slug: s.slug ?? s.name.toLowerCase().trim().replace(/\s+/g, "-"), flags: s.flags ?? SKU_AVAILABLE,
    };
  });
  if (new Set(skus.map((s) => s.id)).size !== skus.length) throw new Error("fake Discord: SKU ids must be unique");
  return skus;
}

/** Entitlements in Discord's field order (guild_id or user_id, whichever owns it). */
function entitlementJson(e: FakeEntitlement): FakeEntitlement {
  return {
    id: e.id, sku_id: e.sku_id, application_id: e.application_id,
    ...(e.user_id !== undefined ? { user_id: e.user_id } : {}),
    ...(e.guild_id !== undefined ? { guild_id: e.guild_id } : {}),
    type: e.type, deleted: e.deleted, starts_at: e.starts_at, ends_at: e.ends_at, consumed: e.consumed,
  };
}

const bool = (v: string | undefined, dflt: boolean): boolean => (v === undefined ? dflt : /^(true|1)$/i.test(v));
const byIdAsc = (a: FakeEntitlement, b: FakeEntitlement) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1);

export class Premium {
  readonly skus: FakeSku[];
  readonly webhooks: EventWebhooks;
  /** Insertion order = creation order = id order. */
  private readonly all = new Map<string, FakeEntitlement>();
  /** Test entitlements made with POST /applications/{app}/entitlements (the only ones DELETE removes). */
  private readonly testIds = new Set<string>();

  constructor(
    private readonly world: World,
    skus: FakeSkuInput[] | undefined,
    retry: EventWebhookRetry,
    /** Sends a gateway dispatch to shard 0 (state.dispatch, looked up at call time). */
    private readonly toShard0: (t: string, d: unknown) => void,
    log: (...args: unknown[]) => void,
  ) {
    this.skus = makeSkus(world.applicationId, skus);
    this.webhooks = new EventWebhooks(world.applicationId, retry, log);
  }

  sku(id: string): FakeSku | undefined {
    return this.skus.find((s) => s.id === id);
  }
  list(): FakeEntitlement[] {
    return [...this.all.values()].map(entitlementJson);
  }
  get(id: string): FakeEntitlement | undefined {
    const e = this.all.get(id);
    return e && entitlementJson(e);
  }

  private add(fields: Omit<FakeEntitlement, "id" | "application_id" | "deleted" | "starts_at" | "ends_at" | "consumed">): FakeEntitlement {
    const e: FakeEntitlement = {
      id: snowflake(), application_id: this.world.applicationId, deleted: false, starts_at: null, ends_at: null, consumed: false, ...fields,
    };
    this.all.set(e.id, e);
    return e;
  }

  /** Sends an entitlement event with the entitlement as it is now. */
  emit(type: EntitlementEventType, e: FakeEntitlement, deliver: EventDelivery[]): void {
    for (const how of new Set(deliver)) {
      if (how === "gateway") this.toShard0(type, entitlementJson(e));
      else if (how === "webhook") this.webhooks.send(type, entitlementJson(e));
      else throw new Error(`fake Discord: unknown delivery "${String(how)}" (use "gateway" and/or "webhook")`);
    }
  }

  purchase(args: PurchaseArgs): FakeEntitlement {
    const sku = this.sku(args.skuId);
    if (!sku) throw new Error(`fake Discord: purchase: SKU ${args.skuId} is not one of the app's (${this.skus.map((s) => `${s.id} "${s.name}"`).join(", ")})`);
    if (sku.type === SkuType.SUBSCRIPTION) throw new Error(`fake Discord: purchase: SKU "${sku.name}" is a subscription; the fake models one-time purchases only`);
    if (!(sku.flags & SKU_AVAILABLE)) throw new Error(`fake Discord: purchase: SKU "${sku.name}" is not AVAILABLE; the store does not sell it`);
    if (!isSnowflake(args.userId)) throw new Error(`fake Discord: purchase: userId ${args.userId} is not a snowflake`);
    // "A user holds at most one unconsumed entitlement of a SKU": the store offers no second one.
    const held = [...this.all.values()].find((e) => e.user_id === args.userId && e.sku_id === sku.id && !e.deleted && !e.consumed);
    if (held) throw new Error(`fake Discord: purchase: user ${args.userId} already holds entitlement ${held.id} of "${sku.name}" (unconsumed); Discord sells one at a time`);
    const e = this.add({ sku_id: sku.id, user_id: args.userId, type: args.test ? EntitlementType.TEST_MODE_PURCHASE : EntitlementType.PURCHASE });
    this.emit("ENTITLEMENT_CREATE", e, args.deliver ?? ["gateway"]);
    return entitlementJson(e);
  }

  refund(id: string, deliver: EventDelivery[] = ["gateway"]): FakeEntitlement {
    const e = this.all.get(id);
    if (!e) throw new Error(`fake Discord: refundPurchase: no entitlement ${id}`);
    if (e.deleted) throw new Error(`fake Discord: refundPurchase: entitlement ${id} is already deleted`);
    e.deleted = true;
    this.emit("ENTITLEMENT_DELETE", e, deliver);
    return entitlementJson(e);
  }

  replay(id: string, type: EntitlementEventType, deliver: EventDelivery[]): void {
    const e = this.all.get(id);
    if (!e) throw new Error(`fake Discord: replayEntitlementEvent: no entitlement ${id}`);
    if (!["ENTITLEMENT_CREATE", "ENTITLEMENT_UPDATE", "ENTITLEMENT_DELETE"].includes(type)) throw new Error(`fake Discord: replayEntitlementEvent: unknown event ${type}`);
    this.emit(type, e, deliver);
  }

  /** The entitlement the bad-signature probe carries: made up, not stored (a bot that trusts it finds no such entitlement). */
  madeUp(): FakeEntitlement {
    const sku = this.skus.find((s) => s.type === SkuType.CONSUMABLE) ?? this.skus[0];
    return entitlementJson({
      id: snowflake(), sku_id: sku?.id ?? snowflake(), application_id: this.world.applicationId, user_id: this.world.users.requester.id,
      type: EntitlementType.PURCHASE, deleted: false, starts_at: null, ends_at: null, consumed: false,
    });
  }

  // --- REST (bot token) ---

  /**
   * Another application's id in the path: 403 {code: 20012}, as the fake answers on the commands
   * routes (Discord does not document which of 403/404 it answers here; the fake picks 403).
   */
  private app(ctx: Ctx): void {
    if (ctx.params.application_id !== this.world.applicationId) {
      throw new ApiError(403, { code: 20012, message: "You are not authorized to perform this action on this application" });
    }
  }

  private entitlement(ctx: Ctx): FakeEntitlement {
    this.app(ctx);
    const e = this.all.get(ctx.params.entitlement_id ?? "");
    if (!e) throw unknownEntitlement();
    return e;
  }

  /**
   * GET /applications/{app}/entitlements. `before` wins over `after` (as discord.js documents);
   * with `after` the page is the oldest ids after it, ascending, as Discord pages forward; otherwise
   * the newest first (Discord does not document the order without `after`; unconfirmed).
   * limit (1–100) and the snowflakes are checked by the schema (validation.ts).
   */
  private listRoute(ctx: Ctx): Reply {
    this.app(ctx);
    const q = ctx.query;
    let skuIds: Set<string> | undefined;
    // (an empty sku_ids= is taken as no filter; what Discord does with it is undocumented)
    if (q.sku_ids !== undefined && q.sku_ids.trim() !== "") {
      const parts = q.sku_ids.split(",").map((p) => p.trim());
      const errs = new FormErrors();
      if (parts.length > 100) errs.add(["sku_ids"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
      parts.forEach((p, i) => {
        if (!/^(0|[1-9][0-9]*)$/.test(p)) errs.add(["sku_ids", i], "NUMBER_TYPE_COERCE", `Value "${p}" is not snowflake.`);
      });
      errs.throwIfAny();
      skuIds = new Set(parts);
    }
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    const excludeEnded = bool(q.exclude_ended, false);
    const excludeDeleted = bool(q.exclude_deleted, true);
    const now = Date.now();
    let list = [...this.all.values()].filter(
      (e) =>
        (q.user_id === undefined || e.user_id === q.user_id) &&
        (q.guild_id === undefined || e.guild_id === q.guild_id) &&
        (!skuIds || skuIds.has(e.sku_id)) &&
        !(excludeDeleted && e.deleted) &&
        !(excludeEnded && e.ends_at !== null && Date.parse(e.ends_at) <= now),
    );
    list.sort(byIdAsc);
    if (q.before !== undefined) list = list.filter((e) => BigInt(e.id) < BigInt(q.before!)).reverse().slice(0, limit);
    else if (q.after !== undefined) list = list.filter((e) => BigInt(e.id) > BigInt(q.after!)).slice(0, limit);
    else list = list.reverse().slice(0, limit);
    return { status: 200, body: list.map(entitlementJson) };
  }

  /**
   * POST .../consume: 204. Only a consumable's entitlement (else 40018); a deleted one is unknown
   * (10029; unconfirmed). Afterwards an ENTITLEMENT_UPDATE (consumed: true) goes to shard 0:
   * whether Discord sends one is unconfirmed, and a bot must cope with it either way.
   */
  private consumeRoute(ctx: Ctx): Reply {
    const e = this.entitlement(ctx);
    if (e.deleted) throw unknownEntitlement();
    if (this.sku(e.sku_id)?.type !== SkuType.CONSUMABLE) throw notConsumable();
    if (e.consumed) throw alreadyConsumed();
    e.consumed = true;
    this.emit("ENTITLEMENT_UPDATE", e, ["gateway"]);
    return { status: 204 };
  }

  /**
   * POST /applications/{app}/entitlements: a test entitlement (type 4) for a guild (owner_type 1) or a
   * user (2) the fake knows. Announced with ENTITLEMENT_CREATE to shard 0 (unconfirmed).
   */
  private createRoute(ctx: Ctx): Reply {
    this.app(ctx);
    const b = ctx.json as { sku_id: string; owner_id: string; owner_type: number };
    if (!this.sku(b.sku_id)) throw invalidSku();
    let owner: { guild_id: string } | { user_id: string };
    if (b.owner_type === 1) {
      if (!guildById(this.world, b.owner_id)) throw new ApiError(404, { code: 10004, message: "Unknown Guild" });
      owner = { guild_id: b.owner_id };
    } else if (b.owner_type === 2) {
      if (!knownUsers(this.world).some((u) => u.id === b.owner_id)) throw new ApiError(404, { code: 10013, message: "Unknown User" });
      owner = { user_id: b.owner_id };
    } else throw formError(["owner_type"], "BASE_TYPE_CHOICES", "Value must be one of (1, 2).");
    const e = this.add({ sku_id: b.sku_id, ...owner, type: EntitlementType.TEST_MODE_PURCHASE });
    this.testIds.add(e.id);
    this.emit("ENTITLEMENT_CREATE", e, ["gateway"]);
    return { status: 200, body: entitlementJson(e) };
  }

  /** DELETE: test entitlements only (others: 10029); 204, then ENTITLEMENT_DELETE to shard 0 (unconfirmed). */
  private deleteRoute(ctx: Ctx): Reply {
    const e = this.entitlement(ctx);
    if (!this.testIds.has(e.id) || e.deleted) throw unknownEntitlement();
    e.deleted = true;
    this.emit("ENTITLEMENT_DELETE", e, ["gateway"]);
    return { status: 204 };
  }

  routes(): RouteDef[] {
    const ents = "/applications/{application_id}/entitlements";
    return [
      { method: "GET", template: "/applications/{application_id}/skus", auth: true, handler: (ctx) => (this.app(ctx), { status: 200, body: this.skus.map((s) => ({ ...s })) }) },
      { method: "GET", template: ents, auth: true, handler: (ctx) => this.listRoute(ctx) },
      { method: "POST", template: ents, auth: true, handler: (ctx) => this.createRoute(ctx) },
      { method: "GET", template: `${ents}/{entitlement_id}`, auth: true, handler: (ctx) => ({ status: 200, body: entitlementJson(this.entitlement(ctx)) }) },
      { method: "DELETE", template: `${ents}/{entitlement_id}`, auth: true, handler: (ctx) => this.deleteRoute(ctx) },
      { method: "POST", template: `${ents}/{entitlement_id}/consume`, auth: true, handler: (ctx) => this.consumeRoute(ctx) },
    ];
  }
}
