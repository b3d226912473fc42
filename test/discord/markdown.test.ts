import { escapeMarkdown } from "discord.js";
import { describe, expect, it } from "vitest";
import { INERT_ESCAPED, inert, inertPreview } from "../../src/discord/markdown.js";
import { renderDiscordMarkdown, type RenderedMarkdown } from "../fakes/discord/markdown.js";

// `inert` is judged by a model of Discord's renderer (test/fakes/discord/markdown.ts), never by
// discord.js's own escaping helpers; the model is tested first on raw text, so that a model which
// finds nothing cannot make the inert tests pass.

/** A repeatable PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random strings from the dangerous characters, a few words that make links and mentions, letters, digits and spaces. */
function randomStrings(seed: number, count: number, maxTokens: number): string[] {
  const alphabet = [
    ...INERT_ESCAPED,
    ..."!\"',;=/$&?{}^%",
    ..."abhtpsw01",
    " ",
    " ",
    " ",
    "\n",
    "https://",
    "http://e.x/",
    "www.",
    "everyone",
    "t:0",
    "é",
    "🐱",
  ];
  const next = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = Math.floor(next() * (maxTokens + 1));
    let s = "";
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(next() * alphabet.length)];
    out.push(s);
  }
  return out;
}

const oneLine = (p: string) => p.replace(/\s+/g, " ").trim();

const ADVERSARIAL = [
  "[a](https://x) [Claim Nitro](https://evil)",
  "[a](https://x) [b](https://y) [c](https://z)",
  "[[nested]](https://evil.example) and [a [b] c](https://evil.example)",
  "[x](<https://evil.example>)",
  "[x](https\\://evil.example)",
  '[x](https://evil.example "title")',
  "<https://evil.example/claim>",
  "https://evil.example/claim",
  "(https://evil.example/claim) opens with a parenthesis",
  "see https://evil.example/claim.",
  "xhttps://evil.example",
  "www.evil.example and discord.gg/abc",
  "<mail@evil.example>",
  "<@123> <@!123> <@&456> <#789>",
  "@everyone @here",
  "<t:0:R> <t:0> <t:-1:F>",
  "<:pepe:123456789012345678> <a:party:1>",
  ":smile: :white_check_mark:",
  "</imagine:123456789012345678>",
  "<123456789012345678:customize>",
  "# heading",
  "## h2",
  "### h3",
  "-# sub",
  "> quote",
  ">>> block\nmore lines",
  "- item",
  "* item",
  "+ item",
  "1. item",
  "10. ten",
  "   - indented",
  "||spoiler||",
  "**bold**",
  "*italic*",
  "_italic_",
  "***both***",
  "__u__",
  "~~s~~",
  "`code`",
  "``a`b``",
  "```js\nconsole.log(1)\n```",
  "\\",
  "\\*not italic\\*",
  "\\\\*x\\\\*",
  "C:\\path\\to\\file",
  "ends with \\",
  "[",
  "]",
  "](",
  "[a](",
  "(",
  ")",
  "<",
  ">",
  "a < b > c",
  "¯\\_(ツ)_/¯",
  "héllo wörld — “quotes” 日本語 עברית",
  "🐱‍👤 👨‍👩‍👧 🎬✨",
  "ＦＵＬＬ：／／ｗｉｄｔｈ",
  "line one\n# two\n> three\n- four\n1. five",
  "mixed **[Claim](https://evil)** ||<@1>|| `x`",
  "  spaced  out  ",
  "",
];

const BOT_URL = "https://bot.example/jobs/1";

interface Context {
  name: string;
  /** The host message around the inert text. */
  wrap: (x: string) => string;
  /** What the model must find, given the prompt (already on one line for one-line contexts). */
  check: (r: RenderedMarkdown, p: string) => void;
  oneLine: boolean;
}

