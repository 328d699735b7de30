/**
 * Manifest: every format on real files from other projects' public test suites (provenance in
 * test/fixtures/README.md), with the packages those suites expect; the failure classes of issue 10
 * (pip-compile hashes, empty pins, wildcards, includes, broken input, go.sum vs go.mod, yarn.lock);
 * credentials masked in everything echoed back; directory scans.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Manifest from "../src/Manifest.js"
import { sanitize } from "../src/internal/sanitize.js"

const fixtures = join(import.meta.dirname, "fixtures", "manifests")
const fixture = (path: string) => join(fixtures, path)

/** `ecosystem name@version Lline` for each dependency, the shape the expectations below are written in. */
const listed = (file: Manifest.ManifestFile) =>
  file.dependencies.map((d) => `${d.ecosystem} ${d.name}@${d.version}${d.line === undefined ? "" : ` L${d.line}`}`)

const parseFixture = (format: Manifest.Format, path: string) => Manifest.parseFile(fixture(path), { format })

const tempDir = () => mkdtempSync(join(tmpdir(), "vulnera-manifest-"))

interface Case {
  readonly format: Manifest.Format
  readonly file: string
  /** The source suite's expected packages, as `ecosystem name@version Lline` (lines where the format has them). */
  readonly expected: ReadonlyArray<string>
  /** Reasons of the entries deliberately not checked. */
  readonly skipped?: ReadonlyArray<string>
}

/**
 * Real files. Expectations are the source suites' own; where this library deliberately differs
 * (a git/path/workspace package is skipped with a reason instead of reported with no or a non-registry
 * version), the `skipped` column says so and test/fixtures/README.md notes it.
 */
