/**
 * The Workers entry: the same Hono app over PostgreSQL, with a runtime of its own per
 * request (Workers do not let one request use another's sockets). The recorder's work
 * after the response is kept alive with `ctx.waitUntil`, then the runtime is disposed.
 */
import { ConfigProvider, Context, Effect, Either, Layer, ManagedRuntime } from "effect"
import { Background } from "./Background.js"
import { type AppSettings, describeConfigError, settingsConfig } from "./Config.js"
import { Database } from "./db/Database.js"
import { HistoryWatch } from "./history/HistoryWatch.js"
import { makeApp, settingsOptions } from "./http/app.js"
import { makeRunner } from "./http/run.js"
import { Upstream } from "./live/Upstream.js"
import { loggerLayer, servicesLayer } from "./Services.js"
import { Sources, type SourcesShape } from "./Sources.js"
import { MetricsExport } from "./telemetry/MetricsExport.js"

/** The worker's bindings: plain-text variables, and the sources as text or as a JSON binding. */
export type WorkerEnv = Readonly<Record<string, unknown>>

export interface WorkerContext {
  readonly waitUntil: (promise: Promise<unknown>) => void
}

/** Connections one request may hold: its history read and its recording. */
const POOL_SIZE = 2

interface Prepared {
  readonly settings: AppSettings
  readonly sources: SourcesShape
}

/** The bindings that are text are the configuration: Tidemark's variables and the sources' secrets. */
const configFrom = (env: WorkerEnv) =>
  ConfigProvider.fromMap(
    new Map(
      Object.entries(env).flatMap(([name, value]) =>
        typeof value === "string" ? [[name, value] as const] : [],
      ),
    ),
  )

/** Settings and sources, checked once per isolate; the failure is one line naming what is at fault. */
const prepare = (env: WorkerEnv): Effect.Effect<Prepared, string> =>
  Effect.gen(function* () {
    const settings = yield* settingsConfig.pipe(
      Effect.mapError((error) => `configuration error: ${describeConfigError(error)}`),
    )
    if (settings.database._tag !== "Postgres") {
      return yield* Effect.fail(
        "configuration error: DATABASE_URL: Workers need a postgres:// or postgresql:// URL",
      )
    }
    const raw = env.TIDEMARK_SOURCES_JSON
    const document =
      typeof raw === "string"
        ? yield* Effect.try({
            try: (): unknown => JSON.parse(raw),
            catch: () => "TIDEMARK_SOURCES_JSON: not valid JSON",
          })
        : raw
    if (document === undefined) return yield* Effect.fail("TIDEMARK_SOURCES_JSON: not set")
    const built = yield* Layer.build(Sources.fromDocument(document)).pipe(
      Effect.scoped,
      Effect.mapError((error) => error.message),
    )
    return { settings, sources: Context.get(built, Sources) }
  }).pipe(Effect.withConfigProvider(configFrom(env)))

const requestLayer = ({ settings, sources }: Prepared, ctx: WorkerContext) =>
  servicesLayer({
    settings,
    sources: Layer.succeed(Sources, sources),
    database: Database.postgres(POOL_SIZE),
    background: Background.waitUntil((completion) => ctx.waitUntil(completion)),
    upstream: Upstream.live,
    // A runtime lives for one request: there is nothing to keep between requests.
    watch: HistoryWatch.none,
  }).pipe(
    Layer.provideMerge(MetricsExport.none),
    Layer.provideMerge(loggerLayer(settings, false)),
    // Spans are not exported from a Worker.
    Layer.provideMerge(Layer.setTracerEnabled(false)),
  )

const failure = (message: string) =>
  new Response(`tidemark: ${message}\n`, {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  })

/**
 * An event stream's body is written by effects after the handler returns: the runtime must
 * outlive it. Every other body is complete when the handler returns.
 */
const streamed = (response: Response): { response: Response; sent: Promise<void> } => {
  const type = response.headers.get("content-type") ?? ""
  if (response.body === null || !type.startsWith("text/event-stream")) {
    return { response, sent: Promise.resolve() }
  }
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
  const sent = response.body.pipeTo(writable).catch(() => undefined)
  return { response: new Response(readable, response), sent }
}

/** Waits for the request's background work (bounded), then closes its runtime and pool. */
const finish = (
  runtime: ManagedRuntime.ManagedRuntime<Background, unknown>,
  timeoutMs: number,
  sent: Promise<void>,
) =>
  sent
    .then(() =>
      runtime.runPromise(
        Effect.gen(function* () {
          const background = yield* Background
          if (!(yield* background.drain(timeoutMs))) {
            yield* Effect.logWarning("recordings still pending when the time to finish ran out")
          }
        }),
      ),
    )
    .finally(() => runtime.dispose())

let prepared: Promise<Either.Either<Prepared, string>> | undefined

const handle = async (request: Request, env: WorkerEnv, ctx: WorkerContext) => {
  prepared ??= Effect.runPromise(Effect.either(prepare(env)))
  const ready = await prepared
  if (Either.isLeft(ready)) return failure(ready.left)
  const { settings, sources } = ready.right
  const runtime = ManagedRuntime.make(requestLayer(ready.right, ctx))
  const started = await Effect.runPromise(Effect.either(runtime.runtimeEffect))
  if (Either.isLeft(started)) {
    ctx.waitUntil(runtime.dispose())
    return failure(started.left.message)
  }
  const app = makeApp({
    run: makeRunner(started.right),
    sources,
    ...settingsOptions(settings),
    traced: false,
  })
  const { response, sent } = streamed(await app.fetch(request))
  ctx.waitUntil(finish(runtime, settings.shutdownTimeoutMs, sent))
  return response
}

export default {
  fetch: (request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> =>
    handle(request, env, ctx),
}
