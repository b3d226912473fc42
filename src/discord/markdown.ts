// A member's text shown inert. A prompt (or a file name, a reason...) is what a member typed, but the
// bot posts it under its own name: rendered as markdown it could put a disguised link
// (`[Claim Nitro](https://evil)`), a mention, a heading or a spoiler into a message that looks like the
// bot's own words. `inert` makes Discord show exactly the characters typed, and nothing else.
//
// How: every character that can open, close or continue Discord markup gets a backslash, everywhere
// (Discord's escape rule, from simple-markdown: `\` before any character that is not a letter, digit
// or whitespace shows that character literally and starts nothing). Escaping every occurrence,
// not only "where it matters here", keeps the result safe wherever it is put: at the start of a
// line, after `> `, inside quotes or a link label. Escaping `:` breaks bare links (`https\://x` is no
// URL, for the client nor for the embed crawler), `.` breaks `1. ` lists and `discord.gg/x` invites.
// Pings are another matter: whom a message notifies is set by its allowed_mentions, not by markup.
//
// test/discord/markdown.test.ts checks this against a model of Discord's renderer
// (test/fakes/discord/markdown.ts), not against discord.js's helpers.

/** Every character `inert` escapes, wherever it is. */
export const INERT_ESCAPED = "\\*_~`|[]()<>#-+.:@";

const ESCAPE_R = new RegExp(`[${INERT_ESCAPED.replace(/[\\\]^-]/g, "\\$&")}]`, "g");

/**
 * `text` as Discord shows it literally: the same visible characters, with no link of any kind, no
 * mention, emoji, timestamp, heading, subtext, list, quote, code, spoiler or emphasis. One pass; the
 * result is at most twice as long as `text`.
 */
export function inert(text: string): string {
  return text.replace(ESCAPE_R, "\\$&");
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * A one-line preview of a member's text, inert: whitespace runs become one space, the ends are
 * trimmed, and when longer than `max` characters (UTF-16 units, before escaping) it is cut at a
 * character boundary (never inside an emoji or an accented letter) to at most `max` with a trailing
 * `…`. The cut happens before escaping, so never inside an escape; the result is at most `2 * max`.
 */
export function inertPreview(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  if (oneLine.length <= max) return inert(oneLine);
  if (!(max >= 1)) return "";
  const budget = Math.floor(max) - 1;
  let end = 0;
  for (const { index, segment } of graphemes.segment(oneLine)) {
    if (index + segment.length > budget) break;
    end = index + segment.length;
  }
  return inert(`${oneLine.slice(0, end).trimEnd()}…`);
}
