import { describe, expect, it } from "vitest";
import { choiceNamed, decimal, DEFAULT_LOCALE, described, LOCALES, localeOf, money, permissionList, t, usd, usdDown, usdUp } from "../../src/i18n/index.js";
import { pictureSizeProblem } from "../../src/seedance/input.js";
import { de } from "../../src/i18n/locales/de.js";
import { enUS } from "../../src/i18n/locales/en-US.js";
import { esES } from "../../src/i18n/locales/es-ES.js";
import { fr } from "../../src/i18n/locales/fr.js";
import { ja } from "../../src/i18n/locales/ja.js";
import { ptBR } from "../../src/i18n/locales/pt-BR.js";

/** Each catalog file, under the Discord locale code it is meant for. */
const files: Record<string, object> = { "en-US": enUS, "es-ES": esES, "pt-BR": ptBR, fr, de, ja };
const OTHERS = LOCALES.filter((l) => l !== DEFAULT_LOCALE);

/** Discord's locale codes (https://discord.com/developers/docs/reference#locales). */
const DISCORD_LOCALES = [
  "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl", "pt-BR", "ro", "fi",
  "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
];

/** Every text of a catalog by its dotted key ("progress.header"). */
function leaves(node: unknown, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof node !== "object" || node === null) return out.set(prefix, node);
  for (const [k, v] of Object.entries(node)) for (const [key, value] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(key, value);
  return out;
}

const english = leaves(enUS) as Map<string, string>;
const sorted = (xs: Iterable<string>) => [...xs].sort();
const all = (text: string, re: RegExp) => sorted(text.match(re) ?? []);
const placeholders = (text: string) => [...new Set(all(text, /\{\{[^{}]*\}\}/g))].sort();

