import type { CreditPack } from "../config/index.js";
import { usd, usdDown, usdUp, type Translate } from "../i18n/index.js";

/** A pack as sold: its SKU, the dollars it grants, and its name in the store. */
export interface PackOnSale extends CreditPack {
  name: string;
}

/** Discord's buy card for a SKU: pasted in chat it renders the SKU with its price. */
export function storeLink(applicationId: string, skuId: string): string {
  return `https://discord.com/application-directory/${applicationId}/store/${skuId}`;
}

/**
 * One row of Discord's premium buttons (style 6): Discord draws each SKU's name and price and
 * handles the purchase itself (pressing one sends the bot nothing), so they carry no label or id.
 */
export function packButtons(packs: readonly CreditPack[]): { type: 1; components: Array<{ type: 2; style: 6; sku_id: string }> } {
  return { type: 1, components: packs.map((p) => ({ type: 2, style: 6, sku_id: p.skuId })) };
}

/** The credit lines of `/quota show` and `/help`: the balance, then each pack with its store link. */
export function creditLines(tr: Translate, applicationId: string, balanceMicros: number, packs: readonly PackOnSale[]): string[] {
  // what a member holds is never shown above it, what they owe never below
  const balance = balanceMicros < 0 ? tr("credits.owed", { owed: usdUp(-balanceMicros) }) : tr("credits.balance", { credits: usdDown(balanceMicros) });
  return [balance, tr("credits.packsTitle"), ...packs.map((p) => tr("credits.pack", { name: p.name, amount: usd(p.micros), link: storeLink(applicationId, p.skuId) }))];
}
