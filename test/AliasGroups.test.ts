/**
 * Alias grouping over real OSV records that share ids across sources (Go, Bitnami, PyPI,
 * RustSec, GitHub, AlmaLinux, PSF; test/fixtures/aliases/records.jsonl, provenance in
 * test/fixtures/README.md), plus variants of them where a case needs a spelling or link the
 * corpus lacks.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect } from "effect"
import * as Advisory from "../src/Advisory.js"
import * as AliasGroups from "../src/AliasGroups.js"

const records: ReadonlyArray<Advisory.Advisory> = readFileSync(
  new URL("fixtures/aliases/records.jsonl", import.meta.url),
  "utf8"
)
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => Effect.runSync(Advisory.decodeUnknown(JSON.parse(line))))

const record = (id: string): Advisory.Advisory => {
  const found = records.find((a) => a.id === id)
  if (found === undefined) throw new Error(`${id} missing from test/fixtures/aliases/records.jsonl`)
  return found
}

const summary = (groups: ReadonlyArray<AliasGroups.AdvisoryGroup>) =>
  groups.map((g) => [g.primaryId, g.advisories.map((a) => a.id)] as const)

// Deterministic shuffles (mulberry32), so a failure reproduces.
const shuffler = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return <A>(items: ReadonlyArray<A>): Array<A> => {
    const copy = [...items]
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
    }
    return copy
  }
}

describe("AliasGroups.group", () => {
  it("groups the real records into the vulnerabilities they describe", () => {
    const groups = AliasGroups.group(records)
    expect(summary(groups)).toEqual([
      ["ALSA-2019:0981", ["ALSA-2019:0981"]],
      ["CVE-2014-9390", ["GHSA-6vvc-c2m3-cjf3", "PYSEC-2020-217"]], // GitHub aliases the PYSEC id itself
      ["CVE-2019-7548", ["PYSEC-2019-124"]],
      ["CVE-2019-9636", ["PSF-2019-9"]],
      ["CVE-2021-42576", ["GO-2022-0588", "PYSEC-2021-849"]],
      // Go + GitHub + CVE + three Bitnami records that alias only the CVE.
      [
        "CVE-2022-29178",
        ["BIT-cilium-2022-29178", "BIT-cilium-operator-2022-29178", "BIT-hubble-relay-2022-29178", "GO-2022-0457"]
      ],
      // Three CVEs (RUSTSEC-2021-0110 covers all of them): the smallest GHSA id names the group.
      ["GHSA-4873-36h9-wv49", ["PYSEC-2021-320", "PYSEC-2021-321", "RUSTSEC-2021-0110"]],
      // RustSec and Go share only a GHSA id, no CVE.
      ["GHSA-75qh-gg76-p2w4", ["GO-2024-3101", "RUSTSEC-2024-0366"]]
    ])
    const cilium = groups.find((g) => g.primaryId === "CVE-2022-29178")!
    expect(cilium.ids).toEqual([
      "BIT-cilium-2022-29178",
      "BIT-cilium-operator-2022-29178",
      "BIT-hubble-relay-2022-29178",
      "CVE-2022-29178",
      "GHSA-6p8v-8cq8-v2r3",
      "GO-2022-0457"
    ])
    // Every record is kept, each exactly once.
    expect(groups.flatMap((g) => g.advisories).length).toBe(records.length)
    expect(new Set(groups.flatMap((g) => g.advisories)).size).toBe(records.length)
  })

  it("links transitively: A~B and B~C give one group even when A and C share nothing", () => {
    const a = record("PYSEC-2021-320") // CVE-2021-39216, GHSA-v4cp-h94r-m7xf
    const c = record("PYSEC-2021-321") // CVE-2021-39218, GHSA-4873-36h9-wv49
    const b = record("RUSTSEC-2021-0110") // both CVEs and both GHSAs
    expect(AliasGroups.linkingIds(a).filter((id) => AliasGroups.linkingIds(c).includes(id))).toEqual([])
    expect(AliasGroups.group([a, c]).length).toBe(2)
    expect(summary(AliasGroups.group([a, c, b]))).toEqual([
      ["GHSA-4873-36h9-wv49", ["PYSEC-2021-320", "PYSEC-2021-321", "RUSTSEC-2021-0110"]]
    ])
  })

  it("does not merge on related, upstream or CVE ids in reference URLs", () => {
    const alma = record("ALSA-2019:0981")
    // The AlmaLinux advisory names both CVEs as related and links them in its references; the
    // Rust aggregator merged on such URLs. They are other vulnerabilities' records.
    expect(alma.related).toEqual(expect.arrayContaining(["CVE-2019-7548", "CVE-2019-9636"]))
    expect(alma.references!.some((r) => r.url.includes("CVE-2019-7548"))).toBe(true)
    expect(alma.references!.some((r) => r.url.includes("CVE-2019-9636"))).toBe(true)
    const groups = AliasGroups.group([alma, record("PYSEC-2019-124"), record("PSF-2019-9")])
    expect(groups.map((g) => g.advisories.length)).toEqual([1, 1, 1])

    const upstreamOnly: Advisory.Advisory = {
      ...record("PYSEC-2021-849"),
      id: "PYSEC-9999-1",
      aliases: [],
      upstream: ["CVE-2021-42576", "GO-2022-0588"],
      related: ["GHSA-x95h-979x-cf3j"]
    }
    expect(AliasGroups.group([record("GO-2022-0588"), upstreamOnly]).length).toBe(2)
  })

  it("compares CVE and GHSA ids case-insensitively and reports them in canonical spelling", () => {
    // An NVD-sourced record: NVD upper-cases GHSA ids found in its references.
    const nvdStyle: Advisory.Advisory = {
      ...record("GO-2022-0457"),
      id: "cve-2022-29178",
      aliases: ["GHSA-6P8V-8CQ8-V2R3", "  "]
    }
    const groups = AliasGroups.group([...records, nvdStyle])
    const cilium = groups.find((g) => g.primaryId === "CVE-2022-29178")!
    expect(cilium.advisories.map((a) => a.id)).toEqual([
      "BIT-cilium-2022-29178",
      "BIT-cilium-operator-2022-29178",
      "BIT-hubble-relay-2022-29178",
      "cve-2022-29178", // the record itself is returned untouched
      "GO-2022-0457"
    ])
    expect(cilium.ids).toContain("GHSA-6p8v-8cq8-v2r3")
    expect(cilium.ids).not.toContain("GHSA-6P8V-8CQ8-V2R3")
    expect(cilium.ids).not.toContain("")
    // Other prefixes are compared as written: a lower-cased GO id is another id.
    const lowerGo: Advisory.Advisory = { ...record("GO-2022-0588"), id: "go-2022-0588", aliases: [] }
    expect(AliasGroups.group([record("GO-2022-0588"), lowerGo]).length).toBe(2)
  })

  it("keeps both copies when two sources deliver the same id", () => {
    const fromOsv = record("GO-2022-0588")
    const fromMirror: Advisory.Advisory = { ...fromOsv, modified: "2030-01-01T00:00:00Z" }
    const groups = AliasGroups.group([fromMirror, record("PYSEC-2021-849"), fromOsv, fromOsv])
    expect(groups).toHaveLength(1)
    expect(groups[0]!.advisories).toEqual([fromOsv, fromOsv, fromMirror, record("PYSEC-2021-849")])
  })

  it("returns identical output for every input order (200 seeded shuffles, with duplicates and variants)", () => {
    const input = [
      ...records,
      record("GO-2022-0588"),
      { ...record("GO-2022-0457"), id: "CVE-2022-29178", aliases: ["ghsa-6p8v-8cq8-v2r3"] },
      { ...record("PSF-2019-9"), modified: "2030-01-01T00:00:00Z" },
      { ...record("PSF-2019-9"), id: "", aliases: [] },
      { ...record("PYSEC-2019-124"), id: "", aliases: [] }
    ]
    const expected = AliasGroups.group(input)
    const shuffle = shuffler(20260825)
    for (let run = 0; run < 200; run++) {
      expect(AliasGroups.group(shuffle(input))).toEqual(expected)
    }
    expect(AliasGroups.group([...input].reverse())).toEqual(expected)
  })

  it("handles no input and records without usable ids", () => {
    expect(AliasGroups.group([])).toEqual([])
    const blank: Advisory.Advisory = { ...record("PSF-2019-9"), id: " ", aliases: [""] }
    const groups = AliasGroups.group([blank, { ...blank }])
    expect(groups).toHaveLength(2)
    expect(groups.every((g) => g.ids.length === 0 && g.advisories.length === 1)).toBe(true)
  })
})

describe("AliasGroups ids", () => {
  it("canonicalId upper-cases CVE ids, lower-cases GHSA bodies, trims, leaves others alone", () => {
    expect(AliasGroups.canonicalId(" cve-2021-44228 ")).toBe("CVE-2021-44228")
    expect(AliasGroups.canonicalId("ghsa-JFH8-C2JP-5V3Q")).toBe("GHSA-jfh8-c2jp-5v3q")
    expect(AliasGroups.canonicalId("PYSEC-2021-849")).toBe("PYSEC-2021-849")
    expect(AliasGroups.canonicalId("ALSA-2019:0981")).toBe("ALSA-2019:0981")
  })

  it("primaryIdOf: the single CVE, else the smallest GHSA, else the smallest record id", () => {
    expect(AliasGroups.primaryIdOf(["CVE-2021-1", "GHSA-aaaa-bbbb-cccc", "GO-2021-1"], ["GO-2021-1"])).toBe("CVE-2021-1")
    expect(
      AliasGroups.primaryIdOf(["CVE-2021-1", "CVE-2021-2", "GHSA-zzzz-zzzz-zzzz", "GHSA-aaaa-bbbb-cccc"], ["X-1"])
    ).toBe("GHSA-aaaa-bbbb-cccc")
    expect(AliasGroups.primaryIdOf(["CVE-2021-1", "CVE-2021-2", "RUSTSEC-2021-9"], ["RUSTSEC-2021-9"])).toBe(
      "RUSTSEC-2021-9"
    )
    expect(AliasGroups.primaryIdOf(["PYSEC-2", "GO-1", "BIT-x"], ["PYSEC-2", "GO-1"])).toBe("GO-1")
  })
})
