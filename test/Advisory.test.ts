import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Advisory from "../src/Advisory.js"
import * as AdvisorySource from "../src/AdvisorySource.js"
import { loadSampleAdvisories, sampleById, sampleLines } from "./utils/osvFixtures.js"

const decode = Schema.decodeUnknown(Advisory.Advisory)

describe("Advisory", () => {
  it.effect("decode → encode returns every real sample record unchanged (deep-equal)", () =>
    Effect.gen(function*() {
      const lines = sampleLines()
      expect(lines.length).toBeGreaterThanOrEqual(30)
      for (const line of lines) {
        const json = JSON.parse(line)
        const encoded = yield* Advisory.encode(yield* decode(json))
        expect(encoded).toStrictEqual(json)
        // Through JSON text as well (what the stores write and read).
        expect(JSON.parse(yield* Advisory.toJson(yield* Advisory.fromJson(line)))).toStrictEqual(json)
      }
    }))

  it.effect("accepts an affected entry without a package (GIT-only ranges, as PSF publishes them)", () =>
    Effect.gen(function*() {
      const psf = sampleById(loadSampleAdvisories(), "PSF-2007-1")
      expect(psf.affected?.length).toBeGreaterThan(0)
      expect(psf.affected?.every((a) => a.package === undefined)).toBe(true)
      expect(psf.affected?.[0]?.ranges?.[0]?.type).toBe("GIT")
      expect(Advisory.packages(psf)).toEqual([])
    }))

  it.effect("keeps unknown fields at every level", () =>
    Effect.gen(function*() {
      const json = {
        id: "GHSA-xtra-xtra-xtra",
        x_top: { nested: [1, 2, { deep: true }] },
        severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", x_sev: 1 }],
        affected: [
          {
            package: { ecosystem: "npm", name: "left-pad", x_pkg: "p" },
            ranges: [
              {
                type: "SEMVER",
                events: [{ introduced: "0", x_event: null }, { fixed: "1.3.0" }],
                x_range: ["r"]
              }
            ],
            x_affected: 42
          }
        ],
        references: [{ type: "WEB", url: "https://example.com", x_ref: "r" }],
        credits: [{ name: "someone", contact: ["mailto:a@example.com"], x_credit: false }],
        enrichment: { is_kev: true, x_enrichment: "e" }
      }
      const decoded = yield* decode(json)
      expect((decoded as Record<string, unknown>)["x_top"]).toEqual({ nested: [1, 2, { deep: true }] })
      expect((decoded.affected?.[0]?.package as Record<string, unknown>)["x_pkg"]).toBe("p")
      expect((decoded.affected?.[0]?.ranges?.[0]?.events[0] as Record<string, unknown>)["x_event"]).toBeNull()
      expect(yield* Advisory.encode(decoded)).toStrictEqual(json)
    }))

  it.effect("null optionals (as the Rust crate writes them) decode as absent", () =>
    Effect.gen(function*() {
      const decoded = yield* decode({
        id: "RUSTSEC-2099-0001",
        summary: null,
        withdrawn: null,
        aliases: null,
        database_specific: null,
        affected: [
          {
            package: { ecosystem: "crates.io", name: "demo", purl: null },
            severity: null,
            ranges: [{ type: "SEMVER", repo: null, events: [{ introduced: "0", fixed: null }] }],
            versions: null
          }
        ],
        enrichment: { epss_score: null, is_kev: null, cvss_v3_severity: null }
      })
      expect(Object.keys(decoded).sort()).toEqual(["affected", "enrichment", "id"])
      const affected = decoded.affected![0]!
      expect(Object.keys(affected).sort()).toEqual(["package", "ranges"])
      expect(affected.package).toEqual({ ecosystem: "crates.io", name: "demo" })
      expect(Object.keys(affected.ranges![0]!).sort()).toEqual(["events", "type"])
      expect(affected.ranges![0]!.events).toEqual([{ introduced: "0" }])
      expect(decoded.enrichment).toEqual({ is_kev: false })
      expect(decoded.withdrawn).toBeUndefined()
      expect(Advisory.ids(decoded)).toEqual(["RUSTSEC-2099-0001"])
    }))

  it.effect("rejects documents that break the schema", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(decode({ summary: "no id" })))._tag).toBe("ParseError")
      expect((yield* Effect.flip(decode({ id: "X-1", affected: [{ ranges: [{ type: "BOGUS", events: [] }] }] })))._tag)
        .toBe("ParseError")
    }))

  it("ids, cveIds and packages read the real sample", () => {
    const sample = loadSampleAdvisories()
    const netty = sampleById(sample, "GHSA-269q-hmxg-m83q")
    expect(Advisory.ids(netty)).toEqual([
      "GHSA-269q-hmxg-m83q",
      "CVE-2021-21290",
      "CVE-2022-24823",
      "GHSA-5mcr-gq6c-3hq2"
    ])
    expect(Advisory.cveIds(netty)).toEqual(["CVE-2021-21290", "CVE-2022-24823"])
    const jgit = sampleById(sample, "GHSA-6vvc-c2m3-cjf3")
    expect(Advisory.packages(jgit).map((p) => `${p.ecosystem}/${p.name}`)).toContain("PyPI/mercurial")
    expect(Advisory.cveIds(sampleById(sample, "JLSEC-2025-181"))).toEqual([])
    // Lower-case CVE aliases are upper-cased; an id repeated among the aliases is listed once.
    const lower = { ...netty, id: "cve-2021-21290", aliases: ["CVE-2021-21290", "cve-2021-21290"] }
    expect(Advisory.ids(lower)).toEqual(["cve-2021-21290", "CVE-2021-21290"])
    expect(Advisory.cveIds(lower)).toEqual(["CVE-2021-21290"])
    const alma = sampleById(sample, "ALBA-2019:0973")
    expect(Advisory.packages(alma).length).toBe(alma.affected!.length)
  })
})

