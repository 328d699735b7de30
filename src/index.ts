/**
 * vulnera-advisor: a local, always-queryable copy of security advisories for Effect programs.
 *
 * @since 0.1.0
 */
export * as Advisory from "./Advisory.js"
export * as AdvisorySource from "./AdvisorySource.js"
export * as AdvisoryStore from "./AdvisoryStore.js"
export * as AliasGroups from "./AliasGroups.js"
export * as Compression from "./Compression.js"
export * as Cvss from "./Cvss.js"
export * as DragonflyStore from "./DragonflyStore.js"
export * as EnrichmentData from "./EnrichmentData.js"
export * as EpssSource from "./EpssSource.js"
export * as Errors from "./Errors.js"
export * as HealthStatus from "./HealthStatus.js"
export * as KevSource from "./KevSource.js"
export * as MatchOptions from "./MatchOptions.js"
export * as MemoryStore from "./MemoryStore.js"
export * as OssIndexCacheEntry from "./OssIndexCacheEntry.js"
export * as OssIndexSource from "./OssIndexSource.js"
export * as OsvSource from "./OsvSource.js"
export * as PackageKey from "./PackageKey.js"
export * as Purl from "./Purl.js"
export * as Retry from "./Retry.js"
export * as StoreConfig from "./StoreConfig.js"
export * as Sync from "./Sync.js"
export * as Versions from "./Versions.js"
export * as VulnerabilityManager from "./VulnerabilityManager.js"
