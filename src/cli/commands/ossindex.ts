/**
 * `vulnera ossindex <purl...>` (Sonatype OSS Index lookups through the store's cache) and
 * `vulnera invalidate-ossindex <purl...|--all>`.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import * as Purl from "../../Purl.js"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import { chooseStore, managerLayer, redisOption, requireReachable, upstream } from "../environment.js"
import { CliExit, ExitCode, usage } from "../failure.js"
import { byRisk, toFinding } from "../findings.js"
import { json } from "../options.js"
import { painter } from "../table.js"
import { findingTable } from "./query.js"

const purlsArg = Args.text({ name: "purl" }).pipe(
  Args.withDescription("A package URL with a version, e.g. pkg:npm/lodash@4.17.20, pkg:maven/log4j/log4j@1.2.17"),
  Args.repeated
)

/** `vulnera ossindex` */
export const ossIndexCommand = Command.make(
  "ossindex",
  { purls: purlsArg, json, redis: redisOption },
  (args) =>
    Effect.gen(function*() {
      if (args.purls.length === 0) return yield* usage("give at least one PURL", "ossindex")
      const store = yield* chooseStore(args.redis)
      yield* Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* requireReachable(store)
        const results = yield* manager.queryOssIndex(args.purls)
        if (args.json) {
          yield* Console.log(JSON.stringify(
            results.map((r) =>
              r._tag === "Found"
                ? {
                  purl: r.purl,
                  canonical: r.canonical,
                  fromCache: r.fromCache,
                  findings: r.advisories.map((a) => toFinding(a, Purl.toPackageKey(parsed(r.canonical))))
                }
                : { purl: r.purl, error: r.error.message }
            ),
            null,
            2
          ))
        } else {
          const paint = painter(process.stdout)
          const blocks = results.map((r) => {
            if (r._tag !== "Found") return `${paint.paint(r.purl, "bold")}: ${paint.paint("error", "red")}: ${r.error.message}`
            const key = Purl.toPackageKey(parsed(r.canonical))
            const findings = r.advisories.map((a) => toFinding(a, key)).sort(byRisk)
            const head = `${paint.paint(r.canonical, "bold")}: ${findings.length} vulnerabilit${findings.length === 1 ? "y" : "ies"}` +
              ` (${r.fromCache ? "cached" : "fresh from OSS Index"})`
            return findings.length === 0 ? head : `${head}\n${findingTable(findings, { enriched: false, paint })}`
          })
          yield* Console.log(blocks.join("\n\n"))
        }
        if (results.some((r) => r._tag === "Invalid")) {
          return yield* usage("some arguments are not valid PURLs (see above)", "ossindex")
        }
        if (results.some((r) => r._tag === "Failed")) {
          return yield* new CliExit({ code: ExitCode.findings, message: "OSS Index could not answer for some PURLs" })
        }
      }).pipe(Effect.provide(managerLayer(store, upstream)))
    })
).pipe(
  Command.withDescription(
    "Look PURLs up in Sonatype OSS Index, cache first (answers are cached in the store for " +
      "VULNERA__STORE__OSSINDEX_TTL_SECONDS, default 1 hour). Credentials: OSSINDEX_USER and OSSINDEX_TOKEN. Needs network " +
      "for PURLs not in the cache."
  )
)

/** A canonical PURL (it parsed once already, so it parses again). */
const parsed = (canonical: string): Purl.Purl => Effect.runSync(Purl.parse(canonical))

/** `vulnera invalidate-ossindex` */
export const invalidateOssIndexCommand = Command.make(
  "invalidate-ossindex",
  {
    purls: purlsArg,
    all: Options.boolean("all").pipe(Options.withDescription("Drop every cached OSS Index answer.")),
    redis: redisOption
  },
  (args) =>
    Effect.gen(function*() {
      if (args.all === args.purls.length > 0) {
        return yield* usage("give either PURLs or --all", "invalidate-ossindex")
      }
      const store = yield* chooseStore(args.redis)
      yield* Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* requireReachable(store)
        const removed = args.all
          ? yield* manager.invalidateAllOssIndexCache
          : yield* Effect.mapError(manager.invalidateOssIndexCache(args.purls), (e) =>
            e._tag === "InvalidInput" ? usage(e.message, "invalidate-ossindex") : e)
        yield* Console.log(
          `removed ${removed} cached OSS Index answer${removed === 1 ? "" : "s"} from ${store.display}`
        )
      }).pipe(Effect.provide(managerLayer(store, upstream)))
    })
).pipe(
  Command.withDescription(
    "Drop cached OSS Index answers for these PURLs (any spelling of the same PURL), or all of them with --all, so " +
      "the next `vulnera ossindex` asks OSS Index again."
  )
)