const cases: ReadonlyArray<Case> = [
  // osv-scanner pkg/lockfile/fixtures/yarn + parse-yarn-lock-v1/v2_test.go (lines from their Line.Start)
  {
    format: "yarn",
    file: "yarn/with-aliases.v1.lock",
    expected: ["npm ansi-regex@5.0.1 L5", "npm ansi-regex@6.0.1 L10", "npm @babel/helper-validator-identifier@7.22.20 L15"]
  },
  {
    format: "yarn",
    file: "yarn/with-aliases.v2.lock",
    expected: ["npm ansi-regex@5.0.1 L8", "npm ansi-regex@6.0.1 L15", "npm @babel/helper-validator-identifier@7.22.20 L22"],
    skipped: ["workspace package"]
  },
  {
    format: "yarn",
    file: "yarn/with-build-string.v1.lock",
    expected: ["npm tslib@2.6.2 L10"],
    skipped: ["not from the registry"]
  },
  // osv-scalibr extractor/filesystem/language/javascript/yarnlock/testdata
  { format: "yarn", file: "yarn/exclude-root.v2.lock", expected: ["npm ansi-regex@6.1.0 L8"], skipped: ["workspace package"] },
  // osv-scanner pkg/lockfile/fixtures/pnpm + parse-pnpm-lock(_v9)_test.go
  {
    format: "pnpm",
    file: "pnpm/exotic.yaml",
    expected: [
      "npm foo@1.0.0 L10",
      "npm @foo/bar@1.0.0 L11",
      "npm foo@1.1.0 L12",
      "npm @foo/bar@1.1.0 L13",
      "npm foo@1.2.0 L15",
      "npm foo@1.3.0 L16",
      "npm foo@1.4.0 L18"
    ],
    skipped: ["not from the registry", "not from the registry", "not from the registry"]
  },
  { format: "pnpm", file: "pnpm/scoped-packages-v6-lockfile.yaml", expected: ["npm @typescript-eslint/types@5.57.1 L10"] },
  { format: "pnpm", file: "pnpm/peer-dependencies.v9.yaml", expected: ["npm acorn-jsx@5.3.2 L17", "npm acorn@8.11.3 L22"] },
  {
    format: "pnpm",
    file: "pnpm/multiple-versions.v9.yaml",
    expected: ["npm aws-sdk@2.1692.0 L20", "npm uuid@8.0.0 L24", "npm uuid@8.3.2 L28"]
  },
  // osv-scalibr extractor/filesystem/language/javascript/bunlock/testdata + bunlock_test.go
  {
    format: "bun",
    file: "bun/workspaces.bun.lock",
    expected: ["npm has-flag@4.0.0 L26", "npm ms@2.1.3 L28", "npm supports-color@7.2.0 L32", "npm wrappy@1.0.2 L34"],
    skipped: ["workspace package"]
  },
  {
    format: "bun",
    file: "bun/files.bun.lock",
    expected: ["npm lodash@1.3.1 L29"],
    skipped: Array(5).fill("not from the registry")
  },
  // osv-scalibr extractor/filesystem/language/python/requirements/testdata + requirements_test.go
  {
    format: "requirements",
    file: "requirements/per_req_options.txt",
    expected: [
      "PyPI foo1@1.0 L1",
      "PyPI foo2@1.0 L3",
      "PyPI foo3@1.0 L5",
      "PyPI foo4@1.0 L7",
      "PyPI foo5@1.0 L9",
      "PyPI foo6@1.0 L11",
      "PyPI foo8@1.0 L15",
      "PyPI foo9@1.0 L17",
      "PyPI foo11@1.0 L22",
      "PyPI foo12@1.0 L24",
      "PyPI foo13@1.0 L26",
      "PyPI foo14@1.0 L28"
    ],
    // foo7: pip itself rejects the line (text between the pin and the options); osv-scalibr keeps a
    // garbled version. foo10 and foo15 are empty pins, which osv-scalibr also drops.
    skipped: ["not a valid PEP 440 version", "empty pin (no version after ==)", "empty pin (no version after ==)"]
  },
  {
    format: "requirements",
    file: "requirements/env_var.txt",
    expected: ["PyPI asdf@1.2 L1", "PyPI another@1.0 L3"],
    skipped: ["version is an unexpanded environment variable"]
  },
  { format: "requirements", file: "requirements/multiline_and_comments.txt", expected: ["PyPI pkgA@1.0 L3", "PyPI pkgB@2.0 L7"] },
  {
    format: "requirements",
    file: "requirements/loop.txt",
    expected: [],
    skipped: ["already read (an include cycle or a repeated include)"]
  },
  // osv-scanner pkg/lockfile/fixtures/pip/with-hash.txt + parse-requirements-txt_test.go
  {
    format: "requirements",
    file: "requirements/with-hash.txt",
    expected: ["PyPI boto3@1.26.121 L1", "PyPI foo@1.0.0 L2", "PyPI FooProject@1.2 L6"]
  },
  // osv-scanner pkg/lockfile/fixtures/poetry + osv-scalibr poetrylock/testdata
  {
    format: "poetry",
    file: "poetry/multiple-packages.v2.lock",
    expected: [
      "PyPI async-timeout@5.0.1 L3",
      "PyPI factory-boy@3.3.1 L16",
      "PyPI faker@33.3.0 L35",
      "PyPI proto-plus@1.22.0 L51",
      "PyPI protobuf@4.25.5 L69",
      "PyPI python-dateutil@2.9.0.post0 L82",
      "PyPI redis@5.2.1 L97",
      "PyPI six@1.17.0 L117",
      "PyPI typing-extensions@4.12.2 L129",
      "PyPI urllib3@2.3.0 L141"
    ]
  },
  { format: "poetry", file: "poetry/names-outside-package-block.lock", expected: ["PyPI first-pkg@1.0.0 L3", "PyPI second-pkg@2.0.0 L15"] },
  // osv-scanner pkg/lockfile/fixtures/pdm/git-dependency.toml (osv-scanner reports toml with its commit)
  { format: "pdm", file: "pdm/git-dependency.pdm.lock", expected: [], skipped: ["a git dependency, not from an index"] },
  // osv-scanner pkg/lockfile/fixtures/go + parse-go-lock_test.go (versions keep Go's "v")
  { format: "gomod", file: "gomod/replace-no-version.mod", expected: ["Go example.com/fork/net@v1.4.5 L7"] },
  { format: "gomod", file: "gomod/replace-many.mod", expected: [] },
  {
    format: "gomod",
    file: "gomod/with-path-major.mod",
    expected: [],
    skipped: ["not a module version (a branch or query Go has not resolved yet)"]
  },
  // osv-scalibr gemfilelock/testdata + osv-scanner bundler fixtures
  { format: "gemfile", file: "gemfile/source-section-at-end.Gemfile.lock", expected: ["RubyGems ast@2.4.2 L16"] },
  {
    format: "gemfile",
    file: "gemfile/has-git-gem.lock",
    expected: ["RubyGems concurrent-ruby@1.1.7 L22", "RubyGems rack@2.2.3 L23", "RubyGems transproc@1.1.1 L24"],
    skipped: ["from a GIT source, not rubygems", "from a GIT source, not rubygems"]
  },
  // osv-scanner pkg/lockfile/fixtures/nuget + parse-nuget-lock-v1_test.go
  {
    format: "nuget",
    file: "nuget/one-framework-two-packages.v1.json",
    expected: ["NuGet Test.Core@6.0.5 L5", "NuGet Test.System@0.13.0-beta4 L11"]
  },
  {
    format: "nuget",
    file: "nuget/two-frameworks-mixed-packages.v1.json",
    expected: ["NuGet Test.Core@6.0.5 L5", "NuGet Test.System@0.13.0-beta4 L11", "NuGet Test.System@2.15.0 L28"]
  },
  {
    format: "nuget",
    file: "nuget/two-frameworks-different-packages.packages.lock.json",
    expected: ["NuGet Test.Core@6.0.5 L5", "NuGet Test.System@0.13.0-beta4 L16"],
    skipped: ["a project reference", "a project reference"]
  },
  // osv-scanner pkg/lockfile/fixtures/composer/one-package
  { format: "composer", file: "composer/one-package.composer.lock", expected: ["Packagist brick/math@0.12.1 L9"] },
  // osv-scalibr extractor/filesystem/language/java/pomxml/testdata + pomxml_test.go
  {
    format: "maven",
    file: "maven/interpolate-drop.xml",
    expected: ["Maven com.example:actual-artifact@1.0.0 L11"],
    skipped: ["groupId or artifactId not resolvable in this file"]
  },
  { format: "maven", file: "maven/profiles.xml", expected: ["Maven org.profile:profile-dep@1.2.3 L15"] },
  // osv-scalibr keeps only the first of two declarations; both are reported here (Maven warns and
  // uses one of them, and which one depends on the Maven version: false positives over false negatives).
  { format: "maven", file: "maven/multi-version.xml", expected: ["Maven abc:example.com@1.0.0 L8", "Maven abc:example.com@1.1.1 L13"] },
  // osv-scalibr extractor/filesystem/language/java/gradlelockfile/testdata
  { format: "gradle", file: "gradle/only-comments.gradle.lockfile", expected: [] },
  // osv-scalibr extractor/filesystem/language/golang/gomod/testdata
  { format: "gomod", file: "gomod/toolchain.mod", expected: ["Go github.com/BurntSushi/toml@v1.0.0 L8"] },
  {
    format: "gomod",
    file: "gomod/indirect-after-1.16.mod",
    expected: ["Go github.com/sirupsen/logrus@v1.9.3 L5", "Go golang.org/x/sys@v0.0.0-20220715151400-c0bba94af5f8 L7"]
  },
  // osv-scalibr extractor/filesystem/language/python/pipfilelock/testdata/minified.json
  { format: "pipenv", file: "pipenv/minified.Pipfile.lock", expected: ["PyPI markupsafe@2.1.1 L1"] },
  // rustsec/rustsec cargo-lock/tests/examples: the [[package]] tables Cargo wrote; [[patch.unused]] is not built
  {
    format: "cargo",
    file: "cargo/git-ref.Cargo.lock",
    expected: ["crates.io foo@0.0.0 L7", "crates.io branch@0.0.0 L22"],
    skipped: ["a git dependency"]
  },
  {
    format: "cargo",
    file: "cargo/two_versions_same_registry.Cargo.lock",
    expected: ["crates.io bytes@0.6.0 L5", "crates.io bytes@1.2.1 L11", "crates.io bytestring@1.1.0 L17"],
    skipped: ["a local crate (workspace member or path dependency)"]
  },
  {
    format: "cargo",
    file: "cargo/unused-patch.Cargo.lock",
    expected: ["crates.io bitflags@2.10.0 L5"],
    skipped: ["a local crate (workspace member or path dependency)"]
  },
  // osv-scalibr extractor/filesystem/sbom/cdx/testdata + cdx_test.go (packages with a PURL)
  { format: "cyclonedx-json", file: "cyclonedx/minimal.cdx.json", expected: [] },
  {
    format: "cyclonedx-json",
    file: "cyclonedx/sbom-with-nested-comps.cdx.json",
    expected: ["generic openssl@1.1.1 L7", "crates.io rustls@0.23.13 L21"],
    skipped: ["no PURL"]
  },
  { format: "cyclonedx-xml", file: "cyclonedx/sbom.bom.xml", expected: ["generic openssl@1.1.1 L4"], skipped: ["no PURL"] },
  // osv-scalibr extractor/filesystem/sbom/spdx/testdata + spdx_test.go (packages with a PURL)
  { format: "spdx-json", file: "spdx/minimal.spdx.json", expected: [] },
  {
    format: "spdx-json",
    file: "spdx/external_refs.spdx.json",
    expected: ["generic some_company/flatbuffers@25.9.23 L30"],
    skipped: ["no PURL", "no PURL"]
  },
  { format: "spdx-json", file: "spdx/no_externalref.spdx.json", expected: [], skipped: ["no PURL", "no PURL"] }
]