/** What must come through a translation untouched. */
const tokens = {
  /** mentions and timestamps: <@{{userId}}>, <#{{channelId}}>, <t:…> */
  mentions: (s: string) => all(s, /<(?:@|#|t:)[^<>]*>/g),
  /** `inline code`: command names, literal inputs */
  code: (s: string) => all(s, /`[^`]+`/g),
  /** markdown: bold markers and links */
  markdown: (s: string) => ({ bold: s.split("**").length - 1, links: s.split("](").length - 1 }),
  /** the emoji (or bullet) a line starts with */
  lead: (s: string) => /^(?:\p{Extended_Pictographic}\uFE0F?|•)/u.exec(s)?.[0] ?? null,
  /** product and technical names that stay as they are */
  names: (s: string) =>
    ["fal", "fal.ai", "Seedance", "ByteDance", "Discord", "PNG", "JPEG", "WebP", "MP4", "MB", "720p", "HTTP", "CDN", "GUILD_SPEND_CAP_USD", "2.0"].filter((name) =>
      new RegExp(`(?<![A-Za-z_])${name.replace(/\./g, "\\.")}(?![A-Za-z_])`).test(s),
    ),
};

describe("catalogs", () => {
  it("LOCALES lists en-US and the five translations, all Discord locale codes, each with a catalog", () => {
    expect(sorted(LOCALES)).toEqual(sorted(Object.keys(files)));
    expect(LOCALES[0]).toBe(DEFAULT_LOCALE);
    for (const locale of LOCALES) expect(DISCORD_LOCALES).toContain(locale);
  });

  describe.each(OTHERS.map((locale) => [locale]))("%s", (locale) => {
    const catalog = leaves(files[locale]);

    it("has exactly en-US's keys", () => {
      expect(sorted(catalog.keys())).toEqual(sorted(english.keys()));
    });

    it("has a non-empty string at every key", () => {
      for (const [key, text] of catalog) {
        expect(typeof text, key).toBe("string");
        expect((text as string).trim().length, key).toBeGreaterThan(0);
      }
    });

    it("keeps en-US's {{placeholders}}, no more and no fewer", () => {
      for (const [key, en] of english) expect(placeholders(String(catalog.get(key))), key).toEqual(placeholders(en));
    });

    it("keeps Discord's mentions, inline code, markdown, leading emoji and product names", () => {
      for (const [key, en] of english) {
        const text = String(catalog.get(key));
        for (const [what, of] of Object.entries(tokens)) expect(of(text), `${key} (${what})`).toEqual(of(en));
      }
    });

    it("keeps every command and option description and choice name within Discord's 100 characters", () => {
      for (const [key, text] of catalog) {
        if (!key.startsWith("commands.")) continue;
        expect([...(text as string)].length, `${key}: ${text}`).toBeLessThanOrEqual(100);
      }
    });

    it("is what the layer says for that locale, each placeholder filled in", () => {
      for (const [key, text] of catalog) {
        const vars = Object.fromEntries(placeholders(english.get(key)!).map((p) => [p.slice(2, -2), `‹${p.slice(2, -2)}›`]));
        expect(t(locale, key, vars), key).toBe((text as string).replace(/\{\{([^{}]*)\}\}/g, "‹$1›"));
      }
    });
  });

  it("keeps en-US's own command descriptions within 100 characters", () => {
    for (const [key, text] of english) if (key.startsWith("commands.")) expect([...text].length, key).toBeLessThanOrEqual(100);
  });
});

describe("the i18n layer", () => {
  it("maps Discord's locales to the language we speak", () => {
    for (const locale of LOCALES) expect(localeOf(locale)).toBe(locale);
    expect(localeOf("es-419")).toBe("es-ES");
    expect(localeOf("en-GB")).toBe("en-US");
    expect(localeOf("pt-PT")).toBe("pt-BR");
    // not Discord codes, but the language part finds the catalog
    expect(localeOf("fr-CA")).toBe("fr");
    expect(localeOf("de-AT")).toBe("de");
    expect(localeOf("ja-JP")).toBe("ja");
    // languages we don't speak, or none: English
    for (const other of ["ko", "zh-CN", "sv-SE", "it", "", null, undefined]) expect(localeOf(other)).toBe("en-US");
  });

  it("translates with the caller's locale and fills in the values", () => {
    expect(t("es-ES", "progress.header", { userId: "1" })).toBe("🎬 Vídeo para <@1>");
    expect(t("es-419", "progress.header", { userId: "1" })).toBe("🎬 Vídeo para <@1>");
    expect(t("pt-BR", "result.ready", { userId: "1" })).toBe("🎬 <@1>, seu vídeo está pronto!");
    expect(t("fr", "buttons.cancel")).toBe("Annuler");
    expect(t("de", "buttons.cancel")).toBe("Abbrechen");
    expect(t("ja", "buttons.cancel")).toBe("キャンセル");
    expect(t("ko", "progress.header", { userId: "1" })).toBe("🎬 Video for <@1>");
  });

  it("renders nested messages and money in the reader's language", () => {
    expect(t("de", "budget.upTo", { cost: usd(1_510_000) })).toMatch(/^bis zu 1,51\s\$$/u);
    expect(t("es-ES", "attachment.downloadFailed", { what: { key: "attachment.what.endPicture" } })).toBe(
      "El bot no ha podido descargar la imagen final de Discord. Vuelve a intentarlo.",
    );
  });

  it("writes US dollars as each locale writes money", () => {
    expect(money("de", 1_510_000)).toMatch(/^1,51\s\$$/u);
    expect(money("de", 1_234_560_000)).toMatch(/^1\.234,56\s\$$/u);
    expect(money("en-US", 1_510_000)).toBe("$1.51");
    expect(money("es-ES", 1_510_000)).toMatch(/^1,51\sUS\$$/u);
    expect(money("pt-BR", 1_510_000)).toMatch(/^US\$\s1,51$/u);
    expect(money("pt-PT", 1_510_000)).toBe(money("pt-BR", 1_510_000));
    expect(money("fr", 1_510_000)).toMatch(/^1,51\s\$\s?US$/u);
    expect(money("ja", 1_510_000)).toBe("$1.51");
  });

  it("writes decimals, permission names and lists in the reader's language, and never rounds a price down", () => {
    expect(t("de", "attachment.tooLargeDeclared", { label: "Das Bild", megabytes: decimal(31.46, 1) })).toContain("31,5 MB");
    expect(t("en-US", "attachment.tooLargeDeclared", { label: "The picture", megabytes: decimal(31.46, 1) })).toContain("31.5 MB");
    const shape = pictureSizeProblem(300, 1200)!;
    expect(t("fr", shape.key, { label: "L'image", ...shape.vars })).toMatch(/0,25.*0,4.*2,5/);
    expect(t("de", "video.cannotPost", { permissions: permissionList(["sendMessages", "attachFiles"]) })).toContain("Nachrichten senden und Dateien anhängen");
    expect(t("ja", "video.cannotPost", { permissions: permissionList(["sendMessagesInThreads"]) })).toContain("スレッドでメッセージを送信");
    expect(t("en-US", "budget.notEnough", { cost: usdUp(1_510_001), left: usdDown(1_519_999), limit: usd(2_000_000), resets: "x" })).toMatch(/cost \$1\.52, but you have \$1\.51 left/);
  });

  it("gives Discord a command's description in English with the five other languages", () => {
    const { description, description_localizations } = described("commands.video.description");
    expect(description).toBe(enUS.commands.video.description);
    expect(sorted(Object.keys(description_localizations))).toEqual(sorted(OTHERS));
    expect(description_localizations).toEqual({
      "es-ES": esES.commands.video.description,
      "pt-BR": ptBR.commands.video.description,
      fr: fr.commands.video.description,
      de: de.commands.video.description,
      ja: ja.commands.video.description,
    });
  });

  it("fills a description's values in every language and keeps it within 100 characters", () => {
    const { description, description_localizations } = described("commands.quota.usd", { max: 10_000 });
    expect(description).toBe("Amount in US dollars per period (0 to 10000)");
    for (const [locale, text] of Object.entries(description_localizations)) {
      expect(text, locale).toContain("10000");
      expect(text, locale).not.toContain("{{");
      expect([...text].length, locale).toBeLessThanOrEqual(100);
    }
  });

  it("names a choice in every language", () => {
    const { name, name_localizations } = choiceNamed("commands.settings.allow");
    expect(name).toBe("allow");
    expect(name_localizations).toEqual({ "es-ES": "permitir", "pt-BR": "permitir", fr: "autoriser", de: "erlauben", ja: "許可" });
  });
});
