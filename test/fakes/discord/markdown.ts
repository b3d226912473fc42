// A small model of how Discord's client renders message markdown, enough to judge text a bot shows:
// what a reader sees as plain characters, which links are clickable, and which constructs
// (mentions, headings, spoilers, emphasis...) appear at all.
//
//   const r = renderDiscordMarkdown("[a](https://x) **b**");
//   r.links   // [{ text: "a", url: "https://x" }]
//   r.special // ["link", "bold"]
//   r.visible // "a b"
//
// Discord's renderer derives from simple-markdown (github.com/ariabuckles/simple-markdown,
// `defaultRules` in src/index.js; MIT) with Discord's own rules added; the Discord rules below follow
// Discord's message-formatting reference (discord.com/developers/docs/reference#message-formatting)
// and their open re-implementation in ItzDerock/discord-markdown-parser (src/rules, src/utils/regex.ts).
// The parse works like simple-markdown's: at the current position, try every rule in precedence
// order; the first whose regex (anchored at that position) matches makes a node and the parse moves
// past it; the text rule takes what no other rule can start.
//
// Rules, in precedence order (where a regex is quoted, it is the source's):
//  line-start blocks: only at the start of the text or of a line (the start of any nested content
//  counts as a line start too), after optional spaces:
//   1. subtext    `-# text`                                   Discord  /^-# +([^\n]+?)(\n|$)/
//   2. heading    `# `, `## `, `### `                          Discord  /^(#{1,3}) +([^\n]+?)(\n|$)/
//   3. quote      `> line` or `>>> rest of message`            Discord  /^( *>>> ([\s\S]*))|^( *> [^\n]*...)/
//                 (not inside another quote: Discord has no nested quotes)
//   4. list       `- `, `* `, `1. ` bullets                    simple-markdown's LIST_BULLET (?:[*+-]|\d+\.)
//  anywhere:
//   5. code block ```lang\n...```  content literal             Discord  /^```(([a-z0-9_+\-.#]+?)\n+)?\n*([^]+?)\n*```/i
//   6. spoiler    `||x||`                                      Discord  /^\|\|([\s\S]+?)\|\|/
//   7. escape     `\` + any char that is not a letter, digit or whitespace renders that char
//                 literally and starts nothing                simple-markdown /^\\([^0-9A-Za-z\s])/
//   8. autolink   `<scheme:/...>`                              simple-markdown /^<([^: >]+:\/[^ >]+)>/
//   9. mailto     `<a@b>`                                      simple-markdown /^<([^ >]+@[^ >]+)>/
//  10. url        bare `https?://` + non-space, trailing .,:;"')] excluded
//                                                              simple-markdown /^(https?:\/\/[^\s<]+[^<.,:;"')\]\s])/
//  11. link       `[text](url)`, `[text](<url>)`; the url is unescaped as simple-markdown's
//                 unescapeUrl does (so `https\://x` in the parens IS https://x); a link only when it is
//                 http(s), as Discord renders masked links     simple-markdown LINK_INSIDE / LINK_HREF_AND_TITLE
//  12. mentions   `<@id>` `<@!id>` `<@&id>` `<#id>`, `@everyone` `@here`      Discord
//  13. emoji      `<:name:id>` `<a:name:id>`, and `:name:` shortcodes        Discord
//  14. timestamp  `<t:123>` `<t:123:R>`                                      Discord
//  15. command    `</name:id>` (slash-command mention)                       Discord
//  16. navigation `<id:customize>` `<id:browse>` `<id:guide>` `<id:linked-roles>` Discord
//  17. emphasis   `*i*`/`_i_` (em), `**b**` (strong), `__u__` (u): simple-markdown's three rules at one
//                 precedence, the longest match winning (ties: em, strong, u) simple-markdown em/strong/u
//  18. strike     `~~s~~`                                      simple-markdown del
//  19. code       inline `` `x` `` (any run of backticks), content literal   simple-markdown inlineCode
//  20. text       one character no rule above can start at.
//
// Where the model is simpler than Discord (each simplification makes it find MORE markup, never
// less, so a text it calls plain is plain; the one exception is named):
//  - the text rule stops before EVERY character (simple-markdown's stops only before symbols,
//    newlines and `word:`), so every position is tried as the start of every rule;
//  - ids are any digits (Discord wants 17-20), any `:word:` counts as an emoji (Discord only knows
//    its own names), `+` starts a list as in simple-markdown (Discord may not), headings and lists
//    may follow spaces, and nested content (inside bold, quotes, links...) starts as a new line;
//  - any autolink scheme counts as a link; but (the exception) a masked link counts only with an
//    http(s) target, since Discord renders only those: a non-http `[a](b)` is left as text;
//  - the url rule does not balance parentheses (Discord's does), nor know steam:// or other schemes;
//  - no unicode-emoji rule: a unicode emoji is the same character either way (Discord draws it as an
//    image), so it is plain here; no tables, images, reference links, setext headings (Discord has none);
//  - whitespace is kept as typed (no tab expansion, no `  \n` line-break rule, no trimming of the
//    message), and list markers, heading `#`s and quote `>`s are simply dropped from `visible`;
//  - a mention's or emoji's visible form is its raw text (Discord shows a name or a picture);
//  - it says nothing about pings: whom a message notifies is decided by allowed_mentions, not by
//    how the text renders (see mentions.ts).

