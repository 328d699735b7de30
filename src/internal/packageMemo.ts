/**
 * One remembered answer per object, for the last package asked about, held weakly: matching and
 * reports ask the same question of an advisory or an `affected` entry about the same package many
 * times in a row (each version of a dependency, then each candidate fix in remediation), and a
 * scan asks about one package per object. The objects are decoded advisories and their parts,
 * never mutated after decoding, so an answer lives as long as its object does.
 */
import type * as PackageKey from "../PackageKey.js"

/** `compute` remembered per object for the last package it was asked about. */
export const lastPackageMemo = <O extends object, V>(compute: (object: O, key: PackageKey.PackageKey) => V) => {
  const answers = new WeakMap<O, { readonly ecosystem: string; readonly name: string; readonly value: V }>()
  return (object: O, key: PackageKey.PackageKey): V => {
    const last = answers.get(object)
    if (last !== undefined && last.ecosystem === key.ecosystem && last.name === key.name) return last.value
    const value = compute(object, key)
    answers.set(object, { ecosystem: key.ecosystem, name: key.name, value })
    return value
  }
}
