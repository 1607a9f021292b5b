/** Spans exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise none are made. */
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import { FetchHttpClient } from "@effect/platform"
import { Layer } from "effect"

export interface TracingSettings {
  readonly otlpEndpoint: string | undefined
  readonly serviceName: string
}

export const tracingLayer = ({ otlpEndpoint, serviceName }: TracingSettings) =>
  otlpEndpoint === undefined
    ? // Spans nobody receives would only cost time on every request.
      Layer.setTracerEnabled(false)
    : OtlpTracer.layer({
        url: `${otlpEndpoint.replace(/\/+$/, "")}/v1/traces`,
        resource: { serviceName },
        exportInterval: "1 second",
      }).pipe(Layer.provide(OtlpSerialization.layerJson), Layer.provide(FetchHttpClient.layer))
