/**
 * Validators for the report formats: SARIF 2.1.0 against the vendored official schema
 * (test/fixtures/sarif, JSON Schema draft-04, so `ajv-draft-04`), CycloneDX 1.6 with
 * `@cyclonedx/cyclonedx-library`'s strict JSON validator (its bundled CycloneDX schemas).
 */
import { Spec, Validation } from "@cyclonedx/cyclonedx-library"
import AjvDraft04 from "ajv-draft-04"
import addFormats from "ajv-formats"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const sarifSchema = JSON.parse(
  readFileSync(fileURLToPath(new URL("../fixtures/sarif/sarif-2.1.0-rtm.5.json", import.meta.url)), "utf8")
)

// The schema's `language` pattern (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) is valid only without the u flag.
// Both packages are CommonJS with `exports.default`; under NodeNext the default import is the module object.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false })
addFormats.default(ajv)
const validateSarifDocument = ajv.compile(sarifSchema)

/** The schema errors of a SARIF document (empty when valid). */
export const sarifErrors = (document: unknown): ReadonlyArray<string> =>
  validateSarifDocument(document) ? [] : (validateSarifDocument.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath} ${e.message}`)

const cyclonedx = new Validation.JsonStrictValidator(Spec.Version.v1dot6)

/** The CycloneDX 1.6 validator's verdict (`null` when valid). */
export const cycloneDxErrors = (document: unknown): Promise<unknown> => cyclonedx.validate(JSON.stringify(document))
