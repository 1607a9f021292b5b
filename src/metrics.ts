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
  "tidemark_answer_to_recorded_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 16 }),
  "Time from the live answer to its recording's outcome",
)

export const databaseErrors = Metric.counter("tidemark_database_errors_total", {
  description: "Failed database operations",
  incremental: true,
})

const seconds = MetricBoundaries.exponential({ start: 0.0005, factor: 2, count: 16 })

export const httpRequests = (method: string, route: string, status: number) =>
  Metric.counter("tidemark_http_requests_total", {
    description: "HTTP requests by route and status",
    incremental: true,
  }).pipe(
    Metric.tagged("method", method),
    Metric.tagged("route", route),
    Metric.tagged("status", String(status)),
  )

export const httpRequestDuration = (method: string, route: string, status: number) =>
  Metric.histogram("tidemark_http_request_duration_seconds", seconds, "HTTP request duration").pipe(
    Metric.tagged("method", method),
    Metric.tagged("route", route),
    Metric.tagged("status", String(status)),
  )

/** `outcome` is `ok` or the problem code of the failure. */
export const upstreamRequests = (source: string, outcome: string) =>
  Metric.counter("tidemark_upstream_requests_total", {
    description: "Upstream calls by source and outcome (retries included in one call)",
    incremental: true,
  }).pipe(Metric.tagged("source", source), Metric.tagged("outcome", outcome))

export const upstreamDuration = (source: string, outcome: string) =>
  Metric.histogram(
    "tidemark_upstream_request_duration_seconds",
    seconds,
    "Upstream call duration",
  ).pipe(Metric.tagged("source", source), Metric.tagged("outcome", outcome))
