/**
 * `vulnera query <ecosystem> <name>`: the advisories of one package (with `--version`: those that
 * affect that version), optionally filtered, as a table or JSON.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { storeAndDataOptions } from "../options.js"

/**
 * The name `query` declares for the package version. `--version` is @effect/cli's built-in
 * "print the program version" flag on every command, so `main.ts` rewrites `query ... --version V`
 * to this name before parsing; both spellings work.
 */
export const packageVersionFlag = "package-version"

const queryConfig = {
    ecosystem: Args.text({ name: "ecosystem" }).pipe(
      Args.withDescription("npm, PyPI, Maven, Go, crates.io, NuGet, RubyGems, Packagist, ... (any case; aliases like pip, cargo)")
    ),
    name: Args.text({ name: "name" }).pipe(
      Args.withDescription("Package name as OSV spells it (@scope/name, group:artifact, module path)")
    ),
    version: Options.text(packageVersionFlag).pipe(
      Options.withDescription("Only advisories affecting this version (also accepted as --version V)."),
      Options.optional
    ),
    enriched: Options.boolean("enriched").pipe(
      Options.withDescription("Attach EPSS and KEV data (from the last `sync --enrichment`).")
    ),
    minSeverity: Options.choice("min-severity", ["low", "medium", "high", "critical"]).pipe(
      Options.withDescription("Only advisories rated at least this (CVSS from their vectors, else the published level)."),
      Options.optional
    ),
    kevOnly: Options.boolean("kev-only").pipe(
      Options.withDescription("Only advisories with a CVE in CISA's Known Exploited Vulnerabilities catalog.")
    ),
    grouped: Options.boolean("grouped").pipe(
      Options.withDescription("Group advisories describing the same vulnerability (shared ids or aliases: GHSA, CVE, PYSEC, ...).")
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print JSON instead of a table.")),
    ...storeAndDataOptions
  }

/** The arguments of `vulnera query`, as parsed. */
export type QueryArgs = Command.Command.ParseConfig<typeof queryConfig>

/** `vulnera query` */
export const queryCommand = Command.make("query", queryConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/query.js")), (run) => run.runQuery(args))
).pipe(
  Command.withDescription(
    "Show the advisories of a package (with --version: those affecting that version) from the store. The store " +
      "must hold data: run `vulnera sync` first (the default store in the cache directory keeps it between runs), " +
      "or add --demo to load the bundled demo snapshot into an in-memory store for this run."
  )
)
