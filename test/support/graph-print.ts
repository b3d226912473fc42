import { importGraph, importCircles, featureOf } from "./imports.js";
const g = importGraph();
console.log("circles:", JSON.stringify(importCircles(g), null, 1));
const edges = new Map<string, Set<string>>();
const sizes = new Map<string, number>();
for (const f of g.values()) {
  const a = featureOf(f.path);
  sizes.set(a, (sizes.get(a) ?? 0) + f.lines);
  for (const i of f.imports) { const b = featureOf(i); if (a !== b) (edges.get(a) ?? edges.set(a, new Set()).get(a)!).add(b); }
}
for (const [a, bs] of [...edges].sort()) console.log(`${a} (${sizes.get(a)}) -> ${[...bs].sort().join(", ")}`);
for (const [a, n] of sizes) if (!edges.has(a)) console.log(`${a} (${n}) -> nothing`);
