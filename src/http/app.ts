/** The Hono app: a plain `fetch` handler over the application's services. */
import { Clock, Context, Effect, Exit, type Redacted, type Tracer } from "effect"
import { Hono } from "hono"
import { routePath } from "hono/route"
import { describeRoute, openAPIRouteHandler } from "hono-openapi"
import packageJson from "../../package.json" with { type: "json" }
import type { AppSettings } from "../Config.js"
import { Live } from "../live/Live.js"
import { httpRequests, updateNow } from "../metrics.js"
import type { SourcesShape } from "../Sources.js"
import type { WebAssets } from "../web/assets.js"
import { bearerAuth } from "./auth.js"
import type { AppEnv, AppServices } from "./env.js"
import { access, documentation, jsonResponse, unauthorized } from "./openapi.js"
import { makeProblem, problemResponse } from "./problem.js"
import { eventRoutes } from "./routes/events.js"
import { liveRoutes } from "./routes/live.js"
import { resourceRoutes } from "./routes/resources.js"
import { serviceRoutes } from "./routes/service.js"
import { sourceRoutes } from "./routes/sources.js"
import { webRoutes } from "./routes/web.js"
import { internalError, type Runner } from "./run.js"
import { OpenApiDocument } from "./schemas.js"

export interface AppOptions {
  readonly run: Runner<AppServices>
  readonly sources: SourcesShape
  readonly apiToken: Redacted.Redacted<string> | undefined
  /** Guards /metrics; without it /metrics is guarded by `apiToken`, if any. */
  readonly metricsToken?: Redacted.Redacted<string> | undefined
  readonly assets?: WebAssets | undefined
  /** Gives each request a span, the parent of the spans its effects make; worth it when spans are exported. */
  readonly traced?: boolean | undefined
  /** Writes one info line per request; off when the log level leaves info lines out. */
  readonly logRequests?: boolean | undefined
}

/** The options that follow from the settings: tokens, request spans when exported, request log lines at info. */
export const settingsOptions = (settings: AppSettings) => ({
  apiToken: settings.apiToken,
  metricsToken: settings.metricsToken,
  traced: settings.otlpEndpoint !== undefined,
  logRequests: settings.logLevel === "debug" || settings.logLevel === "info",
})

/** An answered request, as its metrics and log line tell it. */
export interface EndedRequest {
  readonly method: string
  readonly route: string
  readonly path: string
  readonly status: number
  readonly seconds: number
  /** The upstream call's outcome, for the routes that made one. */
  readonly upstream: string | undefined
}

/** Counts an answered request; writes its log line and ends its span, when it has them. */
export const requestEnded = (
  run: Runner<AppServices>,
  { method, route, path, status, seconds, upstream }: EndedRequest,
  logRequests: boolean,
  span: Tracer.Span | undefined,
) => {
  const counted = httpRequests(method, route, status)
  updateNow(counted.count, 1)
  updateNow(counted.seconds, seconds)
  if (!logRequests && span === undefined) return
  void run(
    Effect.gen(function* () {
      if (logRequests) {
        yield* Effect.logInfo("request").pipe(
          Effect.annotateLogs({
            method,
            route,
            path,
            status,
            durationMs: Math.round(seconds * 100_000) / 100,
            ...(upstream === undefined ? {} : { upstream }),
          }),
        )
      }
      if (span !== undefined) {
        span.attribute("http.route", route)
        span.attribute("http.response.status_code", status)
        span.end(yield* Clock.currentTimeNanos, Exit.void)
      }
    }),
    { span },
  )
}

export const makeApp = ({
  run,
  sources,
  apiToken,
  metricsToken,
  assets,
  traced = false,
  logRequests = true,
}: AppOptions) => {
  const app = new Hono<AppEnv>()

  // Every effect run costs a fiber, so a request runs only the ones it needs besides its
  // route's own: opening its span when traced, the log line and the span's end after it.
  app.use("*", async (c, next) => {
    const started = performance.now()
    const opened = traced
      ? await run(
          Effect.makeSpan("http.request", {
            kind: "server",
            attributes: { "http.request.method": c.req.method, "url.path": c.req.path },
          }),
        )
      : undefined
    const span = opened !== undefined && Exit.isSuccess(opened) ? opened.value : undefined
    c.set("run", (effect, signal) =>
      run(effect, { span, signal: signal === null ? undefined : (signal ?? c.req.raw.signal) }),
    )
    await next()
    requestEnded(
      run,
      {
        method: c.req.method,
        route: routePath(c),
        path: c.req.path,
        status: c.res.status,
        seconds: (performance.now() - started) / 1000,
        upstream: c.get("upstream"),
      },
      logRequests,
      span,
    )
  })

  const metricsGuard = metricsToken ?? apiToken
  app.route("/", serviceRoutes({ apiTokenSet: apiToken !== undefined, metricsGuard }))

  app.get(
    "/openapi.json",
    describeRoute({
      operationId: "openapi",
      summary: "This document: the HTTP API in OpenAPI 3.1, never behind the token",
      tags: ["service"],
      ...access(apiToken !== undefined).open,
      responses: { 200: jsonResponse("the document", OpenApiDocument) },
    }),
    openAPIRouteHandler(app, {
      documentation: documentation(packageJson.version, {
        schemes: metricsGuard !== undefined,
        everywhere: apiToken !== undefined,
      }),
      defaultValidationErrorResponse: false,
      excludeStaticFile: false,
    }),
  )

  const v1 = new Hono<AppEnv>()
  if (apiToken !== undefined) {
    v1.use("*", bearerAuth(apiToken), describeRoute({ responses: unauthorized }))
  }
  v1.route("/sources", sourceRoutes(sources))
  v1.route(
    "/live",
    liveRoutes(
      sources.all.map((source) => source.id),
      // Untraced, the live path runs no effect at all; traced, it runs as one for its spans.
      traced ? undefined : Context.get(run.context, Live),
    ),
  )
  v1.route("/resources", eventRoutes())
  v1.route("/resources", resourceRoutes())
  app.route("/v1", v1)
  app.route("/", webRoutes(assets))

  app.notFound((c) =>
    c.req.path.startsWith("/v1")
      ? problemResponse(
          makeProblem(
            404,
            "not_found",
            "Not found",
            `no route answers ${c.req.method} ${c.req.path}`,
          ),
        )
      : c.text("Not found", 404),
  )
  app.onError((error, c) => {
    void c.var.run(
      Effect.logError("unhandled error in a route").pipe(
        Effect.annotateLogs({ error: String(error) }),
      ),
    )
    return internalError()
  })
  return app
}
