// The Premium Apps methods of FakeDiscord (see types.ts), over entitlements.ts and event-webhooks.ts.
import type { Premium } from "./entitlements.js";
import type { EntitlementEventType, EventDelivery, EventDeliveryAttempt, FakeEntitlement, FakeSku, PurchaseArgs } from "./types.js";

export class PremiumSurface {
  constructor(private readonly premium: Premium) {}

  get skus(): FakeSku[] {
    return this.premium.skus.map((s) => ({ ...s }));
  }
  get publicKey(): string {
    return this.premium.webhooks.publicKey;
  }
  get eventDeliveries(): EventDeliveryAttempt[] {
    return this.premium.webhooks.deliveries;
  }
  async purchase(args: PurchaseArgs): Promise<FakeEntitlement> {
    return this.premium.purchase(args);
  }
  async refundPurchase(id: string, opts: { deliver?: EventDelivery[] } = {}): Promise<FakeEntitlement> {
    return this.premium.refund(id, opts.deliver);
  }
  async replayEntitlementEvent(id: string, type: EntitlementEventType, deliver: EventDelivery[]): Promise<void> {
    this.premium.replay(id, type, deliver);
  }
  entitlements(): FakeEntitlement[] {
    return this.premium.list();
  }
  entitlement(id: string): FakeEntitlement | undefined {
    return this.premium.get(id);
  }
  setEventWebhookUrl(url: string | null): void {
    if (url !== null && !/^https?:\/\//.test(url)) throw new Error(`fake Discord: setEventWebhookUrl: not an http(s) URL: ${url}`);
    this.premium.webhooks.url = url;
  }
  probeEventWebhook(kind: "ping" | "bad-signature"): Promise<number> {
    return this.premium.webhooks.probe(kind, () => this.premium.madeUp());
  }
  eventDeliveriesSettled(): Promise<void> {
    return this.premium.webhooks.settled();
  }
}
