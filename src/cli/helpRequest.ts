/**
 * Whether argv asks for help, and at which width: no imports, so the bin entry (`vulnera.ts`)
 * can answer `--help` from the texts `scripts/build-cli.ts` rendered at build time without
 * loading @effect/cli, and `main.ts` applies the very same rule when it renders them itself.
 */

/** The width help is wrapped to: the terminal's, else 80 (pipes, files), at least 40. */
export const helpWidth = (stream: NodeJS.WriteStream = process.stdout): number =>
  Math.max(40, stream.isTTY === true && stream.columns !== undefined ? stream.columns : 80)

/** The width of the help texts rendered at build time (what pipes and files get). */
export const prerenderedWidth = 80

/** The file next to the bundle holding the help texts rendered at build time, by topic. */
export const prerenderedFile = "vulnera-help.json"

/**
 * The help topic argv (without `node` and the script) asks for: a command's name when the first
 * argument names one, `""` (the root help) otherwise; `undefined` without `--help` / `-h`.
 */
export const helpTopic = (args: ReadonlyArray<string>, commands: ReadonlyArray<string>): string | undefined => {
  if (!args.some((a) => a === "--help" || a === "-h")) return undefined
  return args[0] !== undefined && commands.includes(args[0]) ? args[0] : ""
}
