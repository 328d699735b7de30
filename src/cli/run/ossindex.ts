/**
 * `vulnera ossindex <purl...>` (Sonatype OSS Index lookups through the store's cache) and
 * `vulnera invalidate-ossindex <purl...|--all>`.
 *
 * The handler part, imported when the command runs (`../commands/ossindex.ts` holds its options).
 */
import { Console, Effect } from "effect"
import * as Purl from "../../Purl.js"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import { chooseStore, describeStore, managerLayer, requireReachable, upstream } from "../environment.js"
import { CliExit, ExitCode, usage } from "../failure.js"
import { byRisk, findingTable, toFinding } from "../findings.js"
import { painter } from "../table.js"
import type { InvalidateOssIndexArgs, OssIndexArgs } from "../commands/ossindex.js"


/** What `vulnera ossindex` does (loaded when it runs). */
export const runOssIndex = (args: OssIndexArgs) =>
    Effect.gen(function*() {
      if (args.purls.length === 0) return yield* usage("give at least one PURL", "ossindex")
      const store = yield* chooseStore(args)
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

/** A canonical PURL (it parsed once already, so it parses again). */
const parsed = (canonical: string): Purl.Purl => Effect.runSync(Purl.parse(canonical))

/** What `vulnera invalidate-ossindex` does (loaded when it runs). */
export const runInvalidateOssIndex = (args: InvalidateOssIndexArgs) =>
    Effect.gen(function*() {
      if (args.all === args.purls.length > 0) {
        return yield* usage("give either PURLs or --all", "invalidate-ossindex")
      }
      const store = yield* chooseStore(args)
      yield* Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* requireReachable(store)
        const removed = args.all
          ? yield* manager.invalidateAllOssIndexCache
          : yield* Effect.mapError(manager.invalidateOssIndexCache(args.purls), (e) =>
            e._tag === "InvalidInput" ? usage(e.message, "invalidate-ossindex") : e)
        yield* Console.log(
          `removed ${removed} cached OSS Index answer${removed === 1 ? "" : "s"} from ${describeStore(store)}`
        )
      }).pipe(Effect.provide(managerLayer(store, upstream)))
    })
