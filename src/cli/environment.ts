/**
 * What every command shares: which store (`--redis URL`, else `REDIS_URL`, else the in-memory
 * store), which data (upstream URLs, or a snapshot directory in the upstream layouts read through
 * `file://` URLs), the manager layer built from both, and the checks run before a command reads
 * the store.
 */
import { Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Effect, Layer, Option } from "effect"
import * as Net from "node:net"
import { isAbsolute, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { ConfigurationError } from "../Errors.js"
import { redactUrl } from "../internal/config.js"
import { type ConnectionFailure, describeConnectionError } from "../internal/connectionError.js"
import { sanitizeForDisplay } from "../internal/sanitize.js"
import * as OsvSource from "../OsvSource.js"
import * as PackageKey from "../PackageKey.js"
import * as VulnerabilityManager from "../VulnerabilityManager.js"
import { type CliExit, unavailable, usage } from "./failure.js"
import * as Node from "../node.js"

/** The bundled offline snapshot (`examples/data`), two levels above both `src/cli` and `dist/cli`. */
export const bundledSnapshotDir = fileURLToPath(new URL("../../examples/data", import.meta.url))

/** A path as printed: relative to the working directory when it is below it. */
export const displayPath = (path: string): string => {
  const shown = relative(process.cwd(), path)
  return shown === "" || shown.startsWith("..") || isAbsolute(shown) ? path : shown
}

/** `--redis URL`: overrides `REDIS_URL`. */
export const redisOption = Options.text("redis").pipe(
  Options.withPseudoName("URL"),
  Options.withDescription(
    "Redis/DragonflyDB URL (redis://[user:password@]host[:port][/db], rediss:// for TLS). Default: the REDIS_URL " +
      "environment variable; without either, an in-memory store that lives only for this one run."
  ),
  Options.optional
)

/** `--demo`: load the bundled demo snapshot first (reports then say so in their first and last line). */
export const demoOption = Options.boolean("demo").pipe(
  Options.withDescription(
    "Use the bundled demo snapshot (examples/data: a few hundred real OSV records, a KEV and an EPSS subset) " +
      "instead of synced data: it is synced into the store first, no network access. Reports say so in their " +
      "first and last line; the demo is not a complete advisory database."
  )
)

/** The line every report made from the demo snapshot starts and ends with. */
export const demoNotice = (advisories: number, ecosystems: number): string =>
  `DEMO DATA: this report uses the bundled demo snapshot (${advisories} advisories in ${ecosystems} ecosystems), ` +
  "not a synced advisory database; findings are incomplete."

/** `--snapshot DIR`: load a snapshot directory first. */
export const snapshotOption = Options.directory("snapshot", { exists: "yes" }).pipe(
  Options.withPseudoName("DIR"),
  Options.withDescription(
    "Sync a local mirror in the upstream layouts (DIR/osv/<Ecosystem>/all.zip + modified_id.csv, " +
      "DIR/osv/ecosystems.txt, DIR/kev/known_exploited_vulnerabilities.json, DIR/epss/epss_scores-current.csv.gz) " +
      "into the store before running."
  ),
  Options.optional
)

/** `--redis`, `--demo`, `--snapshot`: the options of every command that reads synced data. */
export const storeAndDataOptions = { redis: redisOption, demo: demoOption, snapshot: snapshotOption } as const

/** The store a command uses. */
export interface StoreChoice {
  readonly kind: "memory" | "redis"
  /** What `layerFromEnv` takes (`"memory"` forces the in-memory store). */
  readonly redisUrl: string
  /** Safe to print (password masked). */
  readonly display: string
}

/** `--redis` wins over `REDIS_URL`; neither gives the in-memory store. */
export const chooseStore = (flag: Option.Option<string>): Effect.Effect<StoreChoice, CliExit> => {
  const fromEnv = process.env.REDIS_URL?.trim()
  const url = Option.isSome(flag) ? flag.value.trim() : fromEnv
  if (Option.isSome(flag) && url === "") return Effect.fail(usage("--redis needs a URL (redis://host:port)"))
  if (url === undefined || url === "" || url === "memory") {
    return Effect.succeed({ kind: "memory", redisUrl: "memory", display: "in-memory store" })
  }
  return Effect.succeed({ kind: "redis", redisUrl: url, display: redactUrl(url) })
}

/** Where advisories and enrichment come from. */
export type DataChoice =
  | { readonly _tag: "Upstream"; readonly ecosystems: Option.Option<ReadonlyArray<string>> }
  | {
    readonly _tag: "Snapshot"
    readonly dir: string
    readonly ecosystems: ReadonlyArray<string>
    /** The bundled demo snapshot (`--demo`), not a user's mirror. */
    readonly demo: boolean
  }

/** The upstream sources with their configured (or default) ecosystems. */
export const upstream: DataChoice = { _tag: "Upstream", ecosystems: Option.none() }

const readSnapshotEcosystems = (dir: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(`${dir}/osv/ecosystems.txt`)).pipe(
    Effect.map((text) => text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))),
    Effect.mapError(() => usage(`${dir} is not a snapshot directory: ${dir}/osv/ecosystems.txt cannot be read`))
  )

