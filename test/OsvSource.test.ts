import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, Layer, Option, Stream } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { pathToFileURL } from "node:url"
import * as Advisory from "../src/Advisory.js"
import type { SourceItem } from "../src/AdvisorySource.js"
import * as OsvSource from "../src/OsvSource.js"
import * as Retry from "../src/Retry.js"
import { makeTestServer } from "./utils/httpServer.js"
import type { TestServer } from "./utils/httpServer.js"
import { writeZip } from "./utils/zip.js"

const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)
// Retries stay on (the transport's behaviour is part of what is tested) but fast.
const FastRetry = Retry.layer({ maxRetries: 1, baseDelay: "10 millis", jitter: false })

// Real records (test/fixtures/README.md), one withdrawn record first in each file.
const fixture = (file: string): ReadonlyArray<string> =>
  readFileSync(new URL(`./fixtures/osv-source/${file}.jsonl`, import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
const samples: Record<string, ReadonlyArray<string>> = {
  "crates.io": fixture("crates.io"),
  Go: fixture("go"),
  PyPI: fixture("pypi")
}
const idOf = (line: string): string => (JSON.parse(line) as { id: string }).id
const decode = (json: string): Advisory.Advisory => Effect.runSync(Advisory.decodeUnknown(JSON.parse(json)))
const zipEntries = (lines: ReadonlyArray<string>) => lines.map((line) => [`${idOf(line)}.json`, line] as const)

/** A temporary directory for the test's scope. */
const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** Writes one ecosystem of an OSV-layout mirror: all.zip, modified_id.csv, `<id>.json` files. */
const writeEcosystem = (
  root: string,
  ecosystem: string,
  files: {
    readonly zip?: ReadonlyArray<readonly [string, string | Uint8Array]>
    readonly csv?: ReadonlyArray<string>
    readonly records?: ReadonlyArray<string>
  }
) => {
  const dir = join(root, ecosystem)
  mkdirSync(dir, { recursive: true })
  if (files.zip) writeZip(join(dir, "all.zip"), files.zip)
  if (files.csv) writeFileSync(join(dir, "modified_id.csv"), files.csv.map((l) => `${l}\n`).join(""))
  for (const line of files.records ?? []) writeFileSync(join(dir, `${idOf(line)}.json`), line)
}

/** Serves every file under `root` at its relative path, read at request time. */
const serveDirectory = (server: TestServer, root: string) => {
  const walk = (dir: string): Array<string> =>
    readdirSync(dir).flatMap((name) => statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)])
  for (const file of walk(root)) {
    const path = "/" + relative(root, file).split("/").map(encodeURIComponent).join("/")
    server.route("GET", path, () => ({ status: 200, body: readFileSync(file) }))
  }
}

/** An HTTP mirror of the three sample ecosystems plus a source over it. */
const setup = (options: Partial<OsvSource.OsvSourceOptions> = {}) =>
  Effect.gen(function*() {
    const root = yield* tempDir("osv-source-mirror-")
    const scratch = yield* tempDir("osv-source-tmp-")
    for (const [ecosystem, lines] of Object.entries(samples)) {
      writeEcosystem(root, ecosystem, { zip: zipEntries(lines), records: lines })
    }
    const server = yield* makeTestServer()
    serveDirectory(server, root)
    const source = yield* OsvSource.make({
      baseUrl: server.url,
      ecosystems: ["crates.io", "Go", "PyPI"],
      tempDirectory: scratch,
      ...options
    })
    return { root, scratch, server, source }
  })

