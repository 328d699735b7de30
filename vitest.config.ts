import { defineConfig } from "vitest/config"

// Large-corpus suites (test/corpus/) read ../shared/data through VULNERA_DATA_DIR; they are
// included only when it is set (`.ci/run` sets it), so nothing is ever registered and skipped.
const corpus = process.env.VULNERA_DATA_DIR ? ["test/corpus/**/*.test.ts"] : []

export default defineConfig({
  test: {
    include: ["test/*.test.ts", ...corpus],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own redis-server / HTTP server on a free port; files run in parallel.
    pool: "forks",
    fileParallelism: true
  }
})
