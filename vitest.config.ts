import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ (npm start's prestart) once per run: end-to-end tests start the compiled bot.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end files each start a bot, a fake Discord and a fake fal; two cores run two at once.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
