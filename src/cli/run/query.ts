/**
 * `vulnera query <ecosystem> <name>`: the advisories of one package (with `--version`: those that
 * affect that version), optionally filtered, as a table or JSON.
 *
 * The handler part, imported when the command runs (`../commands/query.ts` holds its options).
 */
import { Console, Effect, Option } from "effect"
import type { Advisory } from "../../Advisory.js"
import * as AliasGroups from "../../AliasGroups.js"
import type { AdvisoryStoreError, InvalidInput } from "../../Errors.js"
import * as MatchOptions from "../../MatchOptions.js"
import * as PackageKey from "../../PackageKey.js"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import {
  demoNotice,
  describeStore,
  isSnapshot,
  requireData,
  withManager
} from "../environment.js"
import { redactUrl } from "../../internal/config.js"
import { fromError, usage } from "../failure.js"
import { byRisk, findingTable, toFinding } from "../findings.js"
import { type Painter, painter } from "../table.js"
import { loadSnapshot } from "../syncRun.js"
import type { QueryArgs } from "../commands/query.js"


/** What `query` shows: the advisories kept, the ones the filters left out, the undecidable ones. */
interface Answer {
  readonly advisories: ReadonlyArray<Advisory>
  readonly excluded: VulnerabilityManager.MatchReport["excluded"]
  readonly undetermined: VulnerabilityManager.MatchReport["undetermined"]
}

/** With a version: `matchesWithOptions`; without one: `queryWithOptions` (same filters, no matching). */
const lookup = (
  manager: VulnerabilityManager.VulnerabilityManagerShape,
  ecosystem: string,
  name: string,
  version: Option.Option<string>,
  filters: MatchOptions.MatchOptions
): Effect.Effect<Answer, AdvisoryStoreError | InvalidInput> =>
  Option.isSome(version)
    ? manager.matchesWithOptions(ecosystem, name, version.value, filters)
    : manager.queryWithOptions(ecosystem, name, filters)

/** The findings table with a first column naming each alias group's vulnerability. */
const groupedTable = (
  groups: ReadonlyArray<AliasGroups.AdvisoryGroup>,
  key: PackageKey.PackageKey,
  options: { readonly enriched: boolean; readonly paint: Painter }
): string =>
  groups.map((g) =>
    `${options.paint.paint(g.primaryId, "bold")} (${g.ids.join(", ")})\n` +
    findingTable(g.advisories.map((a) => toFinding(a, key)).sort(byRisk), options)
  ).join("\n\n")

/** What `vulnera query` does (loaded when it runs). */
export const runQuery = (args: QueryArgs) =>
    Effect.gen(function*() {
      yield* Effect.mapError(PackageKey.validateEcosystem(args.ecosystem), (e) => usage(e.message, "query"))
      const key = yield* Effect.mapError(PackageKey.make(args.ecosystem, args.name), (e) => usage(e.message, "query"))
      const filters = yield* Effect.mapError(
        MatchOptions.make({
          minSeverity: Option.getOrUndefined(args.minSeverity),
          kevOnly: args.kevOnly,
          // Filters that read exploit data show it too, so the table explains the choice.
          includeEnrichment: args.enriched || args.kevOnly
        }),
        (e) => usage(e.message, "query")
      )
      const version = Option.map(args.version, (v) => v.trim())
      yield* withManager(args, (store, data) => Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        const loaded = isSnapshot(data) ? yield* loadSnapshot(data) : undefined
        // A report made from the demo snapshot says so first and last.
        const notice = isSnapshot(data) && data.demo && loaded !== undefined ? demoNotice(loaded.advisories, loaded.ecosystems) : undefined
        const health = yield* requireData(store)
        const answer = yield* lookup(manager, args.ecosystem, args.name, version, filters).pipe(
          Effect.mapError((e) => (e._tag === "InvalidInput" ? usage(e.message, "query") : fromError(e)))
        )
        const findings = answer.advisories.map((a) => toFinding(a, key)).sort(byRisk)
        const enriched = filters.includeEnrichment
        const enrichmentSynced = health.sync.some((s) => (s.unit === "kev" || s.unit === "epss") && Option.isSome(s.lastSync))
        // A repository URL given with credentials is shown masked (matching ignores them).
        const shownName = key.ecosystem === "git" && args.name.includes("://") ? redactUrl(args.name) : args.name
        const subject = `${args.ecosystem} ${shownName}${Option.match(version, { onNone: () => "", onSome: (v) => `@${v}` })}`
        const groups = AliasGroups.group(answer.advisories)

        if (args.json) {
          const byId = new Map(answer.advisories.map((a) => [a.id, a]))
          return yield* Console.log(JSON.stringify(
            {
              ...(notice === undefined ? {} : { notice }),
              ecosystem: args.ecosystem,
              name: shownName,
              version: Option.getOrNull(version),
              filters: { minSeverity: Option.getOrNull(args.minSeverity), kevOnly: args.kevOnly },
              count: findings.length,
              findings: findings.map((f) => ({ ...f, advisory: byId.get(f.id) })),
              groups: groups.map((g) => ({ primaryId: g.primaryId, ids: g.ids, advisories: g.advisories.map((a) => a.id) })),
              excluded: answer.excluded,
              undetermined: answer.undetermined,
              ...(notice === undefined ? {} : { noticeEnd: notice })
            },
            null,
            2
          ))
        }
        const paint = painter(process.stdout)
        const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
        const lines = [
          `${paint.paint(subject, "bold")}: ${count(findings.length, "advisory", "advisories")}` +
          `${Option.isSome(version) ? " affecting this version" : ""}` +
          `${groups.length < findings.length ? ` (${count(groups.length, "vulnerability", "vulnerabilities")} by alias)` : ""}` +
          ` — ${describeStore(store)}`
        ]
        if (findings.length > 0) {
          lines.push(
            "",
            args.grouped ? groupedTable(groups, key, { enriched, paint }) : findingTable(findings, { enriched, paint })
          )
        }
        const missing = answer.excluded.filter((e) => e.verdict.failed.length === 0).length
        if (answer.excluded.length > 0) {
          lines.push(
            `${count(answer.excluded.length, "advisory", "advisories")} left out by the filters` +
              `${missing > 0 ? ` (${missing} for lack of data: no severity or EPSS published)` : ""}.`
          )
        }
        if (answer.undetermined.length > 0) {
          lines.push(
            `${count(answer.undetermined.length, "advisory", "advisories")} could not be evaluated for this version ` +
              `(not known to be affected): ${answer.undetermined.map((u) => `${u.id}: ${u.issues[0]?.message ?? ""}`).join("; ")}`
          )
        }
        if (enriched && !enrichmentSynced) {
          lines.push("note: no KEV/EPSS data in the store; run `vulnera sync --enrichment` (or use --demo).")
        }
        if (notice !== undefined) lines.unshift(paint.paint(notice, "yellow", "bold"))
        if (notice !== undefined) lines.push(paint.paint(notice, "yellow", "bold"))
        yield* Console.log(lines.join("\n"))
      }))
    })