describe("real files from other projects' test suites", () => {
  for (const c of cases) {
    it.effect(`${c.format}: ${c.file}`, () =>
      Effect.gen(function*() {
        const parsed = yield* parseFixture(c.format, c.file)
        expect(parsed.format).toBe(c.format)
        expect(listed(parsed)).toEqual(c.expected)
        expect(parsed.skipped.map((s) => s.reason)).toEqual(c.skipped ?? [])
      }))
  }

  it.effect("unreadable real files are errors naming the line, never zero packages", () =>
    Effect.gen(function*() {
      // osv-scalibr: bad-tuple.json5 fails ("could not extract 'wrappy-bad'"); invalid.lock is a gem line without a version.
      const badTuple = yield* Effect.flip(parseFixture("bun", "bun/bad-tuple.bun.lock"))
      expect(badTuple.reason).toBe("Invalid")
      expect(badTuple.line).toBe(13)
      expect(badTuple.message).toContain("wrappy-bad")
      const invalidGem = yield* Effect.flip(parseFixture("gemfile", "gemfile/invalid.Gemfile.lock"))
      expect(invalidGem.line).toBe(4)
      expect(invalidGem.message).toContain("invalid-name")
      // osv-scalibr: a go.sum its extractor must not use; here it is an error, not a Go package.
      const badSum = yield* Effect.flip(parseFixture("gosum", "gosum/indirect-1.23.sum"))
      expect(badSum.line).toBe(1)
      // osv-scalibr skips the bad lines and reports the two good ones; here the first bad line fails the
      // file, since a lockfile with garbage in it may have lost entries too.
      const badGradle = yield* Effect.flip(parseFixture("gradle", "gradle/with-bad-pkg.gradle.lockfile"))
      expect(badGradle.line).toBe(3)
    }))
})

