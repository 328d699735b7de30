/**
 * `vulnera ossindex <purl...>` (Sonatype OSS Index lookups through the store's cache) and
 * `vulnera invalidate-ossindex <purl...|--all>`.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { json, storeOptions } from "../options.js"

const purlsArg = Args.text({ name: "purl" }).pipe(
  Args.withDescription("A package URL with a version, e.g. pkg:npm/lodash@4.17.20, pkg:maven/log4j/log4j@1.2.17"),
  Args.repeated
)

const ossIndexConfig = { purls: purlsArg, json, ...storeOptions }

/** The arguments of `vulnera ossindex`, as parsed. */
export type OssIndexArgs = Command.Command.ParseConfig<typeof ossIndexConfig>

/** `vulnera ossindex` */
export const ossIndexCommand = Command.make("ossindex", ossIndexConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/ossindex.js")), (run) => run.runOssIndex(args))
).pipe(
  Command.withDescription(
    "Look PURLs up in Sonatype OSS Index, cache first (answers are cached in the store for " +
      "VULNERA__STORE__OSSINDEX_TTL_SECONDS, default 1 hour). Credentials: OSSINDEX_USER and OSSINDEX_TOKEN. Needs network " +
      "for PURLs not in the cache."
  )
)

const invalidateOssIndexConfig = {
    purls: purlsArg,
    all: Options.boolean("all").pipe(Options.withDescription("Drop every cached OSS Index answer.")),
    ...storeOptions
  }

/** The arguments of `vulnera invalidate-ossindex`, as parsed. */
export type InvalidateOssIndexArgs = Command.Command.ParseConfig<typeof invalidateOssIndexConfig>

/** `vulnera invalidate-ossindex` */
export const invalidateOssIndexCommand = Command.make("invalidate-ossindex", invalidateOssIndexConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/ossindex.js")), (run) => run.runInvalidateOssIndex(args))
).pipe(
  Command.withDescription(
    "Drop cached OSS Index answers for these PURLs (any spelling of the same PURL), or all of them with --all, so " +
      "the next `vulnera ossindex` asks OSS Index again."
  )
)

