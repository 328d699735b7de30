/**
 * Options several commands share: output, store and data. Pure @effect/cli definitions with no
 * other imports, so `--help` and argument parsing load none of the store drivers or sources (the
 * wiring they select is in `environment.ts`, loaded by a command's handler).
 */
import { Options } from "@effect/cli"

/** `--json`: machine-readable output on stdout. */
export const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

/** What the store options say about precedence (shared by their descriptions and the root help). */
export const storeSelectionText =
  "Store: --redis URL or --store DIR (not both); else REDIS_URL, else VULNERA__STORE__PATH (an explicit flag " +
  "beats the environment, REDIS_URL beats VULNERA__STORE__PATH); else an LMDB store in $XDG_CACHE_HOME/vulnera " +
  "(~/.cache/vulnera). --demo and --snapshot use an in-memory store for one run unless a store is chosen explicitly."

/** `--redis URL`: overrides `REDIS_URL` and `VULNERA__STORE__PATH`. */
export const redisOption = Options.text("redis").pipe(
  Options.withPseudoName("URL"),
  Options.withDescription(
    "Redis/DragonflyDB URL (redis://[user:password@]host[:port][/db], rediss:// for TLS). Overrides REDIS_URL and " +
      "VULNERA__STORE__PATH. " + storeSelectionText
  ),
  Options.optional
)

/** `--store DIR`: an LMDB store directory; overrides `REDIS_URL` and `VULNERA__STORE__PATH`. */
export const storeOption = Options.text("store").pipe(
  Options.withPseudoName("DIR"),
  Options.withDescription(
    "The LMDB store's directory (created when missing; no server needed). Overrides VULNERA__STORE__PATH and " +
      "REDIS_URL. Default: $XDG_CACHE_HOME/vulnera, else ~/.cache/vulnera."
  ),
  Options.optional
)

/** `--demo`: load the bundled demo snapshot first (reports then say so in their first and last line). */
export const demoOption = Options.boolean("demo").pipe(
  Options.withDescription(
    "Use the bundled demo snapshot (examples/data: a few hundred real OSV records, a KEV and an EPSS subset) " +
      "instead of synced data: it is synced into an in-memory store first (never into the default store in the " +
      "cache directory), no network access. Reports say so in their first and last line; the demo is not a " +
      "complete advisory database."
  )
)

/** `--snapshot DIR`: load a snapshot directory first. */
export const snapshotOption = Options.directory("snapshot", { exists: "yes" }).pipe(
  Options.withPseudoName("DIR"),
  Options.withDescription(
    "Sync a local mirror in the upstream layouts (DIR/osv/<Ecosystem>/all.zip + modified_id.csv, " +
      "DIR/osv/ecosystems.txt, DIR/kev/known_exploited_vulnerabilities.json, DIR/epss/epss_scores-current.csv.gz) " +
      "into the store before running: an in-memory store for this run, unless --store, --redis, " +
      "VULNERA__STORE__PATH or REDIS_URL name one."
  ),
  Options.optional
)

/** `--redis`, `--store`: the store options of every command. */
export const storeOptions = { redis: redisOption, store: storeOption } as const

/** `--redis`, `--store`, `--demo`, `--snapshot`: the options of every command that reads synced data. */
export const storeAndDataOptions = { ...storeOptions, demo: demoOption, snapshot: snapshotOption } as const
