/**
 * What every command shares: which store (`--redis URL` or `--store DIR`, else `REDIS_URL`, else
 * `VULNERA__STORE__PATH`, else LMDB in the user cache directory; the in-memory store for
 * `--demo`/`--snapshot` runs that name no store), which data (upstream URLs, or a snapshot
 * directory in the upstream layouts read through `file://` URLs), the manager layer built from
 * both, and the checks run before a command reads the store. The options themselves are in
 * `options.ts`.
 */
import { FileSystem } from "@effect/platform"
import { Config, Effect, Layer, Option } from "effect"
import * as Net from "node:net"
import { cacheRoot } from "./cacheRoot.js"
import { isAbsolute, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { ConfigurationError } from "../Errors.js"
import { redactUrl } from "../internal/config.js"
import { type ConnectionFailure, describeConnectionError } from "../internal/connectionError.js"
import { sanitizeForDisplay } from "../internal/sanitize.js"
import * as OsvSource from "../OsvSource.js"
import * as PackageKey from "../PackageKey.js"
import * as VulnerabilityManager from "../VulnerabilityManager.js"
import { type CliExit, unavailable, usage } from "./failure.js"
import * as Platform from "./platform.js"

/** The bundled offline snapshot (`examples/data`), two levels above both `src/cli` and `dist/cli`. */
export const bundledSnapshotDir = fileURLToPath(new URL("../../examples/data", import.meta.url))

/** A path as printed: relative to the working directory when it is below it. */
export const displayPath = (path: string): string => {
  const shown = relative(process.cwd(), path)
  return shown === "" || shown.startsWith("..") || isAbsolute(shown) ? path : shown
}

/** The line every report made from the demo snapshot starts and ends with. */
export const demoNotice = (advisories: number, ecosystems: number): string =>
  `DEMO DATA: this report uses the bundled demo snapshot (${advisories} advisories in ${ecosystems} ecosystems), ` +
  "not a synced advisory database; findings are incomplete."

/**
 * An environment variable read through Effect's `ConfigProvider` (tests can pass their own), trimmed;
 * `None` when unset or blank.
 */
const setting = (name: string): Effect.Effect<Option.Option<string>> =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.map((value) => value.trim())),
    Effect.map(Option.filter((value) => value !== "")),
    // A string setting cannot be malformed: only a broken ConfigProvider fails here, a defect.
    Effect.orDie
  )

/**
 * The default store's directory: `$XDG_CACHE_HOME/vulnera`, else `~/.cache/vulnera` (a relative
 * `XDG_CACHE_HOME` is ignored, as the XDG spec says).
 */
export const defaultStorePath: Effect.Effect<string> = Effect.map(
  setting("XDG_CACHE_HOME"),
  (xdg) => join(cacheRoot(Option.getOrUndefined(xdg)), "vulnera")
)

/** The store a command uses. */
export type StoreChoice =
  | {
    readonly kind: "memory"
    /** Safe to print. */
    readonly display: string
  }
  | {
    readonly kind: "redis"
    readonly redisUrl: string
    /** Safe to print (password masked). */
    readonly display: string
  }
  | {
    readonly kind: "lmdb"
    readonly path: string
    /** The path as printed. */
    readonly display: string
    /** The cache-directory default, not a path the user gave. */
    readonly isDefault: boolean
  }

const memoryStore: StoreChoice = { kind: "memory", display: "in-memory store" }
const redisStore = (url: string): StoreChoice => ({ kind: "redis", redisUrl: url, display: redactUrl(url) })
const lmdbStore = (path: string, isDefault: boolean): StoreChoice => {
  const absolute = resolve(path)
  return { kind: "lmdb", path: absolute, display: displayPath(absolute), isDefault }
}

/**
 * First match wins: `--redis URL` or `--store DIR` (both is a usage error); `REDIS_URL`
 * (`memory` forces the in-memory store); `VULNERA__STORE__PATH`; then the in-memory store when
 * `ephemeral` (a `--demo`/`--snapshot` run must not write into the user's store), else LMDB in
 * the user cache directory.
 */
