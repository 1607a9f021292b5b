/** Where the services meet on Node and Bun: one layer for the whole application. */
import { Layer } from "effect"
import { Background } from "./Background.js"
import type { AppConfig, AppSettings } from "./Config.js"
import { Database } from "./db/Database.js"
import { HistoryWatch } from "./history/HistoryWatch.js"
import { Upstream } from "./live/Upstream.js"
import { loggerLayer, servicesLayer } from "./Services.js"
import type { Sources } from "./Sources.js"
import { prometheusLayer } from "./telemetry/prometheus.js"
import { tracingLayer } from "./telemetry/tracing.js"

export { loggerLayer }

/** Logs, traces and the metrics export: built first, so every other layer runs under them. */
export const observabilityLayer = (settings: AppSettings, isTty: boolean) =>
  Layer.mergeAll(
    loggerLayer(settings, isTty),
    tracingLayer(settings),
    prometheusLayer(settings.serviceName),
  )

/**
 * Upstream calls through undici's dispatcher on Node; on Bun, whose `undici` is a stand-in
 * without one, through node:http.
 */
const upstreamLayer = process.versions.bun === undefined ? Upstream.undici : Upstream.node

/** The whole application on Node or Bun: PGlite or PostgreSQL, a FiberSet, the upstream calls. */
export const appLayer = <E>(settings: AppSettings, sources: Layer.Layer<Sources, E, AppConfig>) =>
  servicesLayer({
    settings,
    sources,
    database: Database.layer,
    background: Background.layer,
    upstream: upstreamLayer,
    watch: HistoryWatch.layer,
  })
