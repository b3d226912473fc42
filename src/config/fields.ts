import { z } from "zod";

// The kinds of value the environment holds (env.ts names each variable): every one blank-tolerant,
// and each refusal says what is wrong without repeating the value (it may be a secret).

export const httpUrl = z
  .string()
  .trim()
  .refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), "must be an http(s) URL");

export const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

export const boundedInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? String(fallback) : v))
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, `must be a whole number from ${min} to ${max}`)
    .transform(Number);

export const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** A comma list of Discord ids (snowflakes); blank means unset. */
export const idList = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.split(",").map((id) => id.trim()).filter(Boolean)))
  .refine((ids) => ids === undefined || (ids.length > 0 && ids.every((id) => /^\d{17,20}$/.test(id))), "must be a comma list of Discord ids (17-20 digits each)");

/** Dollars as typed by an operator ("5", "12.50"); stored later as micro-dollars. */
export const usdAmount = z.coerce
  .number({ error: "must be an amount in US dollars, such as 5 or 12.50" })
  .refine((v) => Number.isFinite(v) && v >= 0 && v <= 1_000_000, "must be an amount in US dollars from 0 to 1000000");

/** At most this many packs: one row of Discord's premium buttons. */
export const MAX_CREDIT_PACKS = 5;

/** `sku_id:usd,…`: the consumable SKUs sold as credit packs and the dollars each grants. */
export const creditPacks = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === "") return [];
    const packs = v.split(",").map((part) => part.trim()).filter(Boolean).map((part) => /^(\d{17,20}):(\d+(?:\.\d{1,2})?)$/.exec(part));
    const bad = (message: string) => (ctx.addIssue({ code: "custom", message }), z.NEVER);
    if (packs.some((m) => m === null)) return bad("must be a comma list of sku_id:usd, such as 1234567890123456789:5 (a SKU id of 17-20 digits, dollars with at most 2 decimals)");
    const list = packs.map((m) => ({ skuId: m![1]!, micros: Math.round(Number(m![2]) * 1_000_000) }));
    if (list.some((p) => p.micros <= 0 || p.micros > 10_000_000_000)) return bad("must grant from $0.01 to $10000 per pack");
    if (new Set(list.map((p) => p.skuId)).size !== list.length) return bad("must name each SKU once");
    if (list.length > MAX_CREDIT_PACKS) return bad(`must list at most ${MAX_CREDIT_PACKS} packs (one row of buy buttons)`);
    return list;
  });