export interface RenderedLink {
  text: string;
  url: string;
}

export interface RenderedMarkdown {
  /** What a reader sees as plain characters: markup removed, escapes resolved. */
  visible: string;
  /** Every clickable link: masked, autolink or bare. */
  links: RenderedLink[];
  /** Every non-plain construct found, in order: "heading", "mention", "bold", "link"... */
  special: string[];
}

interface Out {
  links: RenderedLink[];
  special: string[];
}

interface State {
  inQuote: boolean;
}

type Nested = (source: string, state?: Partial<State>) => string;

interface Rule {
  name: string;
  lineStart?: true;
  match: (source: string, state: State) => RegExpExecArray | null;
  /** The visible text of the node, recording what it is; null when the match is not a node after all. */
  render: (m: RegExpExecArray, out: Out, nested: Nested) => string | null;
}

const LINK_INSIDE = "(?:\\[[^\\]]*\\]|[^\\[\\]]|\\](?=[^\\[]*\\]))*";
const LINK_HREF_AND_TITLE = "\\s*<?((?:\\([^)]*\\)|[^\\s\\\\]|\\\\.)*?)>?(?:\\s+['\"]([\\s\\S]*?)['\"])?\\s*";
const LINK_R = new RegExp("^\\[(" + LINK_INSIDE + ")\\]\\(" + LINK_HREF_AND_TITLE + "\\)");
const UNESCAPE_URL_R = /\\([^0-9A-Za-z\s])/g;

const EM_R = new RegExp(
  "^\\b_((?:__|\\\\[\\s\\S]|[^\\\\_])+?)_\\b" +
    "|^\\*(?=\\S)((?:\\*\\*|\\\\[\\s\\S]|\\s+(?:\\\\[\\s\\S]|[^\\s\\*\\\\]|\\*\\*)|[^\\s\\*\\\\])+?)\\*(?!\\*)",
);
const STRONG_R = /^\*\*((?:\\[\s\S]|[^\\])+?)\*\*(?!\*)/;
const U_R = /^__((?:\\[\s\S]|[^\\])+?)__(?!_)/;

const EMPHASIS: Array<[RegExp, number, string]> = [
  [EM_R, 0.2, "italic"],
  [STRONG_R, 0.1, "bold"],
  [U_R, 0, "underline"],
];
const emphasisKind = new WeakMap<RegExpExecArray, string>();

const re = (r: RegExp) => (source: string) => r.exec(source);

/** A node that shows nested markdown: records `name` and shows the content's own rendering. */
const wrapping =
  (name: string, group: number) =>
  (m: RegExpExecArray, out: Out, nested: Nested): string => {
    out.special.push(name);
    return nested(m[group] ?? "");
  };

/** A node that shows some text literally (code) or stands for something drawn (mention, emoji...). */
const literal =
  (name: string, group: number) =>
  (m: RegExpExecArray, out: Out): string => {
    out.special.push(name);
    return m[group] ?? "";
  };

const link = (text: string, url: string, out: Out): string => {
  out.links.push({ text, url });
  out.special.push("link");
  return text;
};

