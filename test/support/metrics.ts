/** Reads Tidemark's counters through its runtime; suites compare before and after. */
import { Effect, Metric } from "effect"
import { Recorder } from "../../src/live/Recorder.js"
import { type RecordingOutcome, recordings } from "../../src/metrics.js"
import type { TestApp } from "./tidemark.js"

export const counterValue = async (
  tidemark: TestApp,
  counter: Metric.Metric.Counter<number>,
): Promise<number> => (await tidemark.runtime.runPromise(Metric.value(counter))).count

export const recordingsCount = (tidemark: TestApp, outcome: RecordingOutcome) =>
  counterValue(tidemark, recordings(outcome))

/** Every recording outcome's count, so a test can compare two snapshots. */
export const recordingsSnapshot = async (
  tidemark: TestApp,
): Promise<Record<RecordingOutcome, number>> => {
  const [appended, unchanged, stale, failed, dropped] = await Promise.all([
    recordingsCount(tidemark, "appended"),
    recordingsCount(tidemark, "unchanged"),
    recordingsCount(tidemark, "stale"),
    recordingsCount(tidemark, "failed"),
    recordingsCount(tidemark, "dropped"),
  ])
  return { appended, unchanged, stale, failed, dropped }
}

/** What each outcome's count grew by since `before`. */
export const recordingsSince = async (
  tidemark: TestApp,
  before: Record<RecordingOutcome, number>,
): Promise<Record<RecordingOutcome, number>> => {
  const after = await recordingsSnapshot(tidemark)
  return {
    appended: after.appended - before.appended,
    unchanged: after.unchanged - before.unchanged,
    stale: after.stale - before.stale,
    failed: after.failed - before.failed,
    dropped: after.dropped - before.dropped,
  }
}

export const pendingRecordings = (tidemark: TestApp) =>
  tidemark.runtime.runPromise(Effect.flatMap(Recorder, (recorder) => recorder.pending))