/**
 * Resolves `--ecosystem` values against the known spellings (case and aliases ignored: `pypi`,
 * `cargo` → `PyPI`, `crates.io`). A snapshot knows exactly what it holds, so an unknown name is a
 * usage error there; upstream has more ecosystems than the defaults, so unknown names pass as typed.
 */
const resolveEcosystems = (
  wanted: ReadonlyArray<string>,
  known: ReadonlyArray<string>,
  strict: boolean
): Effect.Effect<ReadonlyArray<string>, CliExit> =>
  Effect.forEach(wanted, (name) => {
    const match = known.find((k) =>
      k.toLowerCase() === name.trim().toLowerCase() ||
      PackageKey.normalizeEcosystem(k) === PackageKey.normalizeEcosystem(name)
    )
    if (match !== undefined) return Effect.succeed(match)
    return strict
      ? Effect.fail(usage(`unknown ecosystem "${name}"; this snapshot has: ${known.join(", ")}`))
      : Effect.succeed(name.trim())
  }).pipe(Effect.map((list) => Array.from(new Set(list))))

/** The data for `--demo` / `--snapshot DIR` (none: upstream), narrowed to `ecosystems` when given. */
export const chooseData = (options: {
  readonly demo: boolean
  readonly snapshot: Option.Option<string>
  readonly ecosystems?: ReadonlyArray<string>
}): Effect.Effect<DataChoice, CliExit, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const wanted = options.ecosystems ?? []
    if (options.demo && Option.isSome(options.snapshot)) {
      return yield* usage("use either --demo or --snapshot DIR, not both")
    }
    const dir = options.demo ? Option.some(bundledSnapshotDir) : options.snapshot
    if (Option.isNone(dir)) {
      return {
        _tag: "Upstream",
        ecosystems: wanted.length === 0
          ? Option.none()
          : Option.some(yield* resolveEcosystems(wanted, OsvSource.defaultEcosystems, false))
      } as const
    }
    const available = yield* readSnapshotEcosystems(dir.value)
    const ecosystems = wanted.length === 0 ? available : yield* resolveEcosystems(wanted, available, true)
    return { _tag: "Snapshot", dir: dir.value, ecosystems, demo: options.demo } as const
  })

/** Whether the command syncs before it runs (`--demo`, `--snapshot`). */
export const isSnapshot = (data: DataChoice): data is Extract<DataChoice, { _tag: "Snapshot" }> =>
  data._tag === "Snapshot"

const fileUrl = (path: string) => pathToFileURL(path).href

/** The manager over the chosen store and data (`VulnerabilityManager.layerFromEnv` with overrides). */
export const managerLayer = (
  store: StoreChoice,
  data: DataChoice
): Layer.Layer<VulnerabilityManager.VulnerabilityManager, ConfigurationError> =>
  Node.layerFromEnv(
    data._tag === "Snapshot"
      ? {
        redisUrl: store.redisUrl,
        osv: { baseUrl: fileUrl(`${data.dir}/osv`), ecosystems: data.ecosystems },
        kev: { url: fileUrl(`${data.dir}/kev/known_exploited_vulnerabilities.json`) },
        epss: { bulkUrl: fileUrl(`${data.dir}/epss/epss_scores-current.csv.gz`) }
      }
      : {
        redisUrl: store.redisUrl,
        ...(Option.isSome(data.ecosystems) ? { osv: { ecosystems: data.ecosystems.value } } : {})
      }
  )

