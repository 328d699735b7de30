/**
 * Readers for the structured formats, each with line lookup: JSON and JSONC through `jsonc-parser`
 * (strict for JSON: a comment or trailing comma is an error), TOML through `smol-toml`, YAML through
 * `yaml`. Errors become `ParseFailure`s naming the line.
 */
import * as Jsonc from "jsonc-parser"
import { parse as parseToml, TomlError } from "smol-toml"
import { LineCounter, parseDocument, isMap, isScalar, type YAMLMap } from "yaml"
import { fail, isRecord, lineIndex, splitLines } from "./common.js"

/** A parsed JSON document and the line of any value in it. */
export interface JsonDocument {
  readonly value: unknown
  /** The line where the value at `path` starts (its property name, for an object member). */
  readonly lineOf: (path: ReadonlyArray<string | number>) => number | undefined
}

/** Parses JSON (or JSONC, with `comments`: comments and trailing commas allowed, as in bun.lock). */
export const readJson = (text: string, options: { readonly comments: boolean }): JsonDocument => {
  const errors: Array<Jsonc.ParseError> = []
  const tree = Jsonc.parseTree(text, errors, {
    disallowComments: !options.comments,
    allowTrailingComma: options.comments,
    allowEmptyContent: false
  })
  const lineAt = lineIndex(text)
  const first = errors[0]
  if (first !== undefined || tree === undefined) {
    const code = first === undefined ? "empty document" : Jsonc.printParseErrorCode(first.error)
    return fail(`not valid JSON: ${code}`, lineAt(first?.offset ?? 0))
  }
  return {
    value: Jsonc.getNodeValue(tree),
    lineOf: (path) => {
      const node = Jsonc.findNodeAtLocation(tree, path as Array<string | number>)
      if (node === undefined) return undefined
      // An object member's value node: point at its property name.
      const at = node.parent?.type === "property" ? node.parent.offset : node.offset
      return lineAt(at)
    }
  }
}

/** Parses TOML; an invalid document fails naming the line. */
export const readToml = (text: string): Record<string, unknown> => {
  try {
    return parseToml(text) as Record<string, unknown>
  } catch (error) {
    if (error instanceof TomlError) return fail(`not valid TOML: ${error.message.split("\n")[0]}`, error.line)
    return fail(`not valid TOML: ${String(error)}`)
  }
}

/**
 * The lines of the `[[header]]` tables of a TOML document, in order (smol-toml keeps no positions).
 * The n-th table of the parsed array starts at the n-th line returned.
 */
export const tableLines = (text: string, header: string): Array<number> => {
  const out: Array<number> = []
  const pattern = new RegExp(`^\\s*\\[\\[\\s*${header.replace(/[.]/g, "\\.")}\\s*\\]\\]\\s*(#.*)?$`)
  splitLines(text).forEach((line, i) => {
    if (pattern.test(line)) out.push(i + 1)
  })
  return out
}

/** A parsed YAML document: its plain value and the line of each key of a top-level map. */
export interface YamlDocument {
  readonly value: Record<string, unknown>
  /** Line of `key` inside the top-level mapping `section`. */
  readonly keyLine: (section: string, key: string) => number | undefined
}

/** Parses YAML (one document); syntax errors fail naming the line. */
export const readYaml = (text: string): YamlDocument => {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false })
  const error = doc.errors[0]
  if (error !== undefined) {
    return fail(`not valid YAML: ${error.message.split("\n")[0]}`, error.linePos?.[0]?.line)
  }
  const value: unknown = doc.toJS({ maxAliasCount: 10_000 })
  if (!isRecord(value)) return fail("not a YAML mapping")
  const lines = new Map<string, Map<string, number>>()
  if (isMap(doc.contents)) {
    for (const section of doc.contents.items) {
      if (!isScalar(section.key) || !isMap(section.value)) continue
      const keys = new Map<string, number>()
      for (const item of (section.value as YAMLMap).items) {
        if (isScalar(item.key) && item.key.range) keys.set(String(item.key.value), counter.linePos(item.key.range[0]).line)
      }
      lines.set(String(section.key.value), keys)
    }
  }
  return { value, keyLine: (section, key) => lines.get(section)?.get(key) }
}