describe("the failure classes of issue 10", () => {
  it.effect("pip-compile --generate-hashes layout, empty pin, wildcards, ${VAR}, ranges: only exact pins, each skip with its reason", () =>
    Effect.gen(function*() {
      const parsed = yield* Manifest.parse(
        [
          "#",
          "# This file is autogenerated by pip-compile with Python 3.12",
          "#",
          "certifi==2024.2.2 \\",
          "    --hash=sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f \\",
          "    --hash=sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1",
          "    # via requests",
          "foo== --hash=sha256:0000",
          "flask==1.0.*",
          "bar==${BAR_VERSION}",
          "requests>=2.0",
          "Jinja2[i18n] == 2.11.2 ; python_version >= '3.8'",
          "urllib3===1.26.4"
        ].join("\n"),
        join(tempDir(), "requirements.txt")
      )
      expect(listed(parsed)).toEqual(["PyPI certifi@2024.2.2 L4", "PyPI Jinja2@2.11.2 L12", "PyPI urllib3@1.26.4 L13"])
      expect(parsed.skipped.map((s) => [s.line, s.reason])).toEqual([
        [8, "empty pin (no version after ==)"],
        [9, "a wildcard, not an exact pin"],
        [10, "version is an unexpanded environment variable"],
        [11, "not an exact pin (a range)"]
      ])
    }))

  it.effect("-r and -c includes are read relative to the including file; constraints pin unpinned requirements; a missing include fails naming its line", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      mkdirSync(join(dir, "reqs"))
      writeFileSync(join(dir, "reqs", "base.txt"), "django==4.2.1\n-c ../constraints.txt\n")
      writeFileSync(join(dir, "constraints.txt"), "requests==2.31.0\nnot-required==9.9\n")
      writeFileSync(join(dir, "requirements.txt"), "-r reqs/base.txt\nrequests\n--requirement=reqs/base.txt\n")
      const parsed = yield* Manifest.parseFile(join(dir, "requirements.txt"))
      expect(parsed.dependencies).toEqual([
        { ecosystem: "PyPI", name: "django", version: "4.2.1", line: 1, file: join(dir, "reqs", "base.txt") },
        { ecosystem: "PyPI", name: "requests", version: "2.31.0", line: 1, file: join(dir, "constraints.txt") }
      ])
      expect(parsed.skipped.map((s) => [s.line, s.reason])).toEqual([[3, "already read (an include cycle or a repeated include)"]])

      writeFileSync(join(dir, "requirements-broken.txt"), "six==1.16.0\n-r missing.txt\n")
      const missing = yield* Effect.flip(Manifest.parseFile(join(dir, "requirements-broken.txt")))
      expect(missing.reason).toBe("Unreadable")
      expect(missing.line).toBe(2)
      expect(missing.message).toContain("missing.txt")
    }))

  it.effect("an invalid Cargo.lock is an error naming the line, not zero packages; a valid one lists crates.io crates", () =>
    Effect.gen(function*() {
      const broken = yield* Effect.flip(Manifest.parse('version = 3\n\n[[package]]\nname = "serde\nversion = "1.0.0"\n', "Cargo.lock"))
      expect(broken.reason).toBe("Invalid")
      expect(broken.line).toBe(4)
      const notALockfile = yield* Effect.flip(Manifest.parse('[dependencies]\nserde = "1"\n', "Cargo.lock"))
      expect(notALockfile.message).toContain("not a Cargo.lock")
      const parsed = yield* Manifest.parse(
        'version = 4\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n\n[[package]]\nname = "serde"\nversion = "1.0.210"\n' +
          'source = "registry+https://github.com/rust-lang/crates.io-index"\n\n[[package]]\nname = "wasi"\n' +
          'version = "0.11.0+wasi-snapshot-preview1"\nsource = "sparse+https://index.crates.io/"\n\n[[package]]\nname = "internal"\n' +
          'version = "2.0.0"\nsource = "registry+https://my.registry/index"\n',
        "Cargo.lock"
      )
      expect(listed(parsed)).toEqual(["crates.io serde@1.0.210 L7", "crates.io wasi@0.11.0+wasi-snapshot-preview1 L12"])
      expect(parsed.skipped.map((s) => s.reason)).toEqual(["a local crate (workspace member or path dependency)", "not from crates.io"])
    }))

  it.effect("a garbage go.sum line is an error naming the line; go.mod-only entries are skipped", () =>
    Effect.gen(function*() {
      const garbage = yield* Effect.flip(
        Manifest.parse("golang.org/x/text v0.3.8 h1:abc=\nthis is not a go.sum line\n", "go.sum")
      )
      expect(garbage.line).toBe(2)
      const parsed = yield* Manifest.parse(
        "golang.org/x/text v0.3.8 h1:abc=\ngolang.org/x/text v0.3.8/go.mod h1:def=\ngolang.org/x/text v0.3.0/go.mod h1:ghi=\n",
        "go.sum"
      )
      expect(listed(parsed)).toEqual(["Go golang.org/x/text@v0.3.8 L1"])
      expect(parsed.skipped).toEqual([{ line: 3, text: "golang.org/x/text@v0.3.0", reason: "only its go.mod is in the build graph" }])
    }))

  it.effect("go.mod is preferred over go.sum: parseFile(go.sum) reads the go.mod beside it, scanDirectory leaves go.sum out", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      writeFileSync(
        join(dir, "go.mod"),
        "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/text v0.3.8 // indirect\n\tgithub.com/pkg/errors v0.9.1\n)\n\n" +
          "exclude golang.org/x/net v0.1.0\nrequire golang.org/x/net v0.1.0\nreplace github.com/pkg/errors => ../errors\n"
      )
      writeFileSync(join(dir, "go.sum"), "golang.org/x/text v0.3.0 h1:abc=\ngolang.org/x/text v0.3.8 h1:def=\n")
      const viaSum = yield* Manifest.parseFile(join(dir, "go.sum"))
      expect(viaSum.file).toBe(join(dir, "go.mod"))
      expect(viaSum.format).toBe("gomod")
      expect(listed(viaSum)).toEqual(["Go golang.org/x/text@v0.3.8 L6"])
      expect(viaSum.skipped.map((s) => [s.line, s.reason])).toEqual([
        [7, "replaced by a local directory (../errors)"],
        [11, "this version is excluded (Go selects a later one, unknown without the module graph)"]
      ])
      const scanned = yield* Manifest.scanDirectory(dir)
      expect(scanned.map((f) => f.format)).toEqual(["gomod"])
      // Without a go.mod, go.sum is the fallback.
      const sumOnly = tempDir()
      writeFileSync(join(sumOnly, "go.sum"), "golang.org/x/text v0.3.8 h1:def=\n")
      expect((yield* Manifest.scanDirectory(sumOnly)).map((f) => f.format)).toEqual(["gosum"])
    }))

  it.effect("yarn.lock is read as a yarn lockfile, not as a PURL list", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      writeFileSync(
        join(dir, "yarn.lock"),
        '# yarn lockfile v1\n\n\nlodash@^4.17.20:\n  version "4.17.20"\n  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz"\n'
      )
      const parsed = yield* Manifest.parseFile(join(dir, "yarn.lock"))
      expect(parsed.format).toBe("yarn")
      expect(listed(parsed)).toEqual(["npm lodash@4.17.20 L4"])
    }))

  it.effect("credentials and control characters are masked in skipped lines and errors", () =>
    Effect.gen(function*() {
      const parsed = yield* Manifest.parse(
        "--index-url https://user:secret@pypi.example.com/simple\n" +
          "--extra-index-url https://mirror.example.com/simple?access_token=tok123&x=1\n" +
          "pkg @ https://ghp_abcdef@github.com/o/r/archive/main.zip\n" +
          "evil\u001b[31m>=1\n",
        join(tempDir(), "requirements.txt")
      )
      const text = JSON.stringify(parsed.skipped)
      expect(text).not.toContain("secret")
      expect(text).not.toContain("tok123")
      expect(text).not.toContain("ghp_abcdef")
      expect(text).not.toContain("\u001b")
      expect(parsed.skipped.map((s) => s.text)).toEqual([
        "--index-url https://<redacted>:<redacted>@pypi.example.com/simple",
        "--extra-index-url https://mirror.example.com/simple?access_token=<redacted>&x=1",
        "pkg @ https://<redacted>@github.com/o/r/archive/main.zip",
        "evil\\x1b[31m>=1"
      ])
      const error = yield* Effect.flip(Manifest.parse("pkg:npm/a@1\nhttps://u:hunter2@host/\u0007\n", "list.purls"))
      expect(error.message).not.toContain("hunter2")
      expect(error.message).not.toContain("\u0007")
      expect(error.line).toBe(2)
    }))

  it.effect("a file of no known format is 'unsupported format', listing the supported ones", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Manifest.parse("just some text\n", "notes.txt"))
      expect(error.reason).toBe("UnsupportedFormat")
      for (const name of ["yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "go.mod", "pom.xml", "CycloneDX", "SPDX"]) {
        expect(error.detail).toContain(name)
      }
    }))
})

