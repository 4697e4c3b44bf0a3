import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["harness/**/*.test.ts", "fixtures/**/*.test.ts", "test/**/*.test.ts"],
    // Integration and end-to-end tests share one Docker engine on a 2-core machine: one file at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    globalSetup: ["test/global-setup.ts"],
  },
});
