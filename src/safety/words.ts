// A server's blocked words and phrases, matched the way a member's evasions are expected: case
// folded, on word boundaries, after Unicode normalisation with common look-alike letters folded.
// Pure: no I/O, so every request can be checked before anything is acknowledged.

/** As AutoMod's keyword lists: at most this many entries of at most this many characters. */
export const MAX_BLOCKED_WORDS = 200;
export const MAX_BLOCKED_WORD_LENGTH = 60;

/**
 * Letters that look like Latin ones (Cyrillic, Greek, Armenian and a few symbols), folded to the
 * Latin letter they imitate. NFKC already folds full-width and styled (𝐛𝐨𝐥𝐝, ⓒⓘⓡⓒⓛⓔⓓ) forms.
 */
const LOOK_ALIKES: Record<string, string> = {
  // Cyrillic
  а: "a", в: "b", е: "e", ё: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x",
  ѕ: "s", і: "i", ї: "i", ј: "j", ԁ: "d", ԛ: "q", ԝ: "w", һ: "h", ӏ: "l", ɡ: "g",
  // Greek
  α: "a", β: "b", ε: "e", η: "n", ι: "i", κ: "k", ν: "v", ο: "o", ρ: "p", τ: "t", υ: "u", χ: "x", ω: "w", ϲ: "c", ϳ: "j",
  // Armenian and others
  օ: "o", ս: "u", ց: "g", ɑ: "a", ı: "i", ȷ: "j", ℓ: "l", ʀ: "r", ʏ: "y",
};
/** Capitals first: a capital can imitate another letter than its own small form does (Greek Ν is N, ν is v). */
const CAPITAL_LOOK_ALIKES: Record<string, string> = {
  А: "a", В: "b", Е: "e", Ё: "e", К: "k", М: "m", Н: "h", О: "o", Р: "p", С: "c", Т: "t", У: "y", Х: "x", Ѕ: "s", І: "i", Ј: "j",
  Α: "a", Β: "b", Ε: "e", Ζ: "z", Η: "h", Ι: "i", Κ: "k", Μ: "m", Ν: "n", Ο: "o", Ρ: "p", Τ: "t", Υ: "y", Χ: "x",
};
const CAPITAL_R = new RegExp(`[${Object.keys(CAPITAL_LOOK_ALIKES).join("")}]`, "gu");
const LOOK_ALIKE_R = new RegExp(`[${Object.keys(LOOK_ALIKES).join("")}]`, "gu");
/** Characters that show nothing but split a word: zero-width spaces and joiners, soft hyphens, marks. */
const INVISIBLE_R = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFE00-\uFE0F\uFEFF]/gu;
const COMBINING_R = /\p{M}+/gu;

/**
 * `text` as the matcher reads it: NFKC, lower case, look-alikes folded, accents dropped
 * (`é` → `e`), invisible characters removed and whitespace runs made one space.
 */
export function foldForMatching(text: string): string {
  return text
    .normalize("NFKC")
    .replace(CAPITAL_R, (c) => CAPITAL_LOOK_ALIKES[c]!)
    .toLowerCase()
    .replace(INVISIBLE_R, "")
    .replace(LOOK_ALIKE_R, (c) => LOOK_ALIKES[c]!)
    .normalize("NFD")
    .replace(COMBINING_R, "")
    .normalize("NFC")
    .replace(/\s+/gu, " ")
    .trim();
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A matcher for a list of entries: each one found only as whole words (a letter or digit on
 * either side means it is part of another word: "class" does not match "ass"). Spaces in a
 * phrase match any run of spaces. Built once per list (a server's list changes rarely).
 */
export function blockedMatcher(entries: readonly string[]): (text: string) => boolean {
  const folded = [...new Set(entries.map(foldForMatching).filter(Boolean))];
  if (!folded.length) return () => false;
  // longest first, so a phrase is tried before a word it starts with
  folded.sort((a, b) => b.length - a.length);
  const alternatives = folded.map((e) => escapeRegExp(e).replace(/ /g, "\\s+"));
  const r = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join("|")})(?![\\p{L}\\p{N}])`, "u");
  return (text) => r.test(foldForMatching(text));
}

const matchers = new Map<string, (text: string) => boolean>();
const MATCHERS_KEPT = 1_000;

/** Whether `text` holds any of `entries` (matchers are kept by list, for the servers in use). */
export function containsBlocked(text: string, entries: readonly string[]): boolean {
  if (!entries.length) return false;
  const key = entries.join("\u0000");
  let match = matchers.get(key);
  if (!match) {
    match = blockedMatcher(entries);
    matchers.set(key, match);
    while (matchers.size > MATCHERS_KEPT) matchers.delete(matchers.keys().next().value!);
  }
  return match(text);
}

/** Why an entry cannot be added: empty once folded, or too long. */
export type EntryProblem = "empty" | "too_long";

/**
 * Entries as an admin typed them (commas separate several), each trimmed and with its spaces
 * made single; duplicates (as the matcher sees them) dropped.
 */
export function parseEntries(input: string): { entries: string[]; problem: EntryProblem | null } {
  const entries: string[] = [];
  const seen = new Set<string>();
  for (const raw of input.split(",")) {
    const entry = raw.replace(/\s+/gu, " ").trim();
    if (!entry) continue;
    if (entry.length > MAX_BLOCKED_WORD_LENGTH) return { entries: [], problem: "too_long" };
    const folded = foldForMatching(entry);
    if (!folded) return { entries: [], problem: "empty" };
    if (seen.has(folded)) continue;
    seen.add(folded);
    entries.push(entry);
  }
  return { entries, problem: entries.length ? null : "empty" };
}

/** The list after adding `added` (entries already there, as the matcher sees them, kept once). */
export function withEntries(list: readonly string[], added: readonly string[]): string[] {
  const have = new Set(list.map(foldForMatching));
  return [...list, ...added.filter((e) => !have.has(foldForMatching(e)))];
}

/** The list without `removed` (compared as the matcher sees them). */
export function withoutEntries(list: readonly string[], removed: readonly string[]): string[] {
  const gone = new Set(removed.map(foldForMatching));
  return list.filter((e) => !gone.has(foldForMatching(e)));
}