export const chooseStore = (
  flags: { readonly redis: Option.Option<string>; readonly store: Option.Option<string> },
  options: { readonly ephemeral: boolean } = { ephemeral: false }
): Effect.Effect<StoreChoice, CliExit> => {
  if (Option.isSome(flags.redis) && Option.isSome(flags.store)) {
    return Effect.fail(usage("use either --redis URL or --store DIR, not both"))
  }
  if (Option.isSome(flags.redis)) {
    const url = flags.redis.value.trim()
    return url === "" ? Effect.fail(usage("--redis needs a URL (redis://host:port)")) : Effect.succeed(redisStore(url))
  }
  if (Option.isSome(flags.store)) {
    const path = flags.store.value.trim()
    return path === "" ? Effect.fail(usage("--store needs a directory")) : Effect.succeed(lmdbStore(path, false))
  }
  return Effect.gen(function*() {
    const url = yield* setting("REDIS_URL")
    if (Option.isSome(url)) return url.value === "memory" ? memoryStore : redisStore(url.value)
    const path = yield* setting("VULNERA__STORE__PATH")
    if (Option.isSome(path)) return lmdbStore(path.value, false)
    return options.ephemeral ? memoryStore : lmdbStore(yield* defaultStorePath, true)
  })
}

/** The store as a phrase: `the LMDB store at DIR`, `Redis at URL`, `the in-memory store`. */
export const describeStore = (store: StoreChoice): string =>
  store.kind === "lmdb"
    ? `the LMDB store at ${store.display}`
    : store.kind === "redis"
    ? `Redis at ${store.display}`
    : "the in-memory store"

/**
 * Said before a run whose store ends with it (on stderr, so JSON output stays clean): what is
 * synced now is not kept.
 */
export const ephemeralNotice =
  "note: this run uses the in-memory store: whatever it syncs is gone when it ends (use --store DIR or --redis URL " +
  "to keep it, or leave out --demo/--snapshot for the default store in the cache directory)"

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

/** The chosen store as `layerFromEnv` options (they win over the environment). */
const storeOverride = (store: StoreChoice) =>
  store.kind === "redis" ? { redisUrl: store.redisUrl } : store.kind === "lmdb" ? { storePath: store.path } : { redisUrl: "memory" }

/**
 * The manager over the chosen store and data (`VulnerabilityManager.layerFromEnv` with overrides),
 * on the CLI's platform (undici loaded only when a source downloads).
 */
export const managerLayer = (
  store: StoreChoice,
  data: DataChoice
): Layer.Layer<VulnerabilityManager.VulnerabilityManager, ConfigurationError> =>
  VulnerabilityManager.layerFromEnv(
    data._tag === "Snapshot"
      ? {
        ...storeOverride(store),
        osv: { baseUrl: fileUrl(`${data.dir}/osv`), ecosystems: data.ecosystems },
        kev: { url: fileUrl(`${data.dir}/kev/known_exploited_vulnerabilities.json`) },
        epss: { bulkUrl: fileUrl(`${data.dir}/epss/epss_scores-current.csv.gz`) }
      }
      : {
        ...storeOverride(store),
        ...(Option.isSome(data.ecosystems) ? { osv: { ecosystems: data.ecosystems.value } } : {})
      }
  ).pipe(Layer.provide(Platform.layer))

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
          "the in-memory store is empty (it lives only for one run): leave REDIS_URL=memory out to use the default " +
            "store after `vulnera sync`, add --demo to try the bundled demo snapshot, or try `vulnera demo`"
        )
        : usage(
          `${describeStore(store)} holds no advisories: run \`vulnera sync\` first (same store options), or add --demo`
        )
    )
  })

/**
 * Runs `body` with the manager over the store and data chosen by `--redis`, `--store`, `--demo`
 * and `--snapshot` (OSV narrowed to `ecosystems` when given).
 */
export const withManager = <A, E, R>(
  args: {
    readonly redis: Option.Option<string>
    readonly store: Option.Option<string>
    readonly demo: boolean
    readonly snapshot: Option.Option<string>
  },
  body: (store: StoreChoice, data: DataChoice) => Effect.Effect<A, E, R>,
  ecosystems?: ReadonlyArray<string>
): Effect.Effect<
  A,
  E | CliExit | ConfigurationError,
  Exclude<R, VulnerabilityManager.VulnerabilityManager> | FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const data = yield* chooseData({ demo: args.demo, snapshot: args.snapshot, ...(ecosystems ? { ecosystems } : {}) })
    const store = yield* chooseStore(args, { ephemeral: isSnapshot(data) })
    return yield* body(store, data).pipe(Effect.provide(managerLayer(store, data)))
  })
