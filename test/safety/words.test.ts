import { describe, expect, it } from "vitest";
import { blockedMatcher, containsBlocked, foldForMatching, parseEntries, withEntries, withoutEntries } from "../../src/safety/words.js";

describe("blocked words", () => {
  it("match case-insensitively, on word boundaries", () => {
    const blocked = blockedMatcher(["ass", "Gore"]);
    expect(blocked("an ASS walks")).toBe(true);
    expect(blocked("gore!")).toBe(true);
    expect(blocked("(gore)")).toBe(true);
    expect(blocked("a class of glass")).toBe(false);
    expect(blocked("gorey passes")).toBe(false);
    expect(blocked("ass2")).toBe(false);
  });

  it("match phrases across any run of spaces, and never part of a longer phrase", () => {
    const blocked = blockedMatcher(["blood bath"]);
    expect(blocked("a blood   bath at dawn")).toBe(true);
    expect(blocked("a blood\nbath")).toBe(true);
    expect(blocked("a bloodbath")).toBe(false);
    expect(blocked("blood baths")).toBe(false);
  });

  it("fold look-alike letters from other alphabets, compatibility forms, accents and invisible characters", () => {
    const blocked = blockedMatcher(["nude"]);
    expect(blocked("nudе")).toBe(true); // Cyrillic е (U+0435)
    expect(blocked("ΝUDΕ")).toBe(true); // Greek capital Nu and Epsilon
    expect(blocked("ｎｕｄｅ")).toBe(true); // full-width
    expect(blocked("𝐧𝐮𝐝𝐞")).toBe(true); // mathematical bold
    expect(blocked("nüdé")).toBe(true); // accents
    expect(blocked("nu\u200Bde")).toBe(true); // a zero-width space inside the word
    expect(blocked("nu\u00ADde")).toBe(true); // a soft hyphen
    expect(blocked("nudes")).toBe(false);
    expect(foldForMatching("  Ｂ𝐨𝐥d\u200B  Техт ")).toBe("bold text"); // full-width, bold, zero-width, Cyrillic Т е х т
  });

  it("an entry typed with look-alikes matches the plain word too", () => {
    expect(containsBlocked("a gun fight", ["gυn"])).toBe(true); // Greek upsilon in the entry
    expect(containsBlocked("nothing here", [])).toBe(false);
  });

  it("parse an admin's entries: commas split, spaces collapse, duplicates (as matched) drop, limits hold", () => {
    expect(parseEntries(" gore,  blood   bath ,GORE, ,gоre")).toEqual({ entries: ["gore", "blood bath"], problem: null });
    expect(parseEntries(" , ")).toEqual({ entries: [], problem: "empty" });
    expect(parseEntries("x".repeat(61)).problem).toBe("too_long");
    expect(parseEntries("x".repeat(60)).problem).toBe(null);
    expect(parseEntries("\u200B").problem).toBe("empty");
  });

  it("add and remove entries as the matcher sees them", () => {
    expect(withEntries(["gore"], ["GORE", "blood"])).toEqual(["gore", "blood"]);
    expect(withoutEntries(["gore", "blood"], ["Blооd"])).toEqual(["gore"]);
  });
});
