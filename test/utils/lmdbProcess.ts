/**
 * A separate process over an `LmdbStore` directory, for test/LmdbStore.test.ts (real processes,
 * no mocks). Run with `node --import tsx test/utils/lmdbProcess.ts <mode> <dir>`:
 *
 * - `write`: syncs forever in batches of 200 advisories (one LMDB transaction each): batch k adds
 *   advisories `GHSA-kill-<k>-<i>` and re-writes batch k-1's under other packages (so stale index
 *   entries are removed mid-sync), then records the sync timestamp; prints `committed <k>` after
 *   each batch. The test kills it with SIGKILL.
 * - `read`: for `seconds` (3rd argument), repeatedly reads the count and every package's ids and
 *   advisories; prints one JSON line `{ reads, counts, errors }` (an error is any inconsistency).
 * - `health`: prints the store's `healthCheck` as JSON.
 */
import { Effect } from "effect"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import * as LmdbStore from "../../src/LmdbStore.js"
import { loadSampleAdvisories, sampleById, variant } from "./osvFixtures.js"

const [mode, dir, seconds] = process.argv.slice(2)
const base = sampleById(loadSampleAdvisories(), "GHSA-2j2x-2gpw-g8fm")
/** Packages the writer spreads advisories over. */
export const killPackages = Array.from({ length: 10 }, (_, i) => `kill-${i}`)

const batch = (k: number, shift: number) =>
  Array.from({ length: 100 }, (_, i) =>
    variant(base, `GHSA-kill-${k}-${i}`, [["npm", killPackages[(i + shift) % 10]!], ["PyPI", `kill-py-${(i + k + shift) % 3}`]]))

const write = Effect.gen(function*() {
  const store = yield* AdvisoryStore
  for (let k = 0;; k++) {
    yield* store.upsertBatch([...(k > 0 ? batch(k - 1, 1) : []), ...batch(k, 0)], "osv")
    yield* store.updateSyncTimestamp("osv", new Date())
    process.stdout.write(`committed ${k}\n`)
  }
})

const read = Effect.gen(function*() {
  const store = yield* AdvisoryStore
  const until = Date.now() + Number(seconds ?? "2") * 1000
  const counts = new Set<number>()
  const errors: Array<string> = []
  let reads = 0
  while (Date.now() < until) {
    const count = yield* store.advisoryCount
    counts.add(count)
    if (count % 100 !== 0) errors.push(`count ${count} is not a whole number of batches`)
    for (const name of killPackages) {
      const ids = yield* store.idsByPackage("npm", name)
      const advisories = yield* store.getByPackage("npm", name)
      for (const a of advisories) {
        if (!a.affected?.some((x) => x.package?.name === name)) errors.push(`${a.id} listed under ${name} but does not name it`)
      }
      if (advisories.length > ids.length) errors.push(`${name}: ${advisories.length} advisories for ${ids.length} ids`)
    }
    reads++
    yield* Effect.sleep(5)
  }
  process.stdout.write(`${JSON.stringify({ reads, counts: Array.from(counts), errors: errors.slice(0, 10) })}\n`)
})

const health = Effect.flatMap(AdvisoryStore, (store) => store.healthCheck).pipe(
  Effect.map((status) => process.stdout.write(`${JSON.stringify(status)}\n`))
)

const program = mode === "write" ? write : mode === "read" ? read : health
const storeLayer = LmdbStore.layerWith({ path: dir! }, { keyPrefix: "kill" })
// Imported by the test for `killPackages`: run only as a program.
if (process.argv[1]?.endsWith("lmdbProcess.ts")) {
  Effect.runPromise(Effect.provide(program, storeLayer)).catch((error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  })
}
