import i18next from "i18next";
import { de } from "./locales/de.js";
import { enUS } from "./locales/en-US.js";
import { esES } from "./locales/es-ES.js";
import { fr } from "./locales/fr.js";
import { ja } from "./locales/ja.js";
import { ptBR } from "./locales/pt-BR.js";
import { isDecimal, isList, isMessage, isMoney, listOf, msg, toCents, type ListValue, type Message, type MessageValue, type Rounding } from "./message.js";

export { decimal, isMessage, toCents, listOf, LocalizedError, msg, usd, usdDown, usdFine, usdUp, type Message, type MessageValue, type Money, type Rounding } from "./message.js";

/**
 * The languages the bot speaks, by Discord's locale codes. A caller-only text follows the
 * interaction's `locale`; a public one the server's `guild_locale`; anything else is English.
 */
export const LOCALES = ["en-US", "es-ES", "pt-BR", "fr", "de", "ja"] as const;
export type Locale = string;
export const DEFAULT_LOCALE = "en-US";

const catalogs: Record<string, object> = { "en-US": enUS, "es-ES": esES, "pt-BR": ptBR, fr, de, ja };

/** Discord's nearby locales fall back to the language we have (es-419 → es-ES, en-GB → en-US, …). */
const FALLBACKS: Record<string, string[]> = { "es-419": ["es-ES"], "en-GB": ["en-US"], "pt-PT": ["pt-BR"], default: [DEFAULT_LOCALE] };

const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(Object.entries(catalogs).map(([lng, catalog]) => [lng, { translation: catalog }])),
  lng: DEFAULT_LOCALE,
  fallbackLng: FALLBACKS,
  supportedLngs: false,
  interpolation: { escapeValue: false },
  returnNull: false,
  initAsync: false,
});

/** Registers a language's catalog (each locale file does, when imported). */
export function addCatalog(locale: string, catalog: object): void {
  catalogs[locale] = catalog;
  i18n.addResourceBundle(locale, "translation", catalog, true, true);
}

/** A locale we speak for a Discord locale (unknown or missing: English). */
export function localeOf(discordLocale: string | null | undefined): Locale {
  if (!discordLocale) return DEFAULT_LOCALE;
  if (catalogs[discordLocale]) return discordLocale;
  for (const near of FALLBACKS[discordLocale] ?? []) if (catalogs[near]) return near;
  const language = discordLocale.split("-")[0]!;
  return Object.keys(catalogs).find((l) => l.split("-")[0] === language) ?? DEFAULT_LOCALE;
}

export type Translate = (key: string, vars?: Record<string, MessageValue>) => string;

/** One value put in the reader's words. */
function valueIn(lng: Locale, v: MessageValue): string | number {
  if (isMessage(v)) return t(lng, v.key, v.vars);
  if (isMoney(v)) return v.fine ? fineMoney(lng, v.micros) : money(lng, v.micros, v.rounding);
  if (isList(v)) return list(lng, v.items.map((item) => String(valueIn(lng, item))));
  if (isDecimal(v)) return new Intl.NumberFormat(lng, { minimumFractionDigits: v.digits, maximumFractionDigits: v.digits }).format(v.decimal);
  return v;
}

export function t(locale: Locale, key: string, vars?: Record<string, MessageValue>): string {
  const lng = localeOf(locale);
  const values = Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, valueIn(lng, v)]));
  return i18n.t(key, { lng, ...values });
}

/** A text in one language, for code that writes several. */
export function translator(locale: Locale): Translate {
  const lng = localeOf(locale);
  return (key, vars) => t(lng, key, vars);
}

/** A Message (or a plain text kept from before messages had keys) in the reader's language. */
export function render(locale: Locale, text: Message | string): string {
  return typeof text === "string" ? text : t(locale, text.key, text.vars);
}

/** English, for logs. */
export const english = (text: Message | string): string => render(DEFAULT_LOCALE, text);

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** US dollars from micro-dollars, as the locale writes money ("$1.53", "1,53 US$", "US$ 1,53"), in cents rounded as asked. */
export function money(locale: Locale, micros: number, rounding: Rounding = "nearest"): string {
  const lng = localeOf(locale);
  let format = moneyFormats.get(lng);
  if (!format) moneyFormats.set(lng, (format = new Intl.NumberFormat(lng, { style: "currency", currency: "USD" })));
  return format.format(toCents(micros, rounding) / 100);
}

const fineFormats = new Map<string, Intl.NumberFormat>();

/** A unit price to a hundredth of a cent, rounded up ("$0.3024"). */
export function fineMoney(locale: Locale, micros: number): string {
  const lng = localeOf(locale);
  let format = fineFormats.get(lng);
  if (!format) fineFormats.set(lng, (format = new Intl.NumberFormat(lng, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 })));
  return format.format(Math.ceil(micros / 100) / 10_000);
}

/** The names of permissions, in the reader's language, as a list. */
export function permissionList(names: readonly string[]): ListValue {
  return listOf(names.map((n) => msg(`permissions.${n}`)));
}

/** A list as the locale writes one ("a, b and c", "a, b y c"). */
export function list(locale: Locale, items: string[]): string {
  return new Intl.ListFormat(localeOf(locale), { style: "long", type: "conjunction" }).format(items);
}

/**
 * A command or option description for Discord, in English with every other language we
 * speak as `description_localizations` (Discord shows each member theirs).
 */
export function described(key: string, vars?: Record<string, MessageValue>): { description: string; description_localizations: Record<string, string> } {
  return {
    description: t(DEFAULT_LOCALE, key, vars),
    description_localizations: Object.fromEntries(Object.keys(catalogs).filter((l) => l !== DEFAULT_LOCALE).map((l) => [l, t(l, key, vars)])),
  };
}

/** A choice's name for Discord, with `name_localizations`. */
export function choiceNamed(key: string): { name: string; name_localizations: Record<string, string> } {
  const { description, description_localizations } = described(key);
  return { name: description, name_localizations: description_localizations };
}
