/**
 * The one check every identifier-like input passes before its own rule (package ecosystem and
 * name, advisory id, PURL): not blank, not longer than `maxIdentifierLength`, no control
 * characters. Shared by `PackageKey`, `Advisory` and `Purl`, which own their specific rules.
 */
import { InvalidInput } from "../Errors.js"

/** Longest accepted package name, ecosystem, advisory id or PURL (longer input is an `InvalidInput`). */
export const maxIdentifierLength = 1024

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/

/** What is wrong with `value` as the identifier `field` (an `InvalidInput` naming it), or `undefined`. */
export const identifierProblem = (field: string, value: string): InvalidInput | undefined => {
  if (value.trim().length === 0) return InvalidInput.of(field, value, "must not be empty")
  if (value.length > maxIdentifierLength) return InvalidInput.of(field, value, `longer than ${maxIdentifierLength} characters`)
  if (controlCharacters.test(value)) return InvalidInput.of(field, value, "contains control characters")
  return undefined
}