describe("the other formats", () => {
  it.effect("npm lockfiles keep their behaviour, now with lines; truncated JSON is an error naming the line", () =>
    Effect.gen(function*() {
      const parsed = yield* Manifest.parse(
        '{\n  "lockfileVersion": 3,\n  "packages": {\n    "": { "name": "app" },\n    "node_modules/qs": { "version": "6.7.0" }\n  }\n}\n',
        "package-lock.json"
      )
      expect(listed(parsed)).toEqual(["npm qs@6.7.0 L5"])
      const truncated = yield* Effect.flip(Manifest.parse('{\n  "lockfileVersion": 3,\n  "packages": {\n', "package-lock.json"))
      expect(truncated.reason).toBe("Invalid")
      expect(truncated.line).toBe(4)
    }))

  it.effect("uv.lock, pylock.toml and Pipfile.lock: index packages only", () =>
    Effect.gen(function*() {
      const uv = yield* Manifest.parse(
        'version = 1\nrequires-python = ">=3.12"\n\n[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n\n' +
          '[[package]]\nname = "idna"\nversion = "3.7"\nsource = { registry = "https://pypi.org/simple" }\n\n' +
          '[[package]]\nname = "fork"\nversion = "1.0"\nsource = { git = "https://github.com/o/fork?rev=main#abc" }\n',
        "uv.lock"
      )
      expect(listed(uv)).toEqual(["PyPI idna@3.7 L9"])
      expect(uv.skipped.map((s) => s.reason)).toEqual(["a editable source, not a registry", "a git source, not a registry"])
      const pylock = yield* Manifest.parse(
        'lock-version = "1.0"\ncreated-by = "pip"\n\n[[packages]]\nname = "attrs"\nversion = "25.1.0"\nindex = "https://pypi.org/simple"\n\n' +
          '[[packages]]\nname = "local"\ndirectory = { path = "." }\n',
        "pylock.toml"
      )
      expect(listed(pylock)).toEqual(["PyPI attrs@25.1.0 L4"])
      const pipfile = yield* Manifest.parse(
        JSON.stringify({ _meta: { hash: {} }, default: { requests: { version: "==2.31.0" }, fork: { git: "https://x/y.git" } }, develop: { pytest: { version: "==8.0.0" } } }, null, 2),
        "Pipfile.lock"
      )
      expect(listed(pipfile)).toEqual(["PyPI requests@2.31.0 L6", "PyPI pytest@8.0.0 L14"])
    }))

  it.effect("gradle.lockfile, mix.lock, pubspec.lock: line formats and YAML; a garbage line is an error", () =>
    Effect.gen(function*() {
      const gradle = yield* Manifest.parse(
        "# This is a Gradle generated file for dependency locking.\norg.springframework:spring-core:5.3.20=compileClasspath,runtimeClasspath\nempty=annotationProcessor\n",
        "gradle.lockfile"
      )
      expect(listed(gradle)).toEqual(["Maven org.springframework:spring-core@5.3.20 L2"])
      const badGradle = yield* Effect.flip(Manifest.parse("org.example:broken\n", "gradle.lockfile"))
      expect(badGradle.line).toBe(1)
      const mix = yield* Manifest.parse(
        '%{\n  "plug": {:hex, :plug, "1.14.0", "abc", [:mix], [], "hexpm", "def"},\n  "phoenix_html": {:hex, :"phoenix_html", "3.3.1", "x", [:mix], [], "hexpm", "y"},\n' +
          '  "fork": {:git, "https://github.com/o/fork.git", "abc", []},\n}\n',
        "mix.lock"
      )
      expect(listed(mix)).toEqual(["Hex plug@1.14.0 L2", "Hex phoenix_html@3.3.1 L3"])
      expect(mix.skipped.map((s) => s.reason)).toEqual(["a git dependency, not from hex.pm"])
      // Older mix versions start the first entry on the `%{` line and close the map on the last one.
      const oldMix = yield* Manifest.parse(
        '%{"mime": {:hex, :mime, "1.2.0", "78", [], [], "hexpm"},\n  "poison": {:hex, :poison, "2.2.0", "4763", [], [], "hexpm"}}\n',
        "mix.lock"
      )
      expect(listed(oldMix)).toEqual(["Hex mime@1.2.0 L1", "Hex poison@2.2.0 L2"])
      const pub = yield* Manifest.parse(
        'packages:\n  collection:\n    dependency: transitive\n    description:\n      name: collection\n      url: "https://pub.dev"\n    source: hosted\n    version: "1.18.0"\n' +
          '  flutter:\n    dependency: "direct main"\n    description: flutter\n    source: sdk\n    version: "0.0.0"\nsdks:\n  dart: ">=3.0.0 <4.0.0"\n',
        "pubspec.lock"
      )
      expect(listed(pub)).toEqual(["Pub collection@1.18.0 L2"])
      expect(pub.skipped.map((s) => s.reason)).toEqual(["a sdk package, not from pub.dev"])
    }))

  it.effect("pom.xml: properties resolved in the file, dependencyManagement versions used, unresolvable versions and ranges skipped; invalid XML names the line", () =>
    Effect.gen(function*() {
      const pom = yield* Manifest.parse(
        [
          '<?xml version="1.0" encoding="UTF-8"?>',
          '<project xmlns="http://maven.apache.org/POM/4.0.0">',
          "  <groupId>com.example</groupId><artifactId>app</artifactId><version>1.0.0</version>",
          "  <properties>",
          "    <jackson.version>2.15.${jackson.patch}</jackson.version>",
          "    <jackson.patch>2</jackson.patch>",
          "  </properties>",
          "  <dependencyManagement><dependencies>",
          "    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version></dependency>",
          "  </dependencies></dependencyManagement>",
          "  <dependencies>",
          "    <dependency>",
          "      <groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId>",
          "      <version>${jackson.version}</version>",
          "    </dependency>",
          "    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>",
          "    <dependency><groupId>${project.groupId}</groupId><artifactId>lib</artifactId><version>${project.version}</version></dependency>",
          "    <dependency><groupId>junit</groupId><artifactId>junit</artifactId></dependency>",
          "    <dependency><groupId>a</groupId><artifactId>b</artifactId><version>${undefined.prop}</version></dependency>",
          "    <dependency><groupId>c</groupId><artifactId>d</artifactId><version>[1.0,2.0)</version></dependency>",
          "  </dependencies>",
          "</project>"
        ].join("\n"),
        "pom.xml"
      )
      expect(listed(pom)).toEqual([
        "Maven com.fasterxml.jackson.core:jackson-databind@2.15.2 L12",
        "Maven org.slf4j:slf4j-api@2.0.9 L16",
        "Maven com.example:lib@1.0.0 L17"
      ])
      expect(pom.skipped.map((s) => s.reason)).toEqual([
        "no version in this file (managed by a parent POM or an imported BOM)",
        "property ${undefined.prop} is not defined in this file",
        "a version range, not a version"
      ])
      const broken = yield* Effect.flip(Manifest.parse("<project>\n  <dependencies>\n</project>\n", "pom.xml"))
      expect(broken.reason).toBe("Invalid")
      expect(broken.line).toBe(3)
    }))

  it.effect("CycloneDX XML: predefined entities are decoded (`&amp;` in a PURL), DTD entities are never expanded", () =>
    Effect.gen(function*() {
      const bom = yield* Manifest.parse(
        [
          '<?xml version="1.0"?>',
          '<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
          '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>',
          "  <component><name>left-pad &b;</name><version>1.3.0</version><purl>pkg:npm/left-pad@1.3.0?a=1&amp;b=2</purl></component>",
          "  <component><name>x</name><version>1</version></component>",
          "</components></bom>"
        ].join("\n"),
        "bom.xml"
      )
      expect(bom.format).toBe("cyclonedx-xml")
      expect(bom.dependencies.map((d) => [d.purl, d.line])).toEqual([["pkg:npm/left-pad@1.3.0?a=1&b=2", 4]])
      expect(bom.skipped.map((s) => s.text)).toEqual(["x 1"])
    }))
})

