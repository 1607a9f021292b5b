/** Effect's metrics in Prometheus text format, through OpenTelemetry's Prometheus exporter. */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Effect, Layer } from "effect"
import { MetricsExport } from "./MetricsExport.js"

export const prometheusLayer = (serviceName: string) =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const exporter = new PrometheusExporter({ preventServerStart: true })
      const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
      const service = Layer.succeed(MetricsExport, {
        prometheus: Effect.promise(async () =>
          serializer.serialize((await exporter.collect()).resourceMetrics),
        ),
      })
      return Layer.merge(
        service,
        OtelMetrics.layer(() => exporter),
      ).pipe(Layer.provide(Resource.layer({ serviceName })))
    }),
  )
