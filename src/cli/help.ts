/**
 * `--help` text. @effect/cli's own help prints filler for every typed option ("A true or false
 * value.", "A user-defined piece of text.", "An existing file.", "One of the following: …",
 * "This setting is optional."), usage as `$ scan`, and never wraps. This renders the same
 * `HelpDoc`, drops those generated sentences (each option here has its own description), keeps
 * defaults as `Default: X`, starts with `usage: vulnera <command> …`, and wraps every paragraph
 * to the terminal width with its indentation, measuring with `string-width` (`visibleWidth`).
 */
import { CliConfig, Command, HelpDoc, Usage } from "@effect/cli"
import { helpWidth } from "./helpRequest.js"
import { stripAnsi, visibleWidth } from "./table.js"

const filler = [
  /^A true or false value\.$/,
  /^A user-defined piece of text( that is confidential)?\.$/,
  /^An? (existing )?(file|directory|file or directory)( that must not exist)?\.$/,
  /^A (file|directory|file or directory) that must not exist\.$/,
  /^One of the following: .*$/,
  /^An integer\.$/,
  /^A floating point number\.$/,
  /^This setting is optional\.$/
]

/** Wraps one line to `width` columns, continuing at the line's own indentation. */
export const wrapLine = (line: string, width: number, hanging = 0): ReadonlyArray<string> => {
  if (visibleWidth(line) <= width) return [line]
  const indent = /^\s*/.exec(line)![0]
  const words = line.slice(indent.length).split(/ +/)
  const out: Array<string> = []
  let current = indent
  const continuation = indent + " ".repeat(hanging)
  for (const word of words) {
    const start = current === indent || current === continuation
    const candidate = start ? current + word : `${current} ${word}`
    if (!start && visibleWidth(candidate) > width) {
      out.push(current)
      current = continuation + word
    } else current = candidate
  }
  out.push(current)
  return out
}

/** Help text without generated filler, wrapped to `width`. */
const clean = (text: string, width: number): string => {
  const lines: Array<string> = []
  for (const raw of stripAnsi(text).split("\n")) {
    const trimmed = raw.trim()
    if (filler.some((re) => re.test(trimmed))) continue
    const defaults = /^This setting is optional\. Defaults to: (.*)$/.exec(trimmed)
    const line = defaults === null ? raw.trimEnd() : `${raw.slice(0, raw.indexOf("This"))}Default: ${defaults[1]}`
    if (line === "" && (lines.length === 0 || lines[lines.length - 1] === "")) continue
    lines.push(...wrapLine(line, width))
  }
  return lines.join("\n").trim()
}


/** `usage: vulnera <name> …`, wrapped with a hanging indent. */
export const usageLine = (
  name: string,
  command: Command.Command<any, any, any, any>,
  width: number
): string => {
  const usage = stripAnsi(HelpDoc.toAnsiText(Usage.getHelp(Command.getUsage(command)))).trim()
  // The root's usage starts with its own name.
  const text = usage.startsWith(`${name} `) || usage === name ? usage : `${name} ${usage}`
  return wrapLine(`usage: vulnera ${text.replace(/^vulnera ?/, "")}`.trimEnd(), width, 4).join("\n")
}

/** The full help of a command. */
export const helpText = (
  name: string,
  command: Command.Command<any, any, any, any>,
  width: number = helpWidth()
): string =>
  `${usageLine(name, command, width)}\n\n${clean(HelpDoc.toAnsiText(Command.getHelp(command, CliConfig.defaultConfig)), width)}\n`

/** The first sentence of a command's DESCRIPTION section (for the root's command list). */
const summaryOf = (command: Command.Command<any, any, any, any>): string => {
  const text = stripAnsi(HelpDoc.toAnsiText(Command.getHelp(command, CliConfig.defaultConfig)))
  const lines = text.split("\n")
  const start = lines.findIndex((l) => l.trim() === "DESCRIPTION")
  const paragraph: Array<string> = []
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "" && paragraph.length > 0) break
    if (line.trim() !== "") paragraph.push(line.trim())
  }
  const joined = paragraph.join(" ")
  return /^.*?\.(?=\s|$)/.exec(joined)?.[0] ?? joined
}

/** The root help: what vulnera is, then each command with its first sentence. */
export const rootHelpText = (
  description: string,
  commands: ReadonlyArray<readonly [name: string, command: Command.Command<any, any, any, any>]>,
  width: number = helpWidth()
): string => {
  const nameWidth = Math.max(...commands.map(([name]) => name.length)) + 2
  return [
    "usage: vulnera <command> [options]",
    "",
    ...wrapLine(description, width),
    "",
    "COMMANDS",
    "",
    ...commands.flatMap(([name, command]) =>
      wrapLine(summaryOf(command), Math.max(20, width - nameWidth - 2)).map((line, i) =>
        `  ${(i === 0 ? name : "").padEnd(nameWidth)}${line}`
      )
    ),
    "",
    ...wrapLine("Run `vulnera <command> --help` for its arguments and options; `vulnera --version` prints the version.", width)
  ].join("\n") + "\n"
}
