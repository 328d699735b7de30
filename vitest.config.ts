import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own redis-server / HTTP server on a free port; files run in parallel.
    pool: "forks",
    fileParallelism: true
  }
})
