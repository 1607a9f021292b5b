/** `/healthz`, `/readyz` and `/metrics`: for orchestrators and scrapers, outside `/v1`. */
import { Effect, Exit, type Redacted } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { Database } from "../../db/Database.js"
import { MetricsExport } from "../../telemetry/MetricsExport.js"
import { bearerAuth } from "../auth.js"
import type { AppEnv } from "../env.js"
import { access, content, jsonResponse, problems, unauthorized } from "../openapi.js"
import { internalError } from "../run.js"
import { Health, NotReady, PrometheusText, Ready } from "../schemas.js"

const tags = ["service"]

export const serviceRoutes = ({
  apiTokenSet,
  metricsGuard,
}: {
  readonly apiTokenSet: boolean
  /** The token /metrics requires, if any. */
  readonly metricsGuard: Redacted.Redacted<string> | undefined
}) => {
  const { open, guarded } = access(apiTokenSet)
  const app = new Hono<AppEnv>()
  app.get(
    "/healthz",
    describeRoute({
      operationId: "health",
      summary: "Answers while the process runs",
      tags,
      ...open,
      responses: { 200: jsonResponse("the process runs", Health) },
    }),
    (c) => c.json({ status: "ok" } satisfies typeof Health.Type),
  )
  app.get(
    "/readyz",
    describeRoute({
      operationId: "ready",
      summary: "Whether the database answers now and its migrations are applied",
      tags,
      ...open,
      responses: {
        200: jsonResponse("ready", Ready),
        503: jsonResponse("the database does not answer, or is not migrated", NotReady),
      },
    }),
    async (c) => {
      const exit = await c.var.run(Effect.flatMap(Database, (database) => database.ready))
      return Exit.isSuccess(exit) && exit.value
        ? c.json({ status: "ready" } satisfies typeof Ready.Type, 200)
        : c.json({ status: "unavailable" } satisfies typeof NotReady.Type, 503)
    },
  )

  if (metricsGuard !== undefined) app.use("/metrics", bearerAuth(metricsGuard))
  app.get(
    "/metrics",
    describeRoute({
      operationId: "metrics",
      summary: "Metrics in Prometheus' text format",
      tags,
      ...(metricsGuard === undefined ? open : guarded),
      responses: {
        200: { description: "the metrics", content: content("text/plain", PrometheusText) },
        ...(metricsGuard === undefined ? {} : unauthorized),
        ...problems(500),
      },
    }),
    async (c) => {
      const exit = await c.var.run(Effect.flatMap(MetricsExport, (metrics) => metrics.prometheus))
      if (Exit.isFailure(exit)) return internalError()
      return c.body(exit.value, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
    },
  )
  return app
}
