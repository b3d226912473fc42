import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Runs `npm start`'s prestart, the incremental build of dist/ (a quick no-op when no source
 * changed), exactly as npm would: the same command, in the package root, with node_modules/.bin
 * on the PATH. The end-to-end tests and the bench start the compiled bot with `npm start`'s
 * command line (test/support/child.ts) and need it built and fresh.
 *
 * Type errors in src/ or commands/ are printed but do not stop the caller, since tsc still writes
 * every file (the tests ran the sources under tsx before, which never type-checked; `npm run
 * typecheck` is the check, and `npm start` itself refuses to start). Any other failure throws.
 */
export function buildBot(): { ms: number } {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const command = pkg.scripts.prestart;
  if (!command) throw new Error("package.json has no prestart script to build the bot with");
  const started = performance.now();
  const run = spawnSync(command, {
    cwd: ROOT,
    shell: true,
    encoding: "utf8",
    env: { ...process.env, PATH: [join(ROOT, "node_modules", ".bin"), process.env.PATH].join(delimiter) },
  });
  const ms = performance.now() - started;
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`.trim();
  if (run.status === 0) return { ms };
  const diagnostics = output.split("\n").filter((l) => /error TS\d+/.test(l));
  const onlySourceErrors = diagnostics.length > 0 && diagnostics.every((l) => /^(src|commands)\/[^(]+\.ts\(\d+,\d+\): error TS\d+/.test(l));
  if (!onlySourceErrors) throw new Error(`\`${command}\` failed (${run.error?.message ?? `exit ${run.status}`}):\n${output}`);
  console.warn(`\`${command}\` reported type errors; tsc wrote the compiled bot anyway and it is used as it is:\n${output}`);
  return { ms };
}

/** Vitest's global setup: once per test run, before any test file (and before each rerun in watch mode), build the compiled bot. */
export default function setup(project: TestProject): void {
  buildBot();
  project.onTestsRerun(() => void buildBot());
}
