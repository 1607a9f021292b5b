/** Counters and gauges that describe what Tidemark does; exported for scraping elsewhere. */
import { Metric, MetricBoundaries, MetricKey, MetricLabel } from "effect"

const labelsOf = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels).map(([name, value]) => MetricLabel.make(name, value))

/*
 * Metrics whose labels are part of their key. `Metric.tagged` would add the labels on every
 * update, building a new key and looking it up in the registry each time; a labelled key's
 * registry entry is found once and kept.
 */
const labelledCounter = (
  name: string,
  description: string,
  labels: Readonly<Record<string, string>>,
) =>
  Metric.fromMetricKey(
    MetricKey.taggedWithLabels(
      MetricKey.counter(name, { description, incremental: true }),
      labelsOf(labels),
    ),
  )

const labelledHistogram = (
  name: string,
  boundaries: MetricBoundaries.MetricBoundaries,
  description: string,
  labels: Readonly<Record<string, string>>,
) =>
  Metric.fromMetricKey(
    MetricKey.taggedWithLabels(
      MetricKey.histogram(name, boundaries, description),
      labelsOf(labels),
    ),
  )

const noLabels: ReadonlyArray<MetricLabel.MetricLabel> = []

/**
 * Updates a metric at once, outside any fiber: for work that runs in none, and for hot
 * paths, where an update as an effect costs more than the work it counts. The metric's own
 * labels apply; a fiber's metric labels do not.
 */
export const updateNow = <In>(
  metric: {
    readonly unsafeUpdate: (input: In, extraTags: ReadonlyArray<MetricLabel.MetricLabel>) => void
  },
  input: In,
) => metric.unsafeUpdate(input, noLabels)

/*
 * Labelled metrics are made once per label set and found again by a key written out in
 * place: they are looked up on every request.
 */
const remember = <M>(made: Map<string, M>, key: string, metric: M): M => {
  made.set(key, metric)
  return metric
}

export type RecordingOutcome = "appended" | "unchanged" | "stale" | "failed" | "dropped"

const recordingsMade = new Map<RecordingOutcome, Metric.Metric.Counter<number>>()

export const recordings = (outcome: RecordingOutcome) =>
  recordingsMade.get(outcome) ??
  remember(
    recordingsMade,
    outcome,
    labelledCounter("tidemark_recordings_total", "Recordings by outcome", { outcome }),
  )

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

const durations = MetricBoundaries.exponential({ start: 0.0005, factor: 2, count: 16 })

export interface CallMetrics {
  readonly count: Metric.Metric.Counter<number>
  readonly seconds: Metric.Metric.Histogram<number>
}

const httpMade = new Map<string, CallMetrics>()

/** Requests by method, route and status: their count and their durations. */
export const httpRequests = (method: string, route: string, status: number): CallMetrics => {
  const key = `${method} ${route} ${status}`
  return (
    httpMade.get(key) ??
    remember(httpMade, key, {
      count: labelledCounter("tidemark_http_requests_total", "HTTP requests by route and status", {
        method,
        route,
        status: String(status),
      }),
      seconds: labelledHistogram(
        "tidemark_http_request_duration_seconds",
        durations,
        "HTTP request duration",
        { method, route, status: String(status) },
      ),
    })
  )
}

const upstreamMade = new Map<string, CallMetrics>()

/** Upstream calls by source and outcome: `outcome` is `ok` or what went wrong (`timeout`, `unreachable`, `status`, …). */
export const upstreamCalls = (source: string, outcome: string): CallMetrics => {
  const key = `${source} ${outcome}`
  return (
    upstreamMade.get(key) ??
    remember(upstreamMade, key, {
      count: labelledCounter(
        "tidemark_upstream_requests_total",
        "Upstream calls by source and outcome (retries included in one call)",
        { source, outcome },
      ),
      seconds: labelledHistogram(
        "tidemark_upstream_request_duration_seconds",
        durations,
        "Upstream call duration",
        { source, outcome },
      ),
    })
  )
}
