import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two workers keep a 2-core machine responsive.
    maxWorkers: 2,
    // Files share a worker's module cache: client-node, Bolt and BullMQ load once per worker, not once per file
    // (most of the suite's time was imports). Tests keep no global state (no module mocks, no env mutation).
    isolate: false,
  },
});
