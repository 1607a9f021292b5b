import { Context, Effect, Layer } from "effect"

/** The metrics in Prometheus text format; the exporter behind it is chosen where layers meet. */
export class MetricsExport extends Context.Tag("tidemark/MetricsExport")<
  MetricsExport,
  { readonly prometheus: Effect.Effect<string> }
>() {
  /** For runtimes that export no metrics: an empty exposition. */
  static readonly none = Layer.succeed(MetricsExport, { prometheus: Effect.succeed("") })
}
