/**
 * The commands of `vulnera`, by name, and what the root help says first: shared by `main.ts`
 * (parsing, help, usage lines) and `scripts/build-cli.ts` (which renders the help texts at build
 * time). No side effects on import.
 */
import type { Command } from "@effect/cli"
import { demoCommand } from "./commands/demo.js"
import { healthCommand } from "./commands/health.js"
import { invalidateOssIndexCommand, ossIndexCommand } from "./commands/ossindex.js"
import { queryCommand } from "./commands/query.js"
import { resetSyncCommand } from "./commands/reset.js"
import { scanCommand } from "./commands/scan.js"
import { syncCommand } from "./commands/sync.js"
import { verifyCommand } from "./commands/verify.js"
import { helpText, rootHelpText } from "./help.js"
import { helpTopic } from "./helpRequest.js"
import { storeSelectionText } from "./options.js"

/** What `vulnera --help` says first. */
export const rootDescription =
  "A local, always-queryable copy of security advisories (OSV, CISA KEV, FIRST EPSS, OSS Index). " +
  "`vulnera sync`, then `vulnera scan FILE` in any later process. " + storeSelectionText + " Try `vulnera demo`. " +
  "Exit codes: 0 ok, 1 a failed scan gate / a failed or partial sync / a failed source, 2 bad arguments, " +
  "3 store unreachable, 130 interrupted (SIGINT), 143 terminated (SIGTERM)."

/** The subcommands of `vulnera`, typed (for @effect/cli's parser), in the order the root help lists them. */
export const subcommands = [
  syncCommand,
  queryCommand,
  scanCommand,
  ossIndexCommand,
  healthCommand,
  resetSyncCommand,
  verifyCommand,
  invalidateOssIndexCommand,
  demoCommand
] as const

/** Every command with the name it is invoked by, in the same order. */
export const named: ReadonlyArray<readonly [name: string, command: Command.Command<any, any, any, any>]> = [
  ["sync", syncCommand],
  ["query", queryCommand],
  ["scan", scanCommand],
  ["ossindex", ossIndexCommand],
  ["health", healthCommand],
  ["reset-sync", resetSyncCommand],
  ["verify", verifyCommand],
  ["invalidate-ossindex", invalidateOssIndexCommand],
  ["demo", demoCommand]
]

/** The help text of a topic (`""`: the root help; else a command's name) at `width`. */
export const helpFor = (topic: string, width?: number): string => {
  const entry = named.find(([name]) => name === topic)
  return entry === undefined ? rootHelpText(rootDescription, named, width) : helpText(entry[0], entry[1], width)
}

/** `vulnera [<command>] --help` (or `-h`): the help text argv asks for, else `undefined`. */
export const helpRequest = (argv: ReadonlyArray<string>): string | undefined => {
  const topic = helpTopic(argv.slice(2), named.map(([name]) => name))
  return topic === undefined ? undefined : helpFor(topic)
}

/** Every help text at `width`, by topic (`""`: the root help), as the bin entry serves them. */
export const allHelpTexts = (width: number): Record<string, string> =>
  Object.fromEntries([["", helpFor("", width)], ...named.map(([name]) => [name, helpFor(name, width)])])
