#!/usr/bin/env node
/**
 * The `vulnera` command line (bin entry). Commands live in `./commands/`; exit codes and error
 * messages in `./failure.ts`. Parsing is @effect/cli's; this file wires the commands, maps every
 * outcome to an exit code and one-line message, and keeps library log output off stdout.
 */
import { Command } from "@effect/cli"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { Cause, Console, Effect, Exit, Layer, Logger, LogLevel } from "effect"
import { helpRequest, named, rootDescription, subcommands } from "./commandList.js"
import { packageVersionFlag } from "./commands/query.js"
import { type CliExit, ExitCode, fromCause, usage } from "./failure.js"
import { usageLine } from "./help.js"
import { helpWidth } from "./helpRequest.js"
import { painter, stripAnsi } from "./table.js"
import { version } from "./version.js"

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
  // What @effect/cli needs (`CliApp.Environment`), not all of `NodeContext.layer`: its command
  // executor and worker manager would load child_process and worker_threads into every run.
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer))
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
