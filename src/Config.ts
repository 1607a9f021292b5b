/** The one place that reads the environment. */
import { Config, ConfigError, Context, Either, Layer, Redacted } from "effect"

export type DatabaseTarget =
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }
  | { readonly _tag: "PgliteDir"; readonly dataDir: string }
  | { readonly _tag: "PgliteMemory" }

export type LogLevelName = "debug" | "info" | "warn" | "error"
export type LogFormat = "pretty" | "json"

export interface AppSettings {
  readonly port: number
  readonly host: string
  readonly database: DatabaseTarget
  readonly sourcesPath: string
  readonly apiToken: Redacted.Redacted<string> | undefined
  readonly logLevel: LogLevelName
  readonly logFormat: LogFormat | undefined
  readonly shutdownTimeoutMs: number
  readonly recorderQueueMax: number
  /** PostgreSQL connections pooled at most (the watch's listening connection is one more). */
  readonly dbPoolSize: number
  readonly metricsToken: Redacted.Redacted<string> | undefined
  readonly otlpEndpoint: string | undefined
  readonly serviceName: string
}

const nonNegativeInteger = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "Expected an integer of 0 or more", validation: (n) => n >= 0 }),
    Config.withDefault(fallback),
  )

const positiveInteger = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "Expected an integer of 1 or more", validation: (n) => n >= 1 }),
    Config.withDefault(fallback),
  )

const databaseTarget: Config.Config<DatabaseTarget> = Config.all({
  url: Config.option(Config.redacted("DATABASE_URL")),
  dataDir: Config.string("TIDEMARK_DATA_DIR").pipe(Config.withDefault("./data")),
}).pipe(
  Config.mapOrFail(({ url, dataDir }): Either.Either<DatabaseTarget, ConfigError.ConfigError> => {
    if (url._tag === "None") return Either.right({ _tag: "PgliteDir", dataDir })
    const scheme = Redacted.value(url.value).split(":", 1)[0]
    if (scheme === "memory") return Either.right({ _tag: "PgliteMemory" })
    if (scheme === "postgres" || scheme === "postgresql") {
      return Either.right({ _tag: "Postgres", url: url.value })
    }
    return Either.left(
      ConfigError.InvalidData(
        ["DATABASE_URL"],
        "Expected a postgres:// or postgresql:// URL, or memory://",
      ),
    )
  }),
)

export const settingsConfig: Config.Config<AppSettings> = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(3000)),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  database: databaseTarget,
  sourcesPath: Config.string("TIDEMARK_SOURCES").pipe(
    Config.withDefault("./tidemark.sources.json"),
  ),
  apiToken: Config.option(Config.redacted("TIDEMARK_API_TOKEN")).pipe(
    Config.map((token) => (token._tag === "Some" ? token.value : undefined)),
  ),
  logLevel: Config.literal(
    "debug",
    "info",
    "warn",
    "error",
  )("LOG_LEVEL").pipe(Config.withDefault("info" as const)),
  logFormat: Config.option(Config.literal("pretty", "json")("LOG_FORMAT")).pipe(
    Config.map((format) => (format._tag === "Some" ? format.value : undefined)),
  ),
  shutdownTimeoutMs: nonNegativeInteger("TIDEMARK_SHUTDOWN_TIMEOUT_MS", 10_000),
  recorderQueueMax: nonNegativeInteger("TIDEMARK_RECORDER_QUEUE_MAX", 10_000),
  dbPoolSize: positiveInteger("TIDEMARK_DB_POOL_SIZE", 10),
  metricsToken: Config.option(Config.redacted("TIDEMARK_METRICS_TOKEN")).pipe(
    Config.map((token) => (token._tag === "Some" ? token.value : undefined)),
  ),
  otlpEndpoint: Config.option(Config.url("OTEL_EXPORTER_OTLP_ENDPOINT")).pipe(
    Config.map((url) => (url._tag === "Some" ? url.value.toString() : undefined)),
  ),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault("tidemark")),
})

export class AppConfig extends Context.Tag("tidemark/AppConfig")<AppConfig, AppSettings>() {
  static readonly layer = Layer.effect(AppConfig, settingsConfig)
  static readonly make = (settings: AppSettings) => Layer.succeed(AppConfig, settings)
}

/** A secret named by a sources file as `${env:NAME}`. */
export const secretFromEnv = (name: string) => Config.redacted(name)

/** One line per fault: the variable's name, then what is wrong with it. */
export const describeConfigError = (error: ConfigError.ConfigError): string => {
  switch (error._op) {
    case "And":
    case "Or":
      return `${describeConfigError(error.left)}; ${describeConfigError(error.right)}`
    default:
      return `${error.path.join(".")}: ${error.message}`
  }
}
