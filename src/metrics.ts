/** Counters and gauges that describe what Tidemark does; exported for scraping elsewhere. */
import { Metric, MetricBoundaries } from "effect"

/** Tagged metrics made once per label set: they are looked up on every request. */
const memo = <M>(make: (...labels: ReadonlyArray<string>) => M) => {
  const made = new Map<string, M>()
  return (...labels: ReadonlyArray<string>): M => {
    const key = labels.join("\u0000")
    let metric = made.get(key)
    if (metric === undefined) {
      metric = make(...labels)
      made.set(key, metric)
    }
    return metric
  }
}

export type RecordingOutcome = "appended" | "unchanged" | "stale" | "failed" | "dropped"

const recordingsBy = memo((outcome = "") =>
  Metric.counter("tidemark_recordings_total", {
    description: "Recordings by outcome",
    incremental: true,
  }).pipe(Metric.tagged("outcome", outcome)),
)

export const recordings = (outcome: RecordingOutcome) => recordingsBy(outcome)

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

const httpRequestsBy = memo((method = "", route = "", status = "") =>
  Metric.counter("tidemark_http_requests_total", {
    description: "HTTP requests by route and status",
    incremental: true,
  }).pipe(
    Metric.tagged("method", method),
    Metric.tagged("route", route),
    Metric.tagged("status", status),
  ),
)

const httpRequestDurationBy = memo((method = "", route = "", status = "") =>
  Metric.histogram("tidemark_http_request_duration_seconds", seconds, "HTTP request duration").pipe(
    Metric.tagged("method", method),
    Metric.tagged("route", route),
    Metric.tagged("status", status),
  ),
)

export const httpRequests = (method: string, route: string, status: number) =>
  httpRequestsBy(method, route, String(status))

export const httpRequestDuration = (method: string, route: string, status: number) =>
  httpRequestDurationBy(method, route, String(status))

/** `outcome` is `ok` or what went wrong (`timeout`, `unreachable`, `status`, …). */
export const upstreamRequests = memo((source = "", outcome = "") =>
  Metric.counter("tidemark_upstream_requests_total", {
    description: "Upstream calls by source and outcome (retries included in one call)",
    incremental: true,
  }).pipe(Metric.tagged("source", source), Metric.tagged("outcome", outcome)),
)

export const upstreamDuration = memo((source = "", outcome = "") =>
  Metric.histogram(
    "tidemark_upstream_request_duration_seconds",
    seconds,
    "Upstream call duration",
  ).pipe(Metric.tagged("source", source), Metric.tagged("outcome", outcome)),
)
