/**
 * Ignore files: vulnera.toml and osv-scanner.toml, matching by id or alias and package, expiry on
 * a fixed clock, and typed errors naming the file for everything that would otherwise ignore more
 * (or less) than written.
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as IgnoreList from "../src/IgnoreList.js"

const parsed = (text: string, file = "vulnera.toml") => Either.getOrThrow(IgnoreList.parse(text, file))
const failure = (text: string, file = "vulnera.toml") => Either.flip(IgnoreList.parse(text, file)).pipe(Either.getOrThrow)

const lodash = { ecosystem: "npm", name: "lodash" }
const finding = { id: "GHSA-35jh-r3h4-6jhm", aliases: ["CVE-2021-23337"] }

describe("IgnoreList", () => {
  it("vulnera.toml: id or alias, optional package (any spelling), reason, until as a TOML date or a string", () => {
    const list = parsed(`
[[ignore]]
id = "CVE-2021-23337"
package = "lodash"
reason = "template is never called with user input"
until = 2026-06-30

[[ignore]]
id = "GHSA-xxxx-yyyy-zzzz"
until = "2026-01-01T12:00:00Z"
`)
    expect(list.rules).toEqual([
      { id: "CVE-2021-23337", package: "lodash", reason: "template is never called with user input", until: new Date("2026-06-30T00:00:00Z"), file: "vulnera.toml" },
      { id: "GHSA-xxxx-yyyy-zzzz", package: null, reason: null, until: new Date("2026-01-01T12:00:00Z"), file: "vulnera.toml" }
    ])
    const before = new Date("2026-06-29T23:59:59Z")
    expect(IgnoreList.find(list, finding, lodash, before)?.reason).toBe("template is never called with user input")
    expect(IgnoreList.find(list, { id: "ghsa-35jh-r3h4-6jhm", aliases: ["cve-2021-23337"] }, lodash, before)).toBeDefined()
    // Another package with the same advisory is not ignored.
    expect(IgnoreList.find(list, finding, { ecosystem: "npm", name: "lodash-es" }, before)).toBeUndefined()
    // PyPI names match by PEP 503.
    const pypi = parsed(`[[ignore]]\nid = "PYSEC-1"\npackage = "Jinja2"\n`)
    expect(IgnoreList.find(pypi, { id: "PYSEC-1", aliases: [] }, { ecosystem: "PyPI", name: "jinja2" }, before)).toBeDefined()
  })

  it("expiry: from `until` on, the entry stops ignoring and is reported as expired", () => {
    const list = parsed(`[[ignore]]\nid = "GHSA-35jh-r3h4-6jhm"\nreason = "accepted"\nuntil = 2026-06-30\n`)
    const at = new Date("2026-06-30T00:00:00Z")
    expect(IgnoreList.find(list, finding, lodash, new Date(at.getTime() - 1))).toBeDefined()
    expect(IgnoreList.expired(list, new Date(at.getTime() - 1))).toEqual([])
    expect(IgnoreList.find(list, finding, lodash, at)).toBeUndefined()
    expect(IgnoreList.expired(list, at).map((r) => r.id)).toEqual(["GHSA-35jh-r3h4-6jhm"])
  })

  it("osv-scanner.toml: [[IgnoredVulns]] id, ignoreUntil, reason; its other tables are left alone", () => {
    const list = parsed(`
GoVersionOverride = "1.21.0"

[[IgnoredVulns]]
id = "GO-2022-0968"
ignoreUntil = 2022-11-09
reason = "No ssh servers are connected to or hosted in Go lang"

[[IgnoredVulns]]
id = "GO-2022-1059"

[[PackageOverrides]]
name = "lib"
ecosystem = "Go"
ignore = true
`, "project/osv-scanner.toml")
    expect(list.rules.map((r) => [r.id, r.until?.toISOString() ?? null, r.reason, r.package])).toEqual([
      ["GO-2022-0968", "2022-11-09T00:00:00.000Z", "No ssh servers are connected to or hosted in Go lang", null],
      ["GO-2022-1059", null, null, null]
    ])
  })

  it("bad files are typed errors naming the file and, for TOML errors, the line", () => {
    const syntax = failure(`[[ignore]]\nid = "A"\nreason = "unterminated\n`)
    expect(syntax._tag).toBe("IgnoreFileError")
    expect(syntax.file).toBe("vulnera.toml")
    expect(syntax.line).toBe(3)
    expect(syntax.message).toMatch(/^vulnera\.toml:3: not valid TOML/)
    expect(failure(`[[ignore]]\nid = "A"\nuntill = 2026-01-01\n`).detail).toContain(`unknown key "untill"`)
    expect(failure(`[[ignore]]\nreason = "no id"\n`).detail).toContain(`"id" must be a non-empty string`)
    expect(failure(`[[ignore]]\nid = "A"\nuntil = "next tuesday"\n`).detail).toContain(`"until" must be a date`)
    expect(failure(`[[ignores]]\nid = "A"\n`).detail).toContain(`unknown key "ignores"`)
    expect(failure(`ignore = "A"\n`).detail).toContain("array of tables")
    expect(failure(`[[IgnoredVulns]]\nid = "A"\nignoreUntil = 12\n`, "osv-scanner.toml").detail).toContain(`"ignoreUntil" must be a date`)
  })

  it.effect("load reads and merges files; a missing file is an IgnoreFileError naming it", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "vulnera-ignore-"))
      const a = join(dir, "vulnera.toml")
      const b = join(dir, "osv-scanner.toml")
      writeFileSync(a, `[[ignore]]\nid = "A"\n`)
      writeFileSync(b, `[[IgnoredVulns]]\nid = "B"\n`)
      const list = yield* IgnoreList.load([a, b])
      expect(list.rules.map((r) => [r.id, r.file])).toEqual([["A", a], ["B", b]])
      expect(list.files).toEqual([a, b])
      const missing = yield* Effect.flip(IgnoreList.load([join(dir, "nope.toml")]))
      expect(missing.file).toBe(join(dir, "nope.toml"))
      expect(missing.detail).toContain("cannot read")
      rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeContext.layer)))
})
