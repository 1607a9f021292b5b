/** Work done for a request outside its own fiber, still counted as part of it. */
import { Effect, type Tracer } from "effect"

/** Runs `effect` as a child of `span`, its log lines carrying the span's trace and span ids. */
export const underSpan = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  span: Tracer.Span | undefined,
) =>
  span === undefined
    ? effect
    : effect.pipe(
        Effect.withParentSpan(span),
        Effect.annotateLogs({ traceId: span.traceId, spanId: span.spanId }),
      )
