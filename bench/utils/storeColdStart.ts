/**
 * A new process's time to its first answer from a persistent store (bench/store.ts runs it through
 * `runChild`): modules are loaded first (including `lmdb`, which `LmdbStore` imports on open), then
 * the clock starts: open the store (LMDB environment or Redis connection) and answer one
 * `getByPackage`. Replies `{ modulesMillis, firstAnswerMillis, found }`.
 */
import { Effect } from "effect"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import { childInput, replyToParent } from "./child.js"
import { lmdbStoreLayer, storeLayer } from "./layers.js"

/** What the parent asks. */
export interface ColdStartInput {
  readonly backend: "lmdb" | "redis"
  /** LMDB directory or Redis URL. */
  readonly location: string
  readonly keyPrefix: string
  readonly ecosystem: string
  readonly name: string
}

/** What the child measured. */
export interface ColdStartResult {
  /** Process start to modules loaded. */
  readonly modulesMillis: number
  /** Modules loaded to the first answer (open + one getByPackage). */
  readonly firstAnswerMillis: number
  readonly found: number
}

const input = childInput<ColdStartInput>()
if (input !== undefined) {
  if (input.backend === "lmdb") await import("lmdb")
  const modulesMillis = performance.now()
  const layer = input.backend === "lmdb"
    ? lmdbStoreLayer(input.location, input.keyPrefix)
    : storeLayer(input.location, input.keyPrefix)
  const measured = await Effect.gen(function*() {
    const store = yield* AdvisoryStore
    const found = yield* store.getByPackage(input.ecosystem, input.name)
    return { found: found.length, firstAnswerMillis: performance.now() - modulesMillis }
  }).pipe(Effect.provide(layer), Effect.runPromise)
  replyToParent({ modulesMillis, ...measured } satisfies ColdStartResult)
}
