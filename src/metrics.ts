/** Counters and gauges that describe what Tidemark does; exported for scraping elsewhere. */
import { Metric, MetricBoundaries } from "effect"

export type RecordingOutcome = "appended" | "unchanged" | "stale" | "failed" | "dropped"

export const recordings = (outcome: RecordingOutcome) =>
  Metric.counter("tidemark_recordings_total", {
    description: "Recordings by outcome",
    incremental: true,
  }).pipe(Metric.tagged("outcome", outcome))

export const coalescedRequests = Metric.counter("tidemark_coalesced_requests_total", {
  description: "Live requests that shared another request's upstream call",
  incremental: true,
})

export const recorderQueueDepth = Metric.gauge("tidemark_recorder_queue_depth", {
  description: "Recordings pending",
})

export const recordingLag = Metric.histogram(
  "tidemark_recording_lag_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 16 }),
  "Time from the live answer to its recording's outcome",
)

export const databaseErrors = Metric.counter("tidemark_database_errors_total", {
  description: "Failed database operations",
  incremental: true,
})
