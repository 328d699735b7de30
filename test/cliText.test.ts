/**
 * The command line's text: table widths in terminal columns (`string-width`), cuts between
 * grapheme clusters, and help without @effect/cli's generated filler, every argument and option
 * described, usage as `vulnera <command> …`, wrapped to the width.
 */
import { describe, expect, it } from "@effect/vitest"
import { queryCommand } from "../src/cli/commands/query.js"
import { scanCommand } from "../src/cli/commands/scan.js"
import { syncCommand } from "../src/cli/commands/sync.js"
import { helpText } from "../src/cli/help.js"
import { renderTable, truncate, visibleWidth } from "../src/cli/table.js"

describe("table text", () => {
  it("widths in terminal columns: wide CJK counts 2, emoji sequences 2, ANSI 0", () => {
    expect(visibleWidth("漏洞")).toBe(4)
    expect(visibleWidth("\u001b[31mok\u001b[39m")).toBe(2)
    expect(visibleWidth("👩‍👩‍👧")).toBe(2)
    const table = renderTable([{ header: "name" }, { header: "x" }], [["漏洞", "1"], ["abcd", "2"]]).split("\n")
    // The second column starts at the same column on every row.
    expect(table.map((l) => visibleWidth(l.slice(0, l.search(/\S+$/))))).toEqual([6, 6, 6, 6])
  })

  it("truncate cuts between graphemes and fits the width", () => {
    const family = "👩‍👩‍👧"
    const cut = truncate(`ab${family}${family}cd`, 5)
    expect(cut).toBe(`ab${family}…`)
    expect(visibleWidth(cut)).toBeLessThanOrEqual(5)
    expect(truncate("漏洞漏洞", 5)).toBe("漏洞…")
    expect(truncate("e\u0301e\u0301e\u0301", 2)).toBe("e\u0301…")
    expect(truncate("short", 10)).toBe("short")
  })
})

describe("help", () => {
  for (const [name, command] of [["scan", scanCommand], ["query", queryCommand], ["sync", syncCommand]] as const) {
    it(`${name}: usage reads vulnera ${name}, no generated filler, every argument and option described, wrapped to 72 columns`, () => {
      const text = helpText(name, command, 72)
      expect(text.startsWith(`usage: vulnera ${name} `)).toBe(true)
      for (const filler of ["A true or false value.", "A user-defined piece of text.", "An existing file.", "This setting is optional.", "One of the following:", "$ "]) {
        expect(text).not.toContain(filler)
      }
      const lines = text.split("\n")
      expect(lines.every((l) => visibleWidth(l) <= 72), lines.find((l) => visibleWidth(l) > 72)).toBe(true)
      // An argument or option starts a block after an empty line, at column 0.
      const headers = lines.flatMap((l, i) => (/^(--|<)/.test(l) && lines[i - 1] === "" ? [i] : []))
      expect(headers.length).toBeGreaterThan(2)
      for (const i of headers) {
        const next = lines.slice(i + 1).find((l) => l.trim() !== "")
        expect(next, lines[i]).toMatch(/^ {2}\S/)
      }
    })
  }
})
