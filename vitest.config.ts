import { defineConfig } from "vitest/config";

/**
 * Three projects: `unit` (next to the code, no Docker, seconds), `integration`
 * (real Docker and kind) and `e2e` (the CLI on scenario files).
 */
export default defineConfig({
  test: {
    // Integration and end-to-end files share one Docker engine: one file at a time (`npm run test:unit` turns it back on).
    fileParallelism: false,
    projects: [
      {
        test: {
          name: "unit",
          include: ["harness/**/*.test.ts", "fixtures/**/*.test.ts", "test/architecture.test.ts"],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          globalSetup: ["test/global-setup.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          // A whole run on a shared machine: one retry, as Playwright's runner does on CI. A test that
          // passes only on its retry is reported as retried by the reporter; one that fails twice fails.
          retry: 1,
          testTimeout: 30_000,
          hookTimeout: 120_000,
          globalSetup: ["test/global-setup.ts"],
        },
      },
    ],
  },
});
