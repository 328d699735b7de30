/**
 * XML through `@rgrove/parse-xml` (strict XML 1.0, no dependencies; it replaced `fast-xml-parser`,
 * which with its own dependencies was 2.2 MB of every install): invalid XML fails naming its line,
 * then the tree becomes plain objects with every value kept as text and the start offset of each
 * element kept for line numbers. No entity is ever expanded beyond XML's five predefined ones:
 * the parser ignores DTD entity declarations (so a document cannot grow itself: billion laughs),
 * and an undefined reference stays as written.
 */
import { parseXml, XmlElement, XmlError, XmlText } from "@rgrove/parse-xml"
import { fail, isRecord, lineIndex } from "./common.js"

/** A parsed XML document: plain objects (repeated elements named in `arrays` are always arrays). */
export interface XmlDocument {
  readonly root: Record<string, unknown>
  /** The line an element (an object from `root`) starts on. */
  readonly lineOf: (element: unknown) => number | undefined
}

/** `bom` for `bom` and `cdx:bom`: namespace prefixes are dropped, as CycloneDX files use either. */
const localName = (name: string): string => name.slice(name.indexOf(":") + 1)

/**
 * An element as a plain value: its text when it has neither child elements nor attributes; else
 * an object of its children by local name (an array when repeated or named in `arrays`), its
 * attributes as `@name` and its non-blank text as `#text`.
 */
const toValue = (element: XmlElement, arrays: ReadonlySet<string>, starts: WeakMap<object, number>): unknown => {
  const children = element.children.filter((child): child is XmlElement => child instanceof XmlElement)
  const attributes = Object.entries(element.attributes)
  const text = element.children.filter((child): child is XmlText => child instanceof XmlText).map((child) => child.text).join("")
  if (children.length === 0 && attributes.length === 0) return text
  const value: Record<string, unknown> = {}
  for (const [name, attribute] of attributes) value[`@${localName(name)}`] = attribute
  const repeated = new Set<string>()
  for (const child of children) {
    const name = localName(child.name)
    const item = toValue(child, arrays, starts)
    if (!(name in value)) value[name] = arrays.has(name) ? [item] : item
    else if (arrays.has(name) || repeated.has(name)) (value[name] as Array<unknown>).push(item)
    else {
      // A second element of a name not in `arrays`: an array from now on.
      value[name] = [value[name], item]
      repeated.add(name)
    }
  }
  if (text.trim() !== "") value["#text"] = text
  starts.set(value, element.start)
  return value
}

/** Parses XML; invalid XML fails naming the line. */
export const readXml = (text: string, arrays: ReadonlySet<string>): XmlDocument => {
  let root: XmlElement | null
  try {
    root = parseXml(text, { includeOffsets: true, ignoreUndefinedEntities: true }).root
  } catch (error) {
    if (error instanceof XmlError) return fail(`not valid XML: ${error.message.split("\n")[0]}`, error.line)
    throw error
  }
  if (root === null) return fail("not an XML document")
  const starts = new WeakMap<object, number>()
  const lineAt = lineIndex(text)
  return {
    root: { [localName(root.name)]: toValue(root, arrays, starts) },
    lineOf: (element) => {
      const start = isRecord(element) ? starts.get(element) : undefined
      return start === undefined ? undefined : lineAt(start)
    }
  }
}

/** The text content of an element (`#text` when it also has attributes or child elements). */
export const textOf = (value: unknown): string | undefined => {
  if (typeof value === "string") return value.trim()
  if (isRecord(value) && typeof value["#text"] === "string") return value["#text"].trim()
  return undefined
}
