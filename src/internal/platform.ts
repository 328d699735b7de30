/**
 * `@effect/platform`, loaded on first use. It is an optional peer dependency: only the sources
 * (which take `HttpClient` and `FileSystem` from the caller) and `IgnoreList.load` need it at run
 * time, and a caller that can provide those services has it installed. A program that only reads
 * and queries a store never loads it, so `vulnera-advisor` imports in a project that has only
 * `effect` (test/package.test.ts checks both the import graph and such an install).
 */
import type * as FileSystemModule from "@effect/platform/FileSystem"
import type * as HttpClientModule from "@effect/platform/HttpClient"
import type * as HttpClientRequestModule from "@effect/platform/HttpClientRequest"
import { Effect } from "effect"

/** The `@effect/platform` modules the library calls at run time. */
export interface PlatformModules {
  readonly FileSystem: typeof FileSystemModule
  readonly HttpClient: typeof HttpClientModule
  readonly HttpClientRequest: typeof HttpClientRequestModule
}

/**
 * The modules, imported once (Node caches the import). They are the application's own copy, so
 * the `HttpClient` and `FileSystem` tags are the ones its layers provide. Missing, it is a defect
 * saying what to install: nothing can have provided those services without the package.
 */
export const platform: Effect.Effect<PlatformModules> = Effect.tryPromise({
  try: async () => {
    const [FileSystem, HttpClient, HttpClientRequest] = await Promise.all([
      import("@effect/platform/FileSystem"),
      import("@effect/platform/HttpClient"),
      import("@effect/platform/HttpClientRequest")
    ])
    return { FileSystem, HttpClient, HttpClientRequest }
  },
  catch: (cause) =>
    new Error("vulnera-advisor: the sources and IgnoreList.load need the peer dependency @effect/platform (npm install @effect/platform)", {
      cause
    })
}).pipe(Effect.orDie)

/** The caller's `FileSystem` service. */
export const fileSystem: Effect.Effect<FileSystemModule.FileSystem, never, FileSystemModule.FileSystem> = Effect.flatMap(
  platform,
  (modules) => modules.FileSystem.FileSystem
)
