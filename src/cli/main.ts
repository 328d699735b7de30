#!/usr/bin/env node
/**
 * The `vulnera` command line (bin entry). Commands live in `./commands/`; exit codes and error
 * messages in `./failure.ts`. Parsing is @effect/cli's; this file wires the commands, maps every
 * outcome to an exit code and one-line message, and keeps library log output off stdout.
 */
import { Command, HelpDoc, Usage } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Logger, LogLevel } from "effect"
import { demoCommand } from "./commands/demo.js"
import { healthCommand } from "./commands/health.js"
import { invalidateOssIndexCommand, ossIndexCommand } from "./commands/ossindex.js"
import { packageVersionFlag, queryCommand } from "./commands/query.js"
import { resetSyncCommand } from "./commands/reset.js"
import { scanCommand } from "./commands/scan.js"
import { syncCommand } from "./commands/sync.js"
import { type CliExit, ExitCode, fromCause, usage } from "./failure.js"
import { painter, stripAnsi } from "./table.js"
import { version } from "./version.js"

const subcommands = [
  syncCommand,
  queryCommand,
  scanCommand,
  ossIndexCommand,
  healthCommand,
  resetSyncCommand,
  invalidateOssIndexCommand,
  demoCommand
] as const

const root = Command.make("vulnera", {}, () => Effect.fail(usage("missing command", ""))).pipe(
  Command.withDescription(
    "A local, always-queryable copy of security advisories (OSV, CISA KEV, FIRST EPSS, OSS Index). Store: " +
      "--redis URL or REDIS_URL (Redis/DragonflyDB), otherwise in memory for one run. Try `vulnera demo`. " +
      "Exit codes: 0 ok, 1 findings at --fail-on / a failed sync or source, 2 bad arguments, 3 store unreachable."
  ),
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

const plainUnlessColored = (text: string) => (painter(process.stderr).enabled ? text : stripAnsi(text))

const usages: ReadonlyArray<readonly [name: string, usage: Usage.Usage]> = [
  ["sync", Command.getUsage(syncCommand)],
  ["query", Command.getUsage(queryCommand)],
  ["scan", Command.getUsage(scanCommand)],
  ["ossindex", Command.getUsage(ossIndexCommand)],
  ["health", Command.getUsage(healthCommand)],
  ["reset-sync", Command.getUsage(resetSyncCommand)],
  ["invalidate-ossindex", Command.getUsage(invalidateOssIndexCommand)],
  ["demo", Command.getUsage(demoCommand)]
]

/** The usage of the command named in argv, or the list of commands. */
const usageText = (argv: ReadonlyArray<string>): string => {
  const entry = usages.find(([name]) => name === argv[2])
  if (entry === undefined) {
    return `usage: vulnera <command> [options]   (commands: ${usages.map(([name]) => name).join(", ")})\n` +
      "run `vulnera --help` or `vulnera <command> --help` for details\n"
  }
  return `usage: vulnera ${plainUnlessColored(HelpDoc.toAnsiText(Usage.getHelp(entry[1]))).trim()}\n` +
    `run \`vulnera ${entry[0]} --help\` for details\n`
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

const program = Console.consoleWith((base) => Effect.withConsole(cli(argv), plain(base))).pipe(
  Effect.catchAllCause((cause) => report(fromCause(cause), argv)),
  // Library warnings (e.g. "sync unit failed") repeat what the commands report; keep them off stdout.
  Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))),
  Logger.withMinimumLogLevel(LogLevel.Error),
  Effect.provide(NodeContext.layer)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    // Ctrl-C interrupts the program from outside, past `catchAllCause`.
    const code = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? ExitCode.interrupted : exitCode
    process.exitCode = code
    onExit(code)
  }
})
