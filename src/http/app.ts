/** The Hono app: a plain `fetch` handler over the application's services. */
import { Effect, Exit, type Redacted } from "effect"
import { Hono } from "hono"
import { routePath } from "hono/route"
import { Database } from "../db/Database.js"
import type { Browse } from "../history/Browse.js"
import type { Feed } from "../live/Feed.js"
import type { Live } from "../live/Live.js"
import type { SourcesShape } from "../Sources.js"
import type { WebAssets } from "../web/assets.js"
import { bearerAuth } from "./auth.js"
import type { AppEnv } from "./env.js"
import { makeProblem, problemResponse } from "./problem.js"
import { eventRoutes } from "./routes/events.js"
import { liveRoutes } from "./routes/live.js"
import { resourceRoutes } from "./routes/resources.js"
import { sourceRoutes } from "./routes/sources.js"
import { webRoutes } from "./routes/web.js"
import { internalError, type Runner } from "./run.js"

export type AppServices = Live | Browse | Database | Feed

export interface AppOptions {
  readonly run: Runner<AppServices>
  readonly sources: SourcesShape
  readonly apiToken: Redacted.Redacted<string> | undefined
  readonly assets?: WebAssets | undefined
}

export const makeApp = ({ run, sources, apiToken, assets }: AppOptions) => {
  const app = new Hono<AppEnv>()

  app.use("*", async (c, next) => {
    const started = performance.now()
    await next()
    void run(
      Effect.logInfo("request").pipe(
        Effect.annotateLogs({
          method: c.req.method,
          route: routePath(c),
          path: c.req.path,
          status: c.res.status,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          ...(c.get("upstream") === undefined ? {} : { upstream: c.get("upstream") }),
        }),
      ),
    )
  })

  app.get("/healthz", (c) => c.json({ status: "ok" }))
  app.get("/readyz", async (c) => {
    const exit = await run(Effect.flatMap(Database, (database) => database.ready))
    const ready = Exit.isSuccess(exit) && exit.value
    return c.json({ status: ready ? "ready" : "unavailable" }, ready ? 200 : 503)
  })

  const v1 = new Hono<AppEnv>()
  if (apiToken !== undefined) v1.use("*", bearerAuth(apiToken))
  v1.route("/sources", sourceRoutes(sources))
  v1.route("/live", liveRoutes(run))
  v1.route("/resources", eventRoutes(run))
  v1.route("/resources", resourceRoutes(run))
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
  app.onError((error) => {
    void run(
      Effect.logError("unhandled error in a route").pipe(
        Effect.annotateLogs({ error: String(error) }),
      ),
    )
    return internalError()
  })
  return app
}
