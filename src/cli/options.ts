/**
 * Options several commands share (store and data options are in `environment.ts`).
 */
import { Options } from "@effect/cli"

/** `--json`: machine-readable output on stdout. */
export const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

