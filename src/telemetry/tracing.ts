/** Spans exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; Effect's own tracer otherwise. */
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
    ? Layer.empty
    : OtlpTracer.layer({
        url: `${otlpEndpoint.replace(/\/+$/, "")}/v1/traces`,
        resource: { serviceName },
        exportInterval: "1 second",
      }).pipe(Layer.provide(OtlpSerialization.layerJson), Layer.provide(FetchHttpClient.layer))
