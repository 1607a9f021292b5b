/** The Hono app: a plain `fetch` handler over the application's services. */
import { Clock, Effect, Exit, Metric, type Redacted } from "effect"
import { Hono } from "hono"
import { routePath } from "hono/route"
import { Database } from "../db/Database.js"
import { httpRequestDuration, httpRequests } from "../metrics.js"
import type { SourcesShape } from "../Sources.js"
import { MetricsExport } from "../telemetry/MetricsExport.js"
import type { WebAssets } from "../web/assets.js"
import { bearerAuth } from "./auth.js"
import type { AppEnv, AppServices } from "./env.js"
import { makeProblem, problemResponse } from "./problem.js"
import { eventRoutes } from "./routes/events.js"
import { liveRoutes } from "./routes/live.js"
import { resourceRoutes } from "./routes/resources.js"
import { sourceRoutes } from "./routes/sources.js"
import { webRoutes } from "./routes/web.js"
import { internalError, type Runner } from "./run.js"

export interface AppOptions {
  readonly run: Runner<AppServices>
  readonly sources: SourcesShape
  readonly apiToken: Redacted.Redacted<string> | undefined
  /** Guards /metrics; without it /metrics is guarded by `apiToken`, if any. */
  readonly metricsToken?: Redacted.Redacted<string> | undefined
  readonly assets?: WebAssets | undefined
}

export const makeApp = ({ run, sources, apiToken, metricsToken, assets }: AppOptions) => {
  const app = new Hono<AppEnv>()

  app.use("*", async (c, next) => {
    const started = performance.now()
    const opened = await run(
      Effect.makeSpan("http.request", {
        kind: "server",
        attributes: { "http.request.method": c.req.method, "url.path": c.req.path },
      }),
    )
    const span = Exit.isSuccess(opened) ? opened.value : undefined
    c.set("run", (effect, signal) => run(effect, { span, signal: signal ?? c.req.raw.signal }))
    await next()
    const route = routePath(c)
    const status = c.res.status
    const seconds = (performance.now() - started) / 1000
    const upstream = c.get("upstream")
    void run(
      Effect.gen(function* () {
        yield* Metric.increment(httpRequests(c.req.method, route, status))
        yield* Metric.update(httpRequestDuration(c.req.method, route, status), seconds)
        yield* Effect.logInfo("request").pipe(
          Effect.annotateLogs({
            method: c.req.method,
            route,
            path: c.req.path,
            status,
            durationMs: Math.round(seconds * 100_000) / 100,
            ...(upstream === undefined ? {} : { upstream }),
          }),
        )
        if (span !== undefined) {
          span.attribute("http.route", route)
          span.attribute("http.response.status_code", status)
          span.end(yield* Clock.currentTimeNanos, Exit.void)
        }
      }),
      { span },
    )
  })

  app.get("/healthz", (c) => c.json({ status: "ok" }))
  app.get("/readyz", async (c) => {
    const exit = await c.var.run(Effect.flatMap(Database, (database) => database.ready))
    const ready = Exit.isSuccess(exit) && exit.value
    return c.json({ status: ready ? "ready" : "unavailable" }, ready ? 200 : 503)
  })

  const metricsGuard = metricsToken ?? apiToken
  if (metricsGuard !== undefined) app.use("/metrics", bearerAuth(metricsGuard))
  app.get("/metrics", async (c) => {
    const exit = await c.var.run(Effect.flatMap(MetricsExport, (metrics) => metrics.prometheus))
    if (Exit.isFailure(exit)) return internalError()
    return c.body(exit.value, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
  })

  const v1 = new Hono<AppEnv>()
  if (apiToken !== undefined) v1.use("*", bearerAuth(apiToken))
  v1.route("/sources", sourceRoutes(sources))
  v1.route("/live", liveRoutes())
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
