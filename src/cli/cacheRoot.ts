/**
 * The user's cache directory, by one rule for everything the CLI keeps there (the default LMDB
 * store, the code cache): `$XDG_CACHE_HOME`, else `~/.cache`; a relative `XDG_CACHE_HOME` is
 * ignored, as the XDG spec says. Plain Node, no Effect: the bin entry's code cache needs it before
 * anything else is loaded.
 */
import { homedir } from "node:os"
import { isAbsolute, join } from "node:path"

/** The cache root for the value of `XDG_CACHE_HOME` (may throw when there is no home directory). */
export const cacheRoot = (xdg: string | undefined): string =>
  xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), ".cache")