const CONTEXTS: Context[] = [
  {
    name: "alone",
    oneLine: false,
    wrap: (x) => x,
    check: (r, p) => expect(r).toEqual({ visible: p, links: [], special: [] }),
  },
  {
    name: "after a quote marker",
    oneLine: true,
    wrap: (x) => `> ${x}`,
    check: (r, p) => expect(r).toEqual({ visible: p, links: [], special: ["quote"] }),
  },
  {
    name: "in a history line",
    oneLine: true,
    wrap: (x) => `1. <t:1700000000:R> "${x}"`,
    check: (r, p) => expect(r).toEqual({ visible: `<t:1700000000:R> "${p}"`, links: [], special: ["list", "timestamp"] }),
  },
  {
    name: "after a bold label",
    oneLine: true,
    wrap: (x) => `**Prompt:** ${x}`,
    check: (r, p) => expect(r).toEqual({ visible: `Prompt: ${p}`, links: [], special: ["bold"] }),
  },
  {
    name: "right after a bracketed tag",
    oneLine: true,
    wrap: (x) => `[job 12]${x}`,
    check: (r, p) => expect(r).toEqual({ visible: `[job 12]${p}`, links: [], special: [] }),
  },
  {
    name: "as the label of the bot's own link",
    oneLine: true,
    wrap: (x) => `[${x}](${BOT_URL})`,
    // The member's text may not add a link or anything else; the bot's link may or may not survive.
    check: (r) => {
      expect(r.links.filter((l) => l.url !== BOT_URL)).toEqual([]);
      expect(r.special.filter((s) => s !== "link")).toEqual([]);
    },
  },
];

function rendered(f: (p: string) => string, p: string, c: Context): { r: RenderedMarkdown; shown: string } {
  const shown = c.oneLine ? oneLine(p) : p;
  return { r: renderDiscordMarkdown(c.wrap(f(shown))), shown };
}

/** What goes wrong when `f` is used as `inert` for `p` in context `c` (null: nothing). */
function problem(f: (p: string) => string, p: string, c: Context): string | null {
  const { r, shown } = rendered(f, p, c);
  try {
    c.check(r, shown);
    return null;
  } catch {
    return `${c.name}: ${JSON.stringify(p)} -> ${JSON.stringify(c.wrap(f(shown)))} renders ${JSON.stringify(r)}`;
  }
}

const RANDOM = randomStrings(0x5eed, 4000, 24);

/** The first few problems the model finds with `f` over the adversarial prompts and the random strings, in every context. */
function problems(f: (p: string) => string, enough = 3): string[] {
  const found: string[] = [];
  for (const p of [...ADVERSARIAL, ...RANDOM]) {
    for (const c of CONTEXTS) {
      const why = problem(f, p, c);
      if (why) found.push(why);
      if (found.length >= enough) return found;
    }
  }
  return found;
}

/** `inert`'s output with the backslash taken off every escaped character of `chars`: `inert` as if it forgot them. */
function forgetting(chars: string): (p: string) => string {
  return (p) => {
    const s = inert(p);
    let out = "";
    for (let i = 0; i < s.length; i++) {
      if (s[i] === "\\" && i + 1 < s.length) {
        out += chars.includes(s[i + 1]!) ? s[i + 1]! : s[i]! + s[i + 1]!;
        i++;
      } else out += s[i];
    }
    return out;
  };
}

/** Undoes backslash escapes pairwise; null when `s` has a backslash not followed by an escaped character. */
function unescapePairs(s: string): string | null {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") {
      if (INERT_ESCAPED.includes(s[i]!)) return null; // an unescaped dangerous character
      out += s[i];
      continue;
    }
    const next = s[i + 1];
    if (next === undefined || !INERT_ESCAPED.includes(next)) return null;
    out += next;
    i++;
  }
  return out;
}

