/**
 * The `--fail-on` thresholds, apart from the report code so the CLI's option definitions load none
 * of it. Re-exported by `ScanReport`.
 */
/**
 * Severity thresholds of `--fail-on`, lowest first. `any`: every finding.
 */
export const thresholds = ["any", "low", "medium", "high", "critical"] as const

/**
 * A `--fail-on` threshold.
 */
export type Threshold = (typeof thresholds)[number]
