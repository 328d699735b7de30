/**
 * `vulnera sync`: advisory sync (OSV, one unit per ecosystem) and, with `--enrichment`, the KEV
 * catalog and EPSS scores, with a progress display and a summary table. Exit 1 when a unit failed.
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { storeAndDataOptions } from "../options.js"

const syncConfig = {
    ecosystems: Options.text("ecosystem").pipe(
      Options.withDescription(
        "Only this OSV ecosystem (repeatable: --ecosystem npm --ecosystem PyPI). Default: " +
          "VULNERA__SOURCES__OSV_ECOSYSTEMS, else npm, PyPI, Maven, Go, crates.io, NuGet, RubyGems, Packagist, Hex, Pub."
      ),
      Options.repeated
    ),
    enrichment: Options.boolean("enrichment").pipe(
      Options.withDescription("Also download the CISA KEV catalog and FIRST EPSS scores.")
    ),
    allowEviction: Options.boolean("allow-eviction").pipe(
      Options.withDescription(
        "Write even though the Redis server can evict keys (maxmemory-policy other than noeviction): evicted " +
          "advisories are lost without an error; check with `vulnera verify`."
      )
    ),
    ...storeAndDataOptions
  }

/** The arguments of `vulnera sync`, as parsed. */
export type SyncArgs = Command.Command.ParseConfig<typeof syncConfig>

/** `vulnera sync` */
export const syncCommand = Command.make("sync", syncConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/sync.js")), (run) => run.runSync(args))
).pipe(
  Command.withDescription(
    "Sync advisories from OSV (one unit per ecosystem; incremental after the first run) and, with --enrichment, " +
      "KEV and EPSS, into the store (default: LMDB in $XDG_CACHE_HOME/vulnera, kept for later query/scan runs). Shows progress on a terminal (log lines otherwise) and a summary table. Exit 1 if a unit failed " +
      "or was partial (records that failed or were rejected are listed), 3 if the store stayed unreachable. " +
      "Offline: --demo (bundled demo snapshot) or --snapshot DIR; live URLs can be overridden with " +
      "VULNERA__SOURCES__OSV_URL, VULNERA__SOURCES__KEV_URL, VULNERA__SOURCES__EPSS_BULK_URL."
  )
)