describe("scanDirectory", () => {
  it.effect("finds every recognized file, skipping node_modules, vendor, target and dot-directories", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      for (const sub of ["web", "web/node_modules/x", "svc", ".git", "vendor", "target"]) mkdirSync(join(dir, sub), { recursive: true })
      const lock = JSON.stringify({ lockfileVersion: 3, packages: { "node_modules/qs": { version: "6.7.0" } } })
      writeFileSync(join(dir, "web", "package-lock.json"), lock)
      writeFileSync(join(dir, "web", "node_modules", "x", "package-lock.json"), lock)
      writeFileSync(join(dir, ".git", "requirements.txt"), "six==1.16.0\n")
      writeFileSync(join(dir, "vendor", "requirements.txt"), "six==1.16.0\n")
      writeFileSync(join(dir, "target", "Cargo.lock"), "version = 3\n")
      writeFileSync(join(dir, "svc", "requirements-dev.txt"), "six==1.16.0\n")
      writeFileSync(join(dir, "README.md"), "# not a manifest\n")
      const scanned = yield* Manifest.scanDirectory(dir)
      expect(scanned.map((f) => [f.file, f.format])).toEqual([
        [join(dir, "svc", "requirements-dev.txt"), "requirements"],
        [join(dir, "web", "package-lock.json"), "npm"]
      ])
      expect(Manifest.dependenciesOf(scanned).map((d) => `${d.file}:${d.line} ${d.name}`)).toEqual([
        `${join(dir, "svc", "requirements-dev.txt")}:1 six`,
        `${join(dir, "web", "package-lock.json")}:1 qs`
      ])
      // One unreadable file fails the scan, naming it.
      writeFileSync(join(dir, "svc", "Cargo.lock"), "[[package]\n")
      const error = yield* Effect.flip(Manifest.scanDirectory(dir))
      expect(error.file).toBe(join(dir, "svc", "Cargo.lock"))
    }))
})

describe("sanitize", () => {
  it("masks URL credentials and token-like parameters, escapes control characters, shortens", () => {
    expect(sanitize("https://user:secret@host/x")).toBe("https://<redacted>:<redacted>@host/x")
    expect(sanitize("see redis://:pw@127.0.0.1:6380/0 and https://tok@github.com")).toBe(
      "see redis://<redacted>:<redacted>@127.0.0.1:6380/0 and https://<redacted>@github.com"
    )
    expect(sanitize("git+ssh://git@github.com/o/r.git")).toBe("git+ssh://git@github.com/o/r.git")
    expect(sanitize("https://h/p?api_key=abc&page=2&sig=xyz")).toBe("https://h/p?api_key=<redacted>&page=2&sig=<redacted>")
    expect(sanitize("a\u001b[2Jb\r\n")).toBe("a\\x1b[2Jb\\x0d\\x0a")
    expect(sanitize("x".repeat(300))).toMatch(/^x{200}…\(300 chars\)$/)
  })
})