describe("identifier rules", () => {
  it.effect("advisory ids: non-empty, at most 1024 characters, no whitespace or control characters", () =>
    Effect.gen(function*() {
      expect(yield* Advisory.validateAdvisoryId("GHSA-35jh-r3h4-6jhm")).toBe("GHSA-35jh-r3h4-6jhm")
      const spaced = yield* Effect.flip(Advisory.validateAdvisoryId("GHSA 35jh", "advisory.id"))
      expect([spaced._tag, spaced.field, spaced.detail]).toEqual(["InvalidInput", "advisory.id", "contains whitespace"])
      expect((yield* Effect.flip(Advisory.validateAdvisoryId(" "))).detail).toBe("must not be empty")
      expect((yield* Effect.flip(Advisory.validateAdvisoryId("x".repeat(1025)))).detail).toContain("longer than 1024")
      expect((yield* Effect.flip(Advisory.validateAdvisoryId("a\u0007b"))).detail).toBe("contains control characters")
    }))

  it.effect("CVE ids: canonical form checked by isCve, upper-cased by validateCve", () =>
    Effect.gen(function*() {
      expect(["CVE-2021-44228", "CVE-2024-1234567", "cve-2021-44228", "CVE-21-1", "CVE-2021-123"].map(Advisory.isCve))
        .toEqual([true, true, false, false, false])
      expect(yield* Advisory.validateCve(" cve-2021-44228 ")).toBe("CVE-2021-44228")
      const bad = yield* Effect.flip(Advisory.validateCve("CVE-21-1"))
      expect([bad._tag, bad.field]).toEqual(["InvalidInput", "cve"])
    }))

  it.effect("source names: 1-128 characters of [a-z0-9._-], lower-cased", () =>
    Effect.gen(function*() {
      expect(yield* AdvisorySource.validateSourceName(" OSV.PyPI ")).toBe("osv.pypi")
      const bad = yield* Effect.flip(AdvisorySource.validateSourceName("osv/npm"))
      expect([bad._tag, bad.field]).toEqual(["InvalidInput", "source"])
      expect((yield* Effect.flip(AdvisorySource.validateSourceName("x".repeat(129))))._tag).toBe("InvalidInput")
    }))
})
