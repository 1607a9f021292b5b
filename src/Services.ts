/** The application's services in one layer, for any runtime: each entry point picks the parts that differ. */
import { Layer, Logger, LogLevel } from "effect"
import type { Background } from "./Background.js"
import { AppConfig, type AppSettings } from "./Config.js"
import type { Database } from "./db/Database.js"
import { Browse } from "./history/Browse.js"
import { History } from "./history/History.js"
import type { HistoryWatch } from "./history/HistoryWatch.js"
import { Feed } from "./live/Feed.js"
import { Live } from "./live/Live.js"
import { Recorder } from "./live/Recorder.js"
import type { Upstream } from "./live/Upstream.js"
import type { Sources } from "./Sources.js"

const levels = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
} as const

export const loggerLayer = (settings: AppSettings, isTty: boolean) =>
  Layer.merge(
    (settings.logFormat ?? (isTty ? "pretty" : "json")) === "json" ? Logger.json : Logger.pretty,
    Logger.minimumLogLevel(levels[settings.logLevel]),
  )

export interface ServiceParts<ES, ED, EU> {
  readonly settings: AppSettings
  readonly sources: Layer.Layer<Sources, ES, AppConfig>
  readonly database: Layer.Layer<Database, ED, AppConfig>
  readonly background: Layer.Layer<Background>
  readonly upstream: Layer.Layer<Upstream, EU>
  /** What the recorder hears of versions written by others (see HistoryWatch). */
  readonly watch: Layer.Layer<HistoryWatch, never, AppConfig>
}

/**
 * The background fibers are built on top of the database, so at shutdown they are
 * released (after draining) before the database closes.
 */
export const servicesLayer = <ES, ED, EU>(parts: ServiceParts<ES, ED, EU>) => {
  const base = Layer.mergeAll(parts.background, Feed.layer, parts.watch).pipe(
    Layer.provideMerge(parts.database),
    Layer.provideMerge(parts.sources),
    Layer.provideMerge(AppConfig.make(parts.settings)),
  )
  const history = Layer.mergeAll(History.layer, Browse.layer).pipe(Layer.provideMerge(base))
  return Live.layer.pipe(
    Layer.provideMerge(parts.upstream),
    Layer.provideMerge(Recorder.layer),
    Layer.provideMerge(history),
  )
}
