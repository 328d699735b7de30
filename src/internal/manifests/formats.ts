/**
 * The manifest formats and the file names each is recognized by, apart from their parsers so the
 * CLI's option definitions (`scan --input-format`) load no parser. Re-exported by `Manifest`.
 */
/**
 * Every format this module reads, with the file names it recognizes.
 */
export const formats = {
  "npm": "package-lock.json, npm-shrinkwrap.json (lockfile v1-v3)",
  "yarn": "yarn.lock (classic and berry)",
  "pnpm": "pnpm-lock.yaml (v5-v9)",
  "bun": "bun.lock (text lockfile)",
  "requirements": "requirements*.txt, *.requirements.txt, constraints*.txt (pip)",
  "pipenv": "Pipfile.lock",
  "poetry": "poetry.lock",
  "uv": "uv.lock",
  "pdm": "pdm.lock",
  "pylock": "pylock.toml, pylock.*.toml (PEP 751)",
  "cargo": "Cargo.lock",
  "gomod": "go.mod",
  "gosum": "go.sum (only without a go.mod beside it)",
  "gemfile": "Gemfile.lock, gems.locked",
  "composer": "composer.lock",
  "maven": "pom.xml (versions declared in the file)",
  "gradle": "gradle.lockfile",
  "nuget": "packages.lock.json",
  "pubspec": "pubspec.lock",
  "mix": "mix.lock",
  "cyclonedx-json": "*.cdx.json, bom.json (CycloneDX JSON)",
  "cyclonedx-xml": "*.cdx.xml, bom.xml (CycloneDX XML)",
  "spdx-json": "*.spdx.json (SPDX 2.x JSON)",
  "purl": "a PURL list (one per line, # comments)"
} as const

/**
 * One of the supported formats.
 */
export type Format = keyof typeof formats

/**
 * The format names, for option parsers.
 */
export const formatNames = Object.keys(formats) as ReadonlyArray<Format>