const RULES: Rule[] = [
  { name: "subtext", lineStart: true, match: re(/^ *-# +([^\n]+?)(?=\n|$)/), render: wrapping("subtext", 1) },
  { name: "heading", lineStart: true, match: re(/^ *#{1,3} +([^\n]+?)(?=\n|$)/), render: wrapping("heading", 1) },
  {
    name: "quote",
    lineStart: true,
    match: (s, state) => (state.inQuote ? null : /^ *>>> ([\s\S]*)|^ *> ([^\n]*)/.exec(s)),
    render: (m, out, nested) => {
      out.special.push("quote");
      return nested(m[1] ?? m[2] ?? "", { inQuote: true });
    },
  },
  { name: "list", lineStart: true, match: re(/^ *(?:[*+-]|\d+\.) +([^\n]*)/), render: wrapping("list", 1) },
  { name: "codeBlock", match: re(/^```(?:([a-z0-9_+\-.#]+?)\n+)?\n*([\s\S]+?)\n*```/i), render: literal("code", 2) },
  { name: "spoiler", match: re(/^\|\|([\s\S]+?)\|\|/), render: wrapping("spoiler", 1) },
  { name: "escape", match: re(/^\\([^0-9A-Za-z\s])/), render: (m) => m[1] ?? "" },
  { name: "autolink", match: re(/^<([^: >]+:\/[^ >]+)>/), render: (m, out) => link(m[1] ?? "", m[1] ?? "", out) },
  { name: "mailto", match: re(/^<([^ >]+@[^ >]+)>/), render: (m, out) => link(m[1] ?? "", `mailto:${m[1] ?? ""}`, out) },
  { name: "url", match: re(/^(https?:\/\/[^\s<]+[^<.,:;"')\]\s])/), render: (m, out) => link(m[1] ?? "", m[1] ?? "", out) },
  {
    name: "link",
    match: re(LINK_R),
    render: (m, out, nested) => {
      const url = (m[2] ?? "").replace(UNESCAPE_URL_R, "$1");
      if (!/^https?:\/\//i.test(url)) return null;
      const at = out.links.length;
      const text = nested(m[1] ?? "");
      out.links.splice(at, 0, { text, url });
      out.special.push("link");
      return text;
    },
  },
  { name: "user", match: re(/^<@!?\d+>/), render: literal("mention", 0) },
  { name: "role", match: re(/^<@&\d+>/), render: literal("mention", 0) },
  { name: "channel", match: re(/^<#\d+>/), render: literal("mention", 0) },
  { name: "everyone", match: re(/^@(?:everyone|here)/), render: literal("mention", 0) },
  { name: "customEmoji", match: re(/^<a?:\w+:\d+>/), render: literal("emoji", 0) },
  { name: "shortcode", match: re(/^:[\w+-]+:/), render: literal("emoji", 0) },
  { name: "timestamp", match: re(/^<t:-?\d+(?::[tTdDfFR])?>/), render: literal("timestamp", 0) },
  { name: "command", match: re(/^<\/[^:<>\n]+:\d+>/), render: literal("command", 0) },
  { name: "navigation", match: re(/^<\d+:(?:customize|browse|guide|linked-roles(?::\d+)?)>/), render: literal("navigation", 0) },
  {
    // em, strong and u share one precedence; simple-markdown keeps the best "quality": the longest
    // match, em winning ties over strong, strong over u.
    name: "emphasis",
    match: (s) => {
      let best: { m: RegExpExecArray; score: number; kind: string } | null = null;
      for (const [r, bonus, kind] of EMPHASIS) {
        const m = r.exec(s);
        if (m && (!best || m[0].length + bonus > best.score)) best = { m, score: m[0].length + bonus, kind };
      }
      if (best) emphasisKind.set(best.m, best.kind);
      return best?.m ?? null;
    },
    render: (m, out, nested) => {
      out.special.push(emphasisKind.get(m) ?? "emphasis");
      return nested(m[2] ?? m[1] ?? "");
    },
  },
  { name: "strike", match: re(/^~~(?=\S)((?:\\[\s\S]|~(?!~)|[^\s~\\]|\s(?!~~))+?)~~/), render: wrapping("strike", 1) },
  { name: "inlineCode", match: re(/^(`+)([\s\S]*?[^`])\1(?!`)/), render: literal("code", 2) },
];

function parse(source: string, out: Out, state: State): string {
  const nested: Nested = (inner, over) => parse(inner, out, { ...state, ...over });
  let visible = "";
  let pos = 0;
  while (pos < source.length) {
    const lineStart = pos === 0 || source[pos - 1] === "\n";
    const rest = source.slice(pos);
    let taken = 0;
    for (const rule of RULES) {
      if (rule.lineStart && !lineStart) continue;
      const m = rule.match(rest, state);
      if (!m || m[0].length === 0) continue;
      const shown = rule.render(m, out, nested);
      if (shown === null) continue;
      visible += shown;
      taken = m[0].length;
      break;
    }
    if (taken === 0) {
      visible += source[pos];
      taken = 1;
    }
    pos += taken;
  }
  return visible;
}

/** How Discord's client shows `text` (message content), as far as this model knows: see the top of the file. */
export function renderDiscordMarkdown(text: string): RenderedMarkdown {
  const out: Out = { links: [], special: [] };
  const visible = parse(text, out, { inQuote: false });
  return { visible, links: out.links, special: out.special };
}
