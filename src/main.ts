/** The process: read the configuration, build the runtime, serve, and shut down gracefully. */
import { Cause, Context, Effect, Either, Exit, Layer, ManagedRuntime, Option } from "effect"
import { appLayer, observabilityLayer } from "./AppLayer.js"
import { Background } from "./Background.js"
import { describeConfigError, settingsConfig } from "./Config.js"
import { makeApp, settingsOptions } from "./http/app.js"
import { nodeServer } from "./http/node.js"
import { makeRunner } from "./http/run.js"
import { Live } from "./live/Live.js"
import { Sources } from "./Sources.js"
import { loadWebAssets } from "./web/assets.js"

const fatal = (message: string): never => {
  process.stderr.write(`tidemark: ${message}\n`)
  process.exit(1)
}

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Cause.pretty(cause)
  const error = failure.value
  return typeof error === "object" && error !== null && "message" in error
    ? String(error.message)
    : String(error)
}

const loaded = Effect.runSync(Effect.either(settingsConfig))
if (Either.isLeft(loaded)) fatal(`configuration error: ${describeConfigError(loaded.left)}`)
const settings = Either.getOrThrow(loaded)

const runtime = ManagedRuntime.make(
  appLayer(settings, Sources.fromFile).pipe(
    Layer.provideMerge(observabilityLayer(settings, process.stdout.isTTY === true)),
  ),
)

const started = await Effect.runPromiseExit(runtime.runtimeEffect)
if (started._tag === "Failure") {
  await runtime.dispose()
  fatal(describeFailure(started.cause))
}
const services = Exit.getOrElse(started, () => fatal("start-up failed"))
const sources = Context.get(services.context, Sources)

const run = makeRunner(services)
const options = settingsOptions(settings)
const app = makeApp({ run, sources, ...options, assets: loadWebAssets() })

// Live requests go straight from node:http to the live path unless a request span needs
// Hono's middleware on the way.
const server = nodeServer(
  app.fetch,
  settings.host,
  options.traced
    ? undefined
    : {
        live: Context.get(services.context, Live),
        run,
        logRequests: options.logRequests,
        apiToken: options.apiToken,
      },
)
server.listen(settings.port, settings.host, () => {
  const info = server.address()
  runtime.runFork(
    Effect.logInfo("tidemark listening").pipe(
      Effect.annotateLogs({
        address:
          info !== null && typeof info === "object"
            ? `http://${info.address}:${info.port}`
            : String(info),
        sources: sources.all.map((s) => s.id),
      }),
    ),
  )
})
server.on("error", (error) =>
  fatal(`cannot listen on ${settings.host}:${settings.port}: ${error.message}`),
)

let stopping = false
// Once stopping, a kept-alive connection is closed as soon as its response is sent: no
// client can hold the shutdown open, nor be served new requests on an old connection.
if ("closeIdleConnections" in server) {
  // One listener shared by every response: a closure per request would cost each its share.
  const closeIfStopping = () => {
    if (stopping) server.closeIdleConnections()
  }
  server.on("request", (_request, response) => response.on("finish", closeIfStopping))
}
const shutdown = async (signal: string) => {
  if (stopping) return
  stopping = true
  await runtime.runPromise(Effect.logInfo("shutting down").pipe(Effect.annotateLogs({ signal })))
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  if ("closeIdleConnections" in server) server.closeIdleConnections()
  await closed
  const drained = await runtime.runPromise(
    Effect.flatMap(Background, (background) => background.drain(settings.shutdownTimeoutMs)),
  )
  if (!drained) {
    await runtime.runPromise(
      Effect.logWarning("shutdown timeout reached with recordings still pending"),
    )
  }
  await runtime.dispose()
  process.exit(0)
}
process.on("SIGTERM", () => void shutdown("SIGTERM"))
process.on("SIGINT", () => void shutdown("SIGINT"))