/**
 * `cannot reach the store at <url>: <reason>`: what failed (refused, unknown host, timeout, TLS,
 * auth) when the detail or a `probe` tells, else the detail without a repeated URL.
 */
export const unreachableMessage = (
  store: StoreChoice,
  detail: string | undefined,
  probe?: ConnectionFailure | undefined
): string => {
  const described = describeConnectionError(detail ?? "no answer")
  const reason = described.kind !== "Other" && described.kind !== "Closed"
    ? described.message
    : probe !== undefined
    ? probe.message
    : sanitizeForDisplay((detail ?? "no answer").replace(`${store.display}: `, "").replace(/\.$/, ""))
  return `cannot reach the store at ${store.display}: ${reason}`
}

/**
 * One plain TCP connection to the store's host and port, to tell why the store cannot be reached
 * when the driver only says "Connection is closed": refused, unknown host, unreachable or timed
 * out. `undefined` when the TCP connection succeeds (the failure is past TCP: TLS, auth, protocol).
 */
export const probeConnection = (redisUrl: string, timeoutMillis = 2_000): Effect.Effect<ConnectionFailure | undefined> =>
  Effect.async<ConnectionFailure | undefined>((resume) => {
    let url: URL
    try {
      url = new URL(redisUrl)
    } catch {
      return resume(Effect.succeed(undefined))
    }
    const host = url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1"
    const socket = Net.connect({ host, port: Number(url.port || 6379) })
    const done = (failure: ConnectionFailure | undefined) => {
      socket.destroy()
      resume(Effect.succeed(failure))
    }
    socket.setTimeout(timeoutMillis, () => done(describeConnectionError({ code: "ETIMEDOUT", message: "timed out" })))
    socket.once("error", (error) => done(describeConnectionError(error)))
    socket.once("connect", () => done(undefined))
    return Effect.sync(() => socket.destroy())
  })

/**
 * The store's health, failing with exit 3 when it cannot be reached (the health check itself
 * never fails, so this is quick and prints no retry noise).
 */
export const requireReachable = (store: StoreChoice) =>
  Effect.flatMap(VulnerabilityManager.VulnerabilityManager, (manager) => manager.healthCheck).pipe(
    Effect.flatMap((health) =>
      health.store.status === "Unavailable"
        ? Effect.flatMap(
          store.kind === "redis" ? probeConnection(store.redisUrl) : Effect.succeed(undefined),
          (probe) => Effect.fail(unavailable(unreachableMessage(store, health.store.detail, probe)))
        )
        : Effect.succeed(health)
    )
  )

/**
 * `requireReachable`, and the store must hold advisories: querying an empty store would report
 * "no findings" for everything, which a CI gate must never mistake for a clean result.
 */
export const requireData = (store: StoreChoice) =>
  Effect.flatMap(requireReachable(store), (health) => {
    if (health.store.advisoryCount > 0) return Effect.succeed(health)
    return Effect.fail(
      store.kind === "memory"
        ? usage(
          "the in-memory store is empty (it lives only for one run): add --demo to try the bundled demo snapshot, " +
            "use --redis URL or REDIS_URL after `vulnera sync`, or try `vulnera demo`"
        )
        : usage(`the store at ${store.display} holds no advisories: run \`vulnera sync\` first (or add --demo)`)
    )
  })

/**
 * Runs `body` with the manager over the store and data chosen by `--redis`, `--demo` and
 * `--snapshot` (OSV narrowed to `ecosystems` when given).
 */
export const withManager = <A, E, R>(
  args: { readonly redis: Option.Option<string>; readonly demo: boolean; readonly snapshot: Option.Option<string> },
  body: (store: StoreChoice, data: DataChoice) => Effect.Effect<A, E, R>,
  ecosystems?: ReadonlyArray<string>
): Effect.Effect<
  A,
  E | CliExit | ConfigurationError,
  Exclude<R, VulnerabilityManager.VulnerabilityManager> | FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const store = yield* chooseStore(args.redis)
    const data = yield* chooseData({ demo: args.demo, snapshot: args.snapshot, ...(ecosystems ? { ecosystems } : {}) })
    return yield* body(store, data).pipe(Effect.provide(managerLayer(store, data)))
  })