const collect = <E>(stream: Stream.Stream<SourceItem, E>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const recordIds = (items: ReadonlyArray<SourceItem>) =>
  items.flatMap((item) => (item._tag === "Record" ? [item.advisory.id] : []))
const failures = (items: ReadonlyArray<SourceItem>) =>
  items.flatMap((item) => (item._tag === "Failed" ? [{ id: item.id, retryable: item.retryable }] : []))

const since = (iso: string) => Option.some(new Date(iso))

describe("OsvSource", () => {
  it.scopedLive("full sync streams every record of each ecosystem's all.zip, withdrawn ones included", () =>
    Effect.gen(function*() {
      const { scratch, server, source } = yield* setup()
      expect(source.name).toBe("osv")
      expect(source.units).toEqual(["osv.crates.io", "osv.go", "osv.pypi"])
      for (const [ecosystem, lines] of Object.entries(samples)) {
        const items = yield* collect(source.fetch(OsvSource.unitName(ecosystem), Option.none()))
        expect(items[0]).toMatchObject({ _tag: "Started", mode: "full", expected: lines.length })
        expect(items.length).toBe(lines.length + 1)
        const records = items.flatMap((i) => (i._tag === "Record" ? [i.advisory] : []))
        expect(records).toEqual(lines.map(decode))
        // The withdrawn record is emitted like any other (the store un-indexes it).
        expect(records[0]!.withdrawn).toBeDefined()
      }
      expect(server.requests.map((r) => r.path)).toEqual(["/crates.io/all.zip", "/Go/all.zip", "/PyPI/all.zip"])
      // The downloaded archives were deleted when each stream ended.
      expect(readdirSync(scratch)).toEqual([])
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("a malformed entry is a permanent Failed item; the rest of the archive still streams", () =>
    Effect.gen(function*() {
      const { root, source } = yield* setup()
      const lines = samples["crates.io"]!
      writeEcosystem(root, "crates.io", {
        zip: [
          ...zipEntries(lines.slice(0, 2)),
          ["RUSTSEC-BROKEN-JSON.json", "{\"id\": \"RUSTSEC-BROKEN-JSON\", \"summary\": "],
          ["RUSTSEC-NOT-OSV.json", JSON.stringify({ id: 42, affected: "none" })],
          ["RUSTSEC-BAD-UTF8.json", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
          ...zipEntries(lines.slice(2))
        ]
      })
      const items = yield* collect(source.fetch("osv.crates.io", Option.none()))
      expect(items[0]).toMatchObject({ _tag: "Started", mode: "full", expected: lines.length + 3 })
      expect(recordIds(items)).toEqual(lines.map(idOf))
      expect(failures(items)).toEqual([
        { id: "RUSTSEC-BROKEN-JSON", retryable: false },
        { id: "RUSTSEC-NOT-OSV", retryable: false },
        { id: "RUSTSEC-BAD-UTF8", retryable: false }
      ])
      const notOsv = items.find((i) => i._tag === "Failed" && i.id === "RUSTSEC-NOT-OSV")
      expect(notOsv).toMatchObject({ detail: expect.stringContaining("not an OSV record") })
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("a damaged entry (CRC mismatch) is a retryable Failed item, so the unit's timestamp stays", () =>
    Effect.gen(function*() {
      const { root, source } = yield* setup()
      const lines = samples.Go!
      const dir = join(root, "Go")
      writeZip(join(dir, "all.zip"), zipEntries(lines), { method: "store" })
      // Flip one byte inside the second record's stored data.
      const archive = readFileSync(join(dir, "all.zip"))
      const at = archive.indexOf(Buffer.from(`"id":"${idOf(lines[1]!)}"`))
      archive[at + 2] = archive[at + 2]! ^ 0x20
      writeFileSync(join(dir, "all.zip"), archive)
      const items = yield* collect(source.fetch("osv.go", Option.none()))
      expect(recordIds(items)).toEqual(lines.map(idOf).filter((id) => id !== idOf(lines[1]!)))
      expect(failures(items)).toEqual([{ id: idOf(lines[1]!), retryable: true }])
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("records over maxRecordBytes are permanent failures, in archives and in single downloads", () =>
    Effect.gen(function*() {
      const { root, server, source } = yield* setup({ maxRecordBytes: 1500 })
      const lines = samples.Go!
      const big = lines.filter((l) => Buffer.byteLength(l) > 1500).map(idOf)
      expect(big.length).toBeGreaterThan(0)
      expect(big.length).toBeLessThan(lines.length)
      const full = yield* collect(source.fetch("osv.go", Option.none()))
      expect(recordIds(full)).toEqual(lines.map(idOf).filter((id) => !big.includes(id)))
      expect(failures(full)).toEqual(big.map((id) => ({ id, retryable: false })))

      writeEcosystem(root, "Go", { csv: lines.map((line, i) => `2026-09-01T00:00:0${9 - i}Z,${idOf(line)}`) })
      serveDirectory(server, root)
      const changed = yield* collect(source.fetch("osv.go", since("2026-01-01T00:00:00Z")))
      expect(failures(changed).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        big.sort().map((id) => ({ id, retryable: false }))
      )
      expect(recordIds(changed).length).toBe(lines.length - big.length)
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("a truncated archive fails the unit's stream with a retryable SourceError and leaves no temp file", () =>
    Effect.gen(function*() {
      const { root, scratch, server, source } = yield* setup()
      const archive = readFileSync(join(root, "PyPI", "all.zip"))
      // Served completely (correct Content-Length) but cut short: no end-of-central-directory record.
      server.route("GET", "/PyPI/all.zip", { status: 200, body: archive.subarray(0, Math.floor(archive.length * 0.6)) })
      const error = yield* Effect.flip(collect(source.fetch("osv.pypi", Option.none())))
      expect(error).toMatchObject({ _tag: "SourceError", reason: "Transport", retryable: true })
      expect(error.message).toContain("truncated or corrupt")
      expect(readdirSync(scratch)).toEqual([])

      // Cut off mid-transfer (connection closed before Content-Length bytes): the transport's
      // retry gets a second chance, then the stream fails with a retryable error.
      server.route("GET", "/PyPI/all.zip", { status: 200, body: archive, truncate: 100 })
      server.reset()
      const cut = yield* Effect.flip(collect(source.fetch("osv.pypi", Option.none())))
      expect(cut).toMatchObject({ _tag: "SourceError", retryable: true })
      expect(server.requests.length).toBe(2)
      expect(readdirSync(scratch)).toEqual([])
    }).pipe(Effect.provide(FastRetry), Effect.provide(Platform)))

  it.scopedLive("HTTP 500 on one ecosystem's all.zip fails that unit only; another unit still syncs", () =>
    Effect.gen(function*() {
      const { server, source } = yield* setup()
      server.route("GET", "/Go/all.zip", { status: 500, body: "backend error" })
      const error = yield* Effect.flip(collect(source.fetch("osv.go", Option.none())))
      expect(error).toMatchObject({ _tag: "SourceError", reason: "Status", status: 500, retryable: true })
      expect(server.requests.filter((r) => r.path === "/Go/all.zip").length).toBe(2)
      const items = yield* collect(source.fetch("osv.crates.io", Option.none()))
      expect(recordIds(items)).toEqual(samples["crates.io"]!.map(idOf))
    }).pipe(Effect.provide(FastRetry), Effect.provide(Platform)))

  it.scopedLive("the consumer can stop early: reading stops and the download is deleted", () =>
    Effect.gen(function*() {
      const { root, scratch, source } = yield* setup()
      const base = JSON.parse(samples.PyPI![1]!) as Record<string, unknown>
      const many = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ ...base, id: `PYSEC-TEST-${i}` }))
      writeEcosystem(root, "PyPI", { zip: zipEntries(many) })
      const items = yield* collect(source.fetch("osv.pypi", Option.none()).pipe(Stream.take(3)))
      expect(items.map((i) => i._tag)).toEqual(["Started", "Record", "Record"])
      expect(recordIds(items)).toEqual(["PYSEC-TEST-0", "PYSEC-TEST-1"])
      expect(readdirSync(scratch)).toEqual([])
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("incremental sync fetches only records modified after `since`, and sees a record's new packages", () =>
    Effect.gen(function*() {
      const { root, server, source } = yield* setup()
      const lines = samples["crates.io"]!
      // First sync: the full archive, as published at first.
      const first = yield* collect(source.fetch("osv.crates.io", Option.none()))
      const changedId = idOf(lines[2]!)
      const before = first.flatMap((i) => (i._tag === "Record" && i.advisory.id === changedId ? [i.advisory] : []))[0]!
      expect(before.affected!.map((a) => a.package?.name)).toEqual(["insert_many"])

      // Upstream then changes that record's affected packages and lists it in modified_id.csv.
      const changed = JSON.stringify({
        ...JSON.parse(lines[2]!),
        modified: "2026-09-01T10:00:00.123456Z",
        affected: [
          { package: { ecosystem: "crates.io", name: "insert_many_v2" }, ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "2.0.0" }] }] }
        ]
      })
      writeEcosystem(root, "crates.io", {
        records: [changed],
        csv: [
          `2026-09-01T10:00:00.123456Z,${changedId}`,
          `2026-09-01T09:00:00Z,${idOf(lines[0]!)}`,
          `2026-08-31T12:00:00Z,${idOf(lines[1]!)}`, // == since: stops here
          `2026-08-30T12:00:00Z,${idOf(lines[3]!)}`,
          `2026-08-29T12:00:00Z,${idOf(lines[4]!)}`
        ]
      })
      serveDirectory(server, root)
      server.reset()
      const items = yield* collect(source.fetch("osv.crates.io", since("2026-08-31T12:00:00Z")))
      expect(items[0]).toMatchObject({ _tag: "Started", mode: "incremental", expected: 2 })
      expect(recordIds(items).sort()).toEqual([changedId, idOf(lines[0]!)].sort())
      expect(failures(items)).toEqual([])
      const after = items.flatMap((i) => (i._tag === "Record" && i.advisory.id === changedId ? [i.advisory] : []))[0]!
      expect(after).toEqual(decode(changed))
      expect(after.affected!.map((a) => a.package?.name)).toEqual(["insert_many_v2"])
      // Withdrawn records come through incremental syncs too.
      const withdrawn = items.flatMap((i) => (i._tag === "Record" && i.advisory.id === idOf(lines[0]!) ? [i.advisory] : []))[0]!
      expect(withdrawn.withdrawn).toBe("2021-04-19T12:00:00Z")
      expect(server.requests.map((r) => r.path).sort()).toEqual(
        ["/crates.io/modified_id.csv", `/crates.io/${changedId}.json`, `/crates.io/${idOf(lines[0]!)}.json`].sort()
      )

      // Sub-millisecond precision: a change 500 µs after `since` is newer; nothing else is.
      const microsecond = yield* collect(source.fetch("osv.crates.io", since("2026-09-01T10:00:00.123Z")))
      expect(recordIds(microsecond)).toEqual([changedId])
      const none = yield* collect(source.fetch("osv.crates.io", since("2026-09-02T00:00:00Z")))
      expect(none).toEqual([expect.objectContaining({ _tag: "Started", mode: "incremental", expected: 0 })])
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("malformed modified_id.csv lines are reported as permanent failures, not skipped silently", () =>
    Effect.gen(function*() {
      const { root, server, source } = yield* setup()
      const lines = samples.PyPI!
      writeEcosystem(root, "PyPI", {
        csv: [
          `2026-09-01T00:00:03Z,${idOf(lines[1]!)}`,
          `yesterday,${idOf(lines[2]!)}`,
          "2026-09-01T00:00:02Z",
          `2026-09-01T00:00:01Z,${idOf(lines[3]!)},extra`,
          "2026-09-01T00:00:01Z,../../etc/passwd",
          `2026-09-01T00:00:00Z,${idOf(lines[4]!)}`,
          `2020-01-01T00:00:00Z,${idOf(lines[0]!)}`
        ]
      })
      serveDirectory(server, root)
      const items = yield* collect(source.fetch("osv.pypi", since("2026-08-01T00:00:00Z")))
      expect(items[0]).toMatchObject({ _tag: "Started", mode: "incremental", expected: 2 })
      expect(recordIds(items).sort()).toEqual([idOf(lines[1]!), idOf(lines[4]!)].sort())
      expect(failures(items)).toEqual([
        { id: idOf(lines[2]!), retryable: false },
        { id: "modified_id.csv line 3", retryable: false },
        { id: "modified_id.csv line 4", retryable: false },
        { id: "modified_id.csv line 5", retryable: false }
      ])
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("a record that fails to download is a retryable Failed item; a malformed one a permanent one", () =>
    Effect.gen(function*() {
      const { root, server, source } = yield* setup()
      const lines = samples.Go!
      writeEcosystem(root, "Go", {
        csv: lines.map((line, i) => `2026-09-01T00:00:0${9 - i}Z,${idOf(line)}`).concat(["2026-09-01T00:00:05Z,GO-BROKEN"])
      })
      serveDirectory(server, root)
      server.route("GET", `/Go/${idOf(lines[1]!)}.json`, { status: 500, body: "oops" })
      server.route("GET", "/Go/GO-BROKEN.json", { status: 200, body: "{ not json" })
      const items = yield* collect(source.fetch("osv.go", since("2026-01-01T00:00:00Z")))
      expect(items[0]).toMatchObject({ _tag: "Started", mode: "incremental", expected: lines.length + 1 })
      expect(recordIds(items).sort()).toEqual(lines.map(idOf).filter((id) => id !== idOf(lines[1]!)).sort())
      expect(failures(items).sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        { id: idOf(lines[1]!), retryable: true },
        { id: "GO-BROKEN", retryable: false }
      ])
      // The 500 was retried once by the transport before being reported.
      expect(server.requests.filter((r) => r.path === `/Go/${idOf(lines[1]!)}.json`).length).toBe(2)
    }).pipe(Effect.provide(FastRetry), Effect.provide(Platform)))

  it.scopedLive("when modified_id.csv cannot be read the unit fails: no silent fallback to a full sync", () =>
    Effect.gen(function*() {
      const { server, source } = yield* setup()
      server.route("GET", "/Go/modified_id.csv", { status: 503, body: "unavailable" })
      const error = yield* Effect.flip(collect(source.fetch("osv.go", since("2026-01-01T00:00:00Z"))))
      expect(error).toMatchObject({ _tag: "SourceError", status: 503, retryable: true })
      expect(server.requests.some((r) => r.path.endsWith("all.zip"))).toBe(false)
      // A missing index (404) is not retried and fails too.
      server.reset()
      const missing = yield* Effect.flip(collect(source.fetch("osv.pypi", since("2026-01-01T00:00:00Z"))))
      expect(missing).toMatchObject({ _tag: "SourceError", status: 404, retryable: false })
      expect(server.requests.map((r) => r.path)).toEqual(["/PyPI/modified_id.csv"])
      // An index cut off mid-transfer fails too, instead of looking like a shorter list.
      const csv = Array.from({ length: 400 }, (_, i) => `2026-08-01T00:00:00Z,GO-TEST-${i}`).join("\n")
      server.route("GET", "/Go/modified_id.csv", { status: 200, body: csv, truncate: 2000 })
      const cut = yield* Effect.flip(collect(source.fetch("osv.go", since("2026-01-01T00:00:00Z"))))
      expect(cut).toMatchObject({ _tag: "SourceError", retryable: true })
    }).pipe(Effect.provide(FastRetry), Effect.provide(Platform)))

  it.scopedLive("file:// mirror directories work for full and incremental syncs", () =>
    Effect.gen(function*() {
      const root = yield* tempDir("osv-source-file-mirror-")
      const scratch = yield* tempDir("osv-source-tmp-")
      const lines = samples.PyPI!
      writeEcosystem(root, "PyPI", {
        zip: zipEntries(lines),
        records: lines,
        csv: [`2026-09-01T00:00:01Z,${idOf(lines[3]!)}`, `2026-09-01T00:00:00Z,${idOf(lines[0]!)}`]
      })
      const source = yield* OsvSource.make({
        baseUrl: `${pathToFileURL(root).href}/`,
        ecosystems: ["PyPI", "crates.io"],
        tempDirectory: scratch
      })
      const full = yield* collect(source.fetch("osv.pypi", Option.none()))
      expect(full[0]).toMatchObject({ _tag: "Started", mode: "full", expected: lines.length })
      expect(recordIds(full)).toEqual(lines.map(idOf))
      expect(readdirSync(scratch)).toEqual([])
      const changed = yield* collect(source.fetch("osv.pypi", since("2026-09-01T00:00:00Z")))
      expect(recordIds(changed)).toEqual([idOf(lines[3]!)])
      // An ecosystem missing from the mirror fails (not retryable: a local file does not appear by waiting).
      const error = yield* Effect.flip(collect(source.fetch("osv.crates.io", Option.none())))
      expect(error).toMatchObject({ _tag: "SourceError", reason: "Io", retryable: false })
      // A corrupt local archive is a DecodeError.
      writeFileSync(join(root, "PyPI", "all.zip"), "not a zip archive at all")
      const corrupt = yield* Effect.flip(collect(source.fetch("osv.pypi", Option.none())))
      expect(corrupt._tag).toBe("DecodeError")
    }).pipe(Effect.provide(Platform)))

  it.scopedLive("an unknown unit fails with a descriptive error naming the known units", () =>
    Effect.gen(function*() {
      const { source } = yield* setup()
      const error = yield* Effect.flip(collect(source.fetch("osv.npm", Option.none())))
      expect(error).toMatchObject({ _tag: "SourceError", retryable: false })
      expect(error.message).toContain("osv.crates.io, osv.go, osv.pypi")
    }).pipe(Effect.provide(Platform)))

  it.effect("configuration from the environment, with errors that name the variable", () =>
    Effect.gen(function*() {
      const fromEnv = (env: Record<string, string>) =>
        OsvSource.optionsFromEnv().pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      const defaults = yield* fromEnv({})
      expect(defaults.baseUrl).toBe("https://osv-vulnerabilities.storage.googleapis.com")
      expect(defaults.ecosystems.map(OsvSource.unitName)).toEqual([
        "osv.npm", "osv.pypi", "osv.maven", "osv.go", "osv.crates.io",
        "osv.nuget", "osv.rubygems", "osv.packagist", "osv.hex", "osv.pub"
      ])
      const custom = yield* fromEnv({
        VULNERA__SOURCES__OSV_URL: "file:///srv/osv/",
        VULNERA__SOURCES__OSV_ECOSYSTEMS: " npm, PyPI ,crates.io,"
      })
      expect(custom.baseUrl).toBe("file:///srv/osv")
      expect(custom.ecosystems).toEqual(["npm", "PyPI", "crates.io"])

      const badUrl = yield* Effect.flip(fromEnv({ VULNERA__SOURCES__OSV_URL: "ftp://user:hunter2@example.com/osv" }))
      expect(badUrl).toMatchObject({ _tag: "ConfigurationError", variable: "VULNERA__SOURCES__OSV_URL" })
      expect(badUrl.message).not.toContain("hunter2")
      const duplicate = yield* Effect.flip(fromEnv({ VULNERA__SOURCES__OSV_ECOSYSTEMS: "PyPI,pypi" }))
      expect(duplicate).toMatchObject({ _tag: "ConfigurationError", variable: "VULNERA__SOURCES__OSV_ECOSYSTEMS" })
      const empty = yield* Effect.flip(fromEnv({ VULNERA__SOURCES__OSV_ECOSYSTEMS: " , " }))
      expect(empty.variable).toBe("VULNERA__SOURCES__OSV_ECOSYSTEMS")
      const slash = yield* Effect.flip(OsvSource.resolveOptions({ ecosystems: ["npm", "../etc"] }))
      expect(slash.detail).toContain("invalid ecosystem name")
    }))

  it.scopedLive("layerConfig builds the OsvSource service from the environment", () =>
    Effect.gen(function*() {
      const source = yield* OsvSource.OsvSource
      expect(source.units).toEqual(["osv.go", "osv.hex"])
    }).pipe(
      Effect.provide(OsvSource.layerConfig().pipe(Layer.provide(Platform))),
      Effect.withConfigProvider(
        ConfigProvider.fromMap(new Map([["VULNERA__SOURCES__OSV_ECOSYSTEMS", "Go,Hex"]]))
      )
    ))
})