describe("the Discord markdown model", () => {
  it("finds every masked link on a line, nested brackets and <url> targets included", () => {
    expect(renderDiscordMarkdown("[a](https://x) [Claim Nitro](https://evil)")).toEqual({
      visible: "a Claim Nitro",
      links: [
        { text: "a", url: "https://x" },
        { text: "Claim Nitro", url: "https://evil" },
      ],
      special: ["link", "link"],
    });
    expect(renderDiscordMarkdown("[a [b] c](https://e.x)").links).toEqual([{ text: "a [b] c", url: "https://e.x" }]);
    expect(renderDiscordMarkdown("[x](<https://e.x>)").links).toEqual([{ text: "x", url: "https://e.x" }]);
    // simple-markdown unescapes the target: an escaped colon inside the parens does not break the link.
    expect(renderDiscordMarkdown("[x](https\\://e.x)").links).toEqual([{ text: "x", url: "https://e.x" }]);
    // Not http(s): left as text.
    expect(renderDiscordMarkdown("[x](notes)")).toEqual({ visible: "[x](notes)", links: [], special: [] });
  });

  it("finds autolinks and bare links, leaving trailing punctuation out", () => {
    expect(renderDiscordMarkdown("<https://evil.example/claim>").links).toEqual([{ text: "https://evil.example/claim", url: "https://evil.example/claim" }]);
    expect(renderDiscordMarkdown("see https://evil.example/claim.")).toEqual({
      visible: "see https://evil.example/claim.",
      links: [{ text: "https://evil.example/claim", url: "https://evil.example/claim" }],
      special: ["link"],
    });
    expect(renderDiscordMarkdown("xhttps://e.x").links).toHaveLength(1);
    expect(renderDiscordMarkdown("www.e.x and e.x/path").links).toEqual([]);
  });

  it.each([
    ["# heading", "heading", "heading"],
    ["### h3", "heading", "h3"],
    ["-# sub", "subtext", "sub"],
    ["> quote", "quote", "quote"],
    [">>> block\nmore", "quote", "block\nmore"],
    ["- item", "list", "item"],
    ["* item", "list", "item"],
    ["1. item", "list", "item"],
    ["||spoiler||", "spoiler", "spoiler"],
    ["**bold**", "bold", "bold"],
    ["*it*", "italic", "it"],
    ["_it_", "italic", "it"],
    ["__u__", "underline", "u"],
    ["~~s~~", "strike", "s"],
    ["`code`", "code", "code"],
    ["```js\nx\n```", "code", "x"],
    ["<@123>", "mention", "<@123>"],
    ["<@&456>", "mention", "<@&456>"],
    ["<#789>", "mention", "<#789>"],
    ["@everyone", "mention", "@everyone"],
    ["<t:0:R>", "timestamp", "<t:0:R>"],
    ["<:pepe:123>", "emoji", "<:pepe:123>"],
    [":smile:", "emoji", ":smile:"],
    ["</imagine:123>", "command", "</imagine:123>"],
  ])("finds %j as %s", (raw, special, visible) => {
    const r = renderDiscordMarkdown(raw);
    expect(r.special).toEqual([special]);
    expect(r.visible).toBe(visible);
  });

  it("applies line-start rules only at the start of a line", () => {
    expect(renderDiscordMarkdown("a # b - c 1. d > e -# f").special).toEqual([]);
    expect(renderDiscordMarkdown("a\n# b").special).toEqual(["heading"]);
  });

  it("resolves escapes: a backslash before punctuation shows it and starts nothing", () => {
    expect(renderDiscordMarkdown("\\*\\*b\\*\\* \\[a\\](https\\://x) \\<@1\\> \\# h")).toEqual({
      visible: "**b** [a](https://x) <@1> # h",
      links: [],
      special: [],
    });
    // Not before letters, digits or spaces: the backslash shows.
    expect(renderDiscordMarkdown("C:\\path \\ x")).toEqual({ visible: "C:\\path \\ x", links: [], special: [] });
    expect(renderDiscordMarkdown("\\\\**b**")).toEqual({ visible: "\\b", links: [], special: ["bold"] });
  });

  it("sees the link discord.js's escapeMarkdown lets through (it escapes only a line's first masked link)", () => {
    const p = "[a](https://x) [Claim Nitro](https://evil)";
    const old = escapeMarkdown(p, { heading: true, bulletedList: true, numberedList: true, maskedLink: true });
    expect(renderDiscordMarkdown(old).links).toContainEqual({ text: "Claim Nitro", url: "https://evil" });
  });

  it("finds markup in most of the random raw strings the inert property test uses", () => {
    const found = new Map<string, number>();
    for (const p of RANDOM) {
      const r = renderDiscordMarkdown(p);
      for (const kind of new Set(r.special)) found.set(kind, (found.get(kind) ?? 0) + 1);
    }
    // 1190 of the 4000 have a link; italic 115, emoji 110, code 74, list 20, mention 15.
    expect(found.get("link")).toBeGreaterThan(RANDOM.length / 5);
    for (const kind of ["italic", "emoji", "code", "list", "mention"]) expect(found.get(kind), kind).toBeGreaterThanOrEqual(10);
  });
});

