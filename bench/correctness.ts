/**
 * What a target's history says against what the upstream served. Every generation of a
 * key's value that the upstream served went to the target (it is the upstream's only
 * client), so each one is a value that some answer of the target carried.
 */
import type { RecordedVersion } from "./postgres.js"

export interface Correctness {
  /** Distinct values the upstream served (generations, summed over keys). */
  readonly served: number
  /** Versions recorded for those keys. */
  readonly recorded: number
  /** Distinct values among them, per key, summed. */
  readonly distinct: number
  /** Versions equal to their predecessor (the same value recorded twice in a row). */
  readonly duplicates: number
  /**
   * Versions whose value is older than their predecessor's: overlapping calls that started
   * in one order and were served in the other (observations are ordered by their start).
   */
  readonly backwards: number
  /** Served values never recorded. */
  readonly missed: number
  /** Keys whose last served value is not their latest recorded version. */
  readonly staleKeys: number
  readonly dropped: number
  readonly failed: number
  /**
   * Observations that started before the latest recorded one and so, by guarantee 4, were
   * never recorded (Tidemark's counter over the measured window, where it exports one).
   */
  readonly stale: number | undefined
  /** From the upstream sending the answer to the version being recorded, in ms. */
  readonly lagP50: number
  readonly lagP99: number
}

const percentile = (values: Array<number>, p: number) => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN
}

export const judge = (
  servedCounts: Readonly<Record<string, number>>,
  changeEvery: number,
  versions: ReadonlyArray<RecordedVersion>,
  dropped: number,
  failed: number,
  stale?: number,
): Correctness => {
  const byKey = new Map<string, Array<RecordedVersion>>()
  for (const version of versions) {
    const list = byKey.get(version.key) ?? []
    list.push(version)
    byKey.set(version.key, list)
  }
  let served = 0
  let missed = 0
  let staleKeys = 0
  let duplicates = 0
  let backwards = 0
  let distinct = 0
  for (const [key, count] of Object.entries(servedCounts)) {
    const generations = Math.floor((count - 1) / changeEvery) + 1
    served += generations
    const recorded = byKey.get(key) ?? []
    const seen = new Set<number>()
    let previous: number | undefined
    for (const version of recorded) {
      if (version.generation === previous) duplicates++
      if (previous !== undefined && version.generation < previous) backwards++
      seen.add(version.generation)
      previous = version.generation
    }
    distinct += seen.size
    for (let generation = 0; generation < generations; generation++) {
      if (!seen.has(generation)) missed++
    }
    if (previous !== generations - 1) staleKeys++
  }
  const lags = versions.map((version) => version.recordedAt - version.servedAt)
  return {
    served,
    recorded: versions.length,
    distinct,
    duplicates,
    backwards,
    missed,
    staleKeys,
    dropped,
    failed,
    stale,
    lagP50: percentile(lags, 0.5),
    lagP99: percentile(lags, 0.99),
  }
}
