/**
 * Store contract for the query kinds beyond one exact package: base-ecosystem queries (a query for
 * `AlmaLinux` finds `AlmaLinux:8` and `AlmaLinux:9` records, a query for a variant only that
 * variant) and repository queries (`GIT` + repository URL, any spelling of the URL). Registered
 * by `storeContract` for every backend; the index entries come from `storeCodec.indexSuffixes`,
 * so a backend passes by storing what it is given.
 *
 * Records: test/fixtures/osv/repository-and-base.jsonl (real OSS-Fuzz, Drupal and AlmaLinux
 * records, see test/fixtures/README.md).
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Chunk, Effect, Stream } from "effect"
import * as Advisory from "../../src/Advisory.js"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import type { StoreContractOptions } from "./storeContract.js"

/** The fixture records, decoded, by id. */
export const loadQueryKindRecords = (): ReadonlyMap<string, Advisory.Advisory> =>
  new Map(
    readFileSync(new URL("../fixtures/osv/repository-and-base.jsonl", import.meta.url), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => Effect.runSync(Advisory.decodeUnknown(JSON.parse(line))))
      .map((a) => [a.id, a] as const)
  )

let counter = 0

/** Registers the base-ecosystem and repository query checks for one store. */
export const queryKindsContract = <E>(name: string, options: StoreContractOptions<E>): void => {
  const test = options.live ? it.live : it.effect
  const records = loadQueryKindRecords()
  const all = [...records.values()]
  const get = (id: string) => records.get(id)!
  const withStore = <A, E2>(body: (store: typeof AdvisoryStore.Service) => Effect.Effect<A, E2>) =>
    Effect.flatMap(AdvisoryStore, body).pipe(
      Effect.provide(options.makeLayer({ keyPrefix: `qk-${process.pid}-${Date.now().toString(36)}-${counter++}` }))
    )
  const ids = (store: typeof AdvisoryStore.Service, ecosystem: string, pkg: string) =>
    Effect.map(store.getByPackage(ecosystem, pkg), (found) => found.map((a) => a.id))

  describe(`${name} (store contract: base-ecosystem and repository queries)`, () => {
    test("a base ecosystem finds every variant's records; a variant finds only its own", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.upsertBatch(all, "osv")
          expect(yield* ids(store, "AlmaLinux", "wget")).toEqual(["ALSA-2024:5299", "ALSA-2024:6192"])
          expect(yield* ids(store, "almalinux", "wget")).toEqual(["ALSA-2024:5299", "ALSA-2024:6192"])
          expect(yield* ids(store, "AlmaLinux:8", "wget")).toEqual(["ALSA-2024:5299"])
          expect(yield* ids(store, "AlmaLinux:9", "wget")).toEqual(["ALSA-2024:6192"])
          expect(yield* ids(store, "AlmaLinux:10", "wget")).toEqual([])
          expect(yield* store.idsByPackage("AlmaLinux", "wget")).toEqual(["ALSA-2024:5299", "ALSA-2024:6192"])
          const streamed = yield* Stream.runCollect(store.streamByPackage("AlmaLinux", "wget"))
          expect(Chunk.toArray(streamed).map((a) => a.id).sort()).toEqual(["ALSA-2024:5299", "ALSA-2024:6192"])
          // Packagist with a repository URL as variant: the base name finds it, in Packagist's case rules.
          expect(yield* ids(store, "Packagist", "drupal/config_perms")).toEqual(["DRUPAL-CONTRIB-2017-083"])
          expect(yield* ids(store, "composer", "Drupal/Config_Perms")).toEqual(["DRUPAL-CONTRIB-2017-083"])
          expect(yield* ids(store, "Packagist:https://packages.drupal.org/8", "drupal/config_perms")).toEqual([
            "DRUPAL-CONTRIB-2017-083"
          ])
          expect(yield* ids(store, "Packagist:https://packages.example.org/8", "drupal/config_perms")).toEqual([])
        })))

    test("a repository URL finds the records whose GIT ranges name it, in any spelling", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.upsertBatch(all, "osv")
          for (
            const url of [
              "https://github.com/libarchive/libarchive.git",
              "https://github.com/libarchive/libarchive",
              "http://GitHub.com/LibArchive/libarchive/",
              "git@github.com:libarchive/libarchive.git",
              "git://github.com/libarchive/libarchive"
            ]
          ) expect(yield* ids(store, "GIT", url), url).toEqual(["OSV-2020-487"])
          expect(yield* ids(store, "git", "https://github.com/hercules-team/augeas")).toEqual(["OSV-2020-1540"])
          expect(yield* ids(store, "GIT", "https://gitlab.com/libarchive/libarchive")).toEqual([])
          // The package names still work as before.
          expect(yield* ids(store, "OSS-Fuzz", "libarchive")).toEqual(["OSV-2020-487"])
        })))

    test("re-writes and removals keep base and repository listings in step", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.upsertBatch(all, "osv")
          // ALSA-2024:5299 moves from AlmaLinux:8 to Rocky Linux:8: it leaves both AlmaLinux listings.
          const moved = get("ALSA-2024:5299")
          const rocky: Advisory.Advisory = {
            ...moved,
            affected: moved.affected?.map((a) => ({ ...a, package: { ...a.package!, ecosystem: "Rocky Linux:8" } }))
          }
          const result = yield* store.upsertBatch([rocky], "osv")
          expect(result.staleIndexEntriesRemoved).toBe(2)
          expect(yield* ids(store, "AlmaLinux", "wget")).toEqual(["ALSA-2024:6192"])
          expect(yield* ids(store, "AlmaLinux:8", "wget")).toEqual([])
          expect(yield* ids(store, "Rocky Linux", "wget")).toEqual(["ALSA-2024:5299"])
          // A record that no longer names the repository leaves its listing; a withdrawn one leaves all.
          const libarchive = get("OSV-2020-487")
          yield* store.upsertBatch([{ ...libarchive, affected: libarchive.affected?.map((a) => ({ ...a, ranges: [] })) }], "osv")
          expect(yield* ids(store, "GIT", "https://github.com/libarchive/libarchive")).toEqual([])
          yield* store.upsertBatch([{ ...get("OSV-2020-1540"), withdrawn: "2024-01-01T00:00:00Z" }], "osv")
          expect(yield* ids(store, "GIT", "https://github.com/hercules-team/augeas")).toEqual([])
          expect(yield* store.removeAdvisory("ALSA-2024:6192")).toBe(true)
          expect(yield* ids(store, "AlmaLinux", "wget")).toEqual([])
          expect(yield* ids(store, "AlmaLinux:9", "wget")).toEqual([])
        })))
  })
}