describe("inert", () => {
  it.each(ADVERSARIAL)("shows %j as typed, with no link or markup", (p) => {
    const r = renderDiscordMarkdown(inert(p));
    expect(r.links).toEqual([]);
    expect(r.special).toEqual([]);
    expect(r.visible).toBe(p);
  });

  it.each(CONTEXTS.map((c) => [c.name, c] as const))("keeps every adversarial prompt inert %s", (_name, c) => {
    for (const p of ADVERSARIAL) {
      const { r, shown } = rendered(inert, p, c);
      c.check(r, shown);
    }
  });

  it(`keeps ${RANDOM.length} random strings of dangerous characters inert, in every context`, () => {
    const found = [];
    for (const p of RANDOM) for (const c of CONTEXTS) found.push(problem(inert, p, c));
    expect(found.filter((x) => x !== null).slice(0, 5)).toEqual([]);
  });

  it("escapes exactly the dangerous characters, each one wherever it is, and nothing else (at most twice as long)", () => {
    for (const p of [...ADVERSARIAL, ...RANDOM]) {
      const out = inert(p);
      expect(unescapePairs(out)).toBe(p);
      const dangerous = [...p].filter((ch) => INERT_ESCAPED.includes(ch)).length;
      expect(out.length).toBe(p.length + dangerous);
      expect(out.length).toBeLessThanOrEqual(2 * p.length);
    }
  });

  it("is context-free: inert(a + b) is inert(a) + inert(b)", () => {
    for (let i = 0; i + 1 < RANDOM.length; i += 2) {
      const [a, b] = [RANDOM[i]!, RANDOM[i + 1]!];
      expect(inert(a + b)).toBe(inert(a) + inert(b));
    }
  });

  it("is linear and bounded on a long input", () => {
    const long = "[a](https://x) ".repeat(100_000);
    const started = performance.now();
    const out = inert(long);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(out.length).toBeLessThanOrEqual(2 * long.length);
    expect(inert("[".repeat(1_000_000))).toHaveLength(2_000_000);
  });

  // Mutation checks: an inert that forgets a character must be caught by the model-based tests
  // above (the same prompts, contexts and random strings), so none of them passes vacuously.
  // A masked link needs a live `[`, `]`, `(` and `)` together (an escaped `\)` inside the parens is
  // part of the url, not its end), so escaping any one of the four is enough: forgetting one of them
  // is caught only by the escaping contract, forgetting all four by the model.
  const ONLY_BY_CONTRACT = ["[", "]", "(", ")"];
  it.each([...[...INERT_ESCAPED].filter((ch) => !ONLY_BY_CONTRACT.includes(ch)), "[]()"])("is caught by the model when it forgets to escape %j", (chars) => {
    expect(problems(forgetting(chars)).length).toBeGreaterThan(0);
  });

  it.each(ONLY_BY_CONTRACT)("escapes %j as defence in depth: no harm in the model without it, but the escaping contract fails", (ch) => {
    expect(problems(forgetting(ch))).toEqual([]);
    expect(unescapePairs(forgetting(ch)("[(a)]"))).toBeNull();
  });
});

describe("inertPreview", () => {
  it("collapses whitespace to one line and trims", () => {
    expect(inertPreview("  a \n\n\t b  ", 100)).toBe("a b");
  });

  it("cuts to at most max characters with a trailing … and escapes after cutting", () => {
    expect(inertPreview("abcdef", 6)).toBe("abcdef");
    expect(inertPreview("abcdefg", 6)).toBe("abcde…");
    expect(inertPreview("abcdefg", 1)).toBe("…");
    expect(inertPreview("abcdefg", 0)).toBe("");
    expect(inertPreview("**bold** and more", 5)).toBe("\\*\\*bo…");
    expect(inertPreview("ab   cdefg", 4)).toBe("ab…");
  });

  it("never cuts inside an emoji or a letter with its accent", () => {
    expect(inertPreview("🐱🐱🐱", 4)).toBe("🐱…");
    expect(inertPreview("👨‍👩‍👧 family", 8)).toBe("…");
    expect(inertPreview("e\u0301e\u0301e\u0301", 4)).toBe("e\u0301…");
  });

  it("renders as the collapsed, cut text with no link or markup, never cut inside an escape", () => {
    const next = prng(7);
    for (const p of [...ADVERSARIAL, ...RANDOM]) {
      const max = 1 + Math.floor(next() * 30);
      const flat = oneLine(p);
      const r = renderDiscordMarkdown(inertPreview(p, max));
      expect(r.links).toEqual([]);
      expect(r.special).toEqual([]);
      expect(r.visible.length).toBeLessThanOrEqual(max);
      if (flat.length <= max) expect(r.visible).toBe(flat);
      else {
        expect(r.visible.endsWith("…")).toBe(true);
        expect(flat.startsWith(r.visible.slice(0, -1))).toBe(true);
      }
    }
  });
});
