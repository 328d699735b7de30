#!/usr/bin/env node
/**
 * The `vulnera` command line (bin entry). Commands live in `./commands/`; exit codes and error
 * messages in `./failure.ts`. Parsing is @effect/cli's; this file wires the commands, maps every
 * outcome to an exit code and one-line message, and keeps library log output off stdout.
 */
import { Command } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Logger, LogLevel } from "effect"
import { demoCommand } from "./commands/demo.js"
import { healthCommand } from "./commands/health.js"
import { invalidateOssIndexCommand, ossIndexCommand } from "./commands/ossindex.js"
import { packageVersionFlag, queryCommand } from "./commands/query.js"
import { resetSyncCommand } from "./commands/reset.js"
import { scanCommand } from "./commands/scan.js"
import { syncCommand } from "./commands/sync.js"
import { verifyCommand } from "./commands/verify.js"
import { type CliExit, ExitCode, fromCause, usage } from "./failure.js"
import { helpText, helpWidth, rootHelpText, usageLine } from "./help.js"
import { storeSelectionText } from "./options.js"
import { painter, stripAnsi } from "./table.js"
import { version } from "./version.js"

const subcommands = [
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

/** What `vulnera --help` says first. */
const rootDescription =
  "A local, always-queryable copy of security advisories (OSV, CISA KEV, FIRST EPSS, OSS Index). " +
  "`vulnera sync`, then `vulnera scan FILE` in any later process. " + storeSelectionText + " Try `vulnera demo`. " +
  "Exit codes: 0 ok, 1 a failed scan gate / a failed or partial sync / a failed source, 2 bad arguments, " +
  "3 store unreachable, 130 interrupted (SIGINT), 143 terminated (SIGTERM)."

const root = Command.make("vulnera", {}, () => Effect.fail(usage("missing command", ""))).pipe(
  Command.withDescription(rootDescription),
  Command.withSubcommands(subcommands)
)

const cli = Command.run(root, { name: "vulnera", version })

/**
 * `--version` is @effect/cli's built-in flag on every command (it prints the program version and
 * exits), so `query`'s package version is declared as `--package-version`; this accepts the
 * documented `query ... --version V` spelling too.
 */
const rewriteVersionFlag = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (argv[2] !== "query") return argv
  return argv.map((arg, i) =>
    i < 3 ? arg : arg === "--version" ? `--${packageVersionFlag}` : arg.startsWith("--version=") ? `--${packageVersionFlag}=${arg.slice(10)}` : arg
  )
}


const named: ReadonlyArray<readonly [name: string, command: Command.Command<any, any, any, any>]> = [
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

/** The usage of the command named in argv, or the list of commands (stderr, after a usage error). */
const usageText = (argv: ReadonlyArray<string>): string => {
  const entry = named.find(([name]) => name === argv[2])
  if (entry === undefined) {
    return `usage: vulnera <command> [options]   (commands: ${named.map(([name]) => name).join(", ")})\n` +
      "run `vulnera --help` or `vulnera <command> --help` for details\n"
  }
  return `${usageLine(entry[0], entry[1], helpWidth(process.stderr))}\n` +
    `run \`vulnera ${entry[0]} --help\` for details\n`
}

/**
 * `vulnera [<command>] --help` (or `-h`): our help text (see `help.ts`) instead of @effect/cli's,
 * or `undefined` when argv does not ask for help.
 */
const helpRequest = (argv: ReadonlyArray<string>): string | undefined => {
  const args = argv.slice(2)
  if (!args.some((a) => a === "--help" || a === "-h")) return undefined
  const entry = named.find(([name]) => name === args[0])
  return entry === undefined ? rootHelpText(rootDescription, named) : helpText(entry[0], entry[1])
}

let exitCode: number = ExitCode.ok

const report = (exit: CliExit, argv: ReadonlyArray<string>) =>
  Effect.sync(() => {
    if (exit.message !== "") process.stderr.write(`vulnera: ${exit.message}\n`)
    if (exit.usageOf !== undefined) process.stderr.write(usageText(argv))
    exitCode = exit.code
  })

// `vulnera ... | head` closes stdout early; that ends the output, it is not an error to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(exitCode)
  })
}

const argv = rewriteVersionFlag(process.argv)

/**
 * @effect/cli writes its help and parse errors with ANSI styles even into pipes and files; this
 * wraps the console to drop them there (and under NO_COLOR), like the rest of the output.
 */
const plain = (base: Console.Console): Console.Console => {
  const strip = (stream: NodeJS.WriteStream) => (args: ReadonlyArray<unknown>) =>
    painter(stream).enabled ? args : args.map((a) => (typeof a === "string" ? stripAnsi(a) : a))
  return { ...base, log: (...args) => base.log(...strip(process.stdout)(args)), error: (...args) => base.error(...strip(process.stderr)(args)) }
}

const help = helpRequest(argv)

const program = Console.consoleWith((base) =>
  help === undefined ? Effect.withConsole(cli(argv), plain(base)) : Console.log(help.trimEnd())
).pipe(
  Effect.catchAllCause((cause) => report(fromCause(cause), argv)),
  // Library warnings (e.g. "sync unit failed") repeat what the commands report; keep them off stdout.
  Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))),
  Logger.withMinimumLogLevel(LogLevel.Error),
  Effect.provide(NodeContext.layer)
)

// runMain interrupts the program on both SIGINT and SIGTERM; remember which, for the exit code.
let terminatedBy: NodeJS.Signals | undefined
process.once("SIGTERM", () => void (terminatedBy = "SIGTERM"))
process.once("SIGINT", () => void (terminatedBy ??= "SIGINT"))

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    // A signal interrupts the program from outside, past `catchAllCause`: 130 for SIGINT, 143 for SIGTERM.
    const interrupted = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
    const code = interrupted ? (terminatedBy === "SIGTERM" ? ExitCode.terminated : ExitCode.interrupted) : exitCode
    process.exitCode = code
    // onExit calls process.exit, which drops whatever a pipe has not taken yet (a 2.8 MB JSON report
    // piped to another process was cut at 64 KB): an empty write's callback runs once every earlier
    // write on that stream is flushed.
    process.stdout.write("", () => process.stderr.write("", () => onExit(code)))
  }
})
