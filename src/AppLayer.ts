/** Where the services meet: one layer for the whole application. */
import { Layer, Logger, LogLevel } from "effect"
import { Background } from "./Background.js"
import { AppConfig, type AppSettings } from "./Config.js"
import { Database } from "./db/Database.js"
import { Browse } from "./history/Browse.js"
import { History } from "./history/History.js"
import { Feed } from "./live/Feed.js"
import { Live } from "./live/Live.js"
import { Recorder } from "./live/Recorder.js"
import { Upstream } from "./live/Upstream.js"
import type { Sources } from "./Sources.js"
import { prometheusLayer } from "./telemetry/prometheus.js"
import { tracingLayer } from "./telemetry/tracing.js"

const levels = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
} as const

/** Logs, traces and the metrics export: built first, so every other layer runs under them. */
export const observabilityLayer = (settings: AppSettings, isTty: boolean) =>
  Layer.mergeAll(
    loggerLayer(settings, isTty),
    tracingLayer(settings),
    prometheusLayer(settings.serviceName),
  )

export const loggerLayer = (settings: AppSettings, isTty: boolean) =>
  Layer.merge(
    (settings.logFormat ?? (isTty ? "pretty" : "json")) === "json" ? Logger.json : Logger.pretty,
    Logger.minimumLogLevel(levels[settings.logLevel]),
  )

/**
 * The background fibers are built on top of the database, so at shutdown they are
 * released (after draining) before the database closes.
 */
export const appLayer = <E>(settings: AppSettings, sources: Layer.Layer<Sources, E, AppConfig>) => {
  const base = Layer.merge(Background.layer, Feed.layer).pipe(
    Layer.provideMerge(Database.layer),
    Layer.provideMerge(sources),
    Layer.provideMerge(AppConfig.make(settings)),
  )
  const history = Layer.mergeAll(History.layer, Browse.layer).pipe(Layer.provideMerge(base))
  return Live.layer.pipe(
    Layer.provideMerge(Upstream.node),
    Layer.provideMerge(Recorder.layer),
    Layer.provideMerge(history),
  )
}
