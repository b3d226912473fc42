import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import ts from "typescript";
import { ROOT } from "./child.js";

/** One file's imports of the project's own files (type-only ones included), as paths from the root. */
export interface SourceFile {
  path: string;
  lines: number;
  imports: string[];
}

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The import graph of `src/` and `commands/`, read with TypeScript's own pre-processor. */
export function importGraph(tops = ["src", "commands"]): Map<string, SourceFile> {
  const graph = new Map<string, SourceFile>();
  for (const path of tops.flatMap(walk)) {
    const text = readFileSync(join(ROOT, path), "utf8");
    const imports = ts
      .preProcessFile(text, true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => normalize(join(dirname(path), spec.replace(/\.js$/, ".ts"))));
    graph.set(path, { path, lines: text.split("\n").length, imports });
  }
  return graph;
}

/** Every circle of imports (Tarjan's strongly connected components of more than one file, or a file importing itself). */
export function importCircles(graph: Map<string, SourceFile>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const meta = new Map<string, { index: number; low: number; onStack: boolean }>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    meta.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v)?.imports ?? []) {
      if (!graph.has(w)) continue;
      if (!meta.has(w)) {
        visit(w);
        meta.get(v)!.low = Math.min(meta.get(v)!.low, meta.get(w)!.low);
      } else if (meta.get(w)!.onStack) meta.get(v)!.low = Math.min(meta.get(v)!.low, meta.get(w)!.index);
    }
    if (meta.get(v)!.low === meta.get(v)!.index) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        meta.get(w)!.onStack = false;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)!.imports.includes(v)) circles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!meta.has(v)) visit(v);
  return circles;
}

/** A file's feature: its folder under src/ (files directly in src/ are the root), or `commands`. */
export function featureOf(path: string): string {
  const parts = relative(ROOT, join(ROOT, path)).split("/");
  if (parts[0] === "commands") return "commands";
  return parts.length > 2 ? parts[1]! : "(root)";
}
