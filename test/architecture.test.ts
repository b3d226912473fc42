import { describe, expect, it } from "vitest";
import { featureOf, importCircles, importGraph } from "./support/imports.js";

/**
 * The map of the code (README, "Development"): what each folder under src/ may import. A folder
 * imports only folders listed here, and only through their index.ts; the wiring (app/, bot.ts)
 * and the command modules sit above every feature, and no feature imports them.
 */
const MAY_IMPORT: Record<string, string[]> = {
  config: [],
  log: [],
  i18n: [],
  metrics: [],
  store: [],
  http: [],
  seedance: ["i18n"],
  discord: ["config", "http", "i18n", "seedance"],
  settings: ["log", "seedance", "store"],
  jobs: ["discord", "http", "i18n", "log", "seedance", "store"],
  quota: ["config", "i18n", "jobs", "log", "metrics", "store"],
  operator: ["config", "i18n", "jobs", "log", "queue", "quota", "seedance", "store"],
  credits: ["config", "i18n", "jobs", "log", "quota", "store"],
  queue: ["store"],
  cards: ["discord", "i18n", "jobs", "seedance"],
  delivery: ["cards", "discord", "http", "jobs", "seedance"],
  history: ["discord", "i18n", "jobs"],
  runner: ["cards", "delivery", "discord", "http", "i18n", "jobs", "log", "metrics", "queue", "quota", "seedance", "store"],
  requests: ["cards", "config", "credits", "discord", "i18n", "jobs", "log", "metrics", "operator", "queue", "quota", "runner", "safety", "seedance", "settings", "store"],
  console: ["config", "discord", "jobs", "log", "operator", "quota", "seedance", "store"],
  safety: ["cards", "config", "discord", "i18n", "jobs", "log", "quota", "seedance", "settings", "store"],
  followups: ["cards", "discord", "i18n", "jobs", "requests", "seedance", "settings"],
};
const FEATURES = Object.keys(MAY_IMPORT);
/** The wiring and the command modules may use every feature. */
const ABOVE = ["app", "commands", "(root)"];
/** Lines a folder may hold; the language catalogs are data (six languages of every string), not code. */
const MAX_FOLDER_LINES = 1_300;
const DATA_FOLDERS = ["i18n"];

const graph = importGraph();

describe("the map of the code", () => {
  it("has no import circles, type-only imports included", () => {
    expect(importCircles(graph)).toEqual([]);
  });

  it("every folder imports only the folders below it, and nothing imports the wiring or the commands", () => {
    const wrong: string[] = [];
    for (const file of graph.values()) {
      const from = featureOf(file.path);
      for (const target of file.imports) {
        const to = featureOf(target);
        if (to === from) continue;
        if (ABOVE.includes(from) && (FEATURES.includes(to) || (from !== "app" && to === "app") || (from === "(root)" && to !== "commands"))) continue;
        if (!MAY_IMPORT[from]?.includes(to)) wrong.push(`${file.path} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("features are used from outside only through their index.ts", () => {
    const deep = [...graph.values()].flatMap((file) =>
      file.imports.filter((t) => t.startsWith("src/") && featureOf(t) !== featureOf(file.path) && featureOf(t) !== "(root)" && !t.endsWith("/index.ts")).map((t) => `${file.path} → ${t}`),
    );
    expect(deep).toEqual([]);
  });

  it("every folder under src/ is on the map, and none holds more than about 1,200 lines", () => {
    const lines = new Map<string, number>();
    for (const file of graph.values()) if (file.path.startsWith("src/")) lines.set(featureOf(file.path), (lines.get(featureOf(file.path)) ?? 0) + file.lines);
    expect([...lines.keys()].filter((f) => !FEATURES.includes(f) && !ABOVE.includes(f))).toEqual([]);
    expect([...lines].filter(([f, n]) => n > MAX_FOLDER_LINES && !DATA_FOLDERS.includes(f))).toEqual([]);
  });
});
