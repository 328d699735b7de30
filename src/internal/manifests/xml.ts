/**
 * XML through `fast-xml-parser`: validated first (so a truncated file fails naming its line), then
 * parsed with every value kept as text and element start offsets kept for line numbers.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser"
import { fail, isRecord, lineIndex } from "./common.js"

/** A parsed XML document: plain objects (repeated elements named in `arrays` are always arrays). */
export interface XmlDocument {
  readonly root: Record<string, unknown>
  /** The line an element (an object from `root`) starts on. */
  readonly lineOf: (element: unknown) => number | undefined
}

const metadata = XMLParser.getMetaDataSymbol() as unknown as string

/** Parses XML; invalid XML fails naming the line. */
export const readXml = (text: string, arrays: ReadonlySet<string>): XmlDocument => {
  const valid = XMLValidator.validate(text)
  if (valid !== true) return fail(`not valid XML: ${valid.err.msg}`, valid.err.line)
  const parser = new XMLParser({
    captureMetaData: true,
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    parseTagValue: false,
    parseAttributeValue: false,
    removeNSPrefix: true,
    // No entity expansion: a document cannot grow itself (billion laughs).
    processEntities: false,
    isArray: (name) => arrays.has(name)
  })
  const root: unknown = parser.parse(text)
  if (!isRecord(root)) return fail("not an XML document")
  const lineAt = lineIndex(text)
  return {
    root,
    lineOf: (element) => {
      const start = isRecord(element) ? (element[metadata] as { startIndex?: number } | undefined)?.startIndex : undefined
      return start === undefined ? undefined : lineAt(start)
    }
  }
}

/** The text content of an element (`fast-xml-parser` gives `#text` when it also has attributes). */
export const textOf = (value: unknown): string | undefined => {
  if (typeof value === "string") return value.trim()
  if (isRecord(value) && typeof value["#text"] === "string") return value["#text"].trim()
  return undefined
}
