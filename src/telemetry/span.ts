/** Work done for a request outside its own fiber, still counted as part of it. */
import { Context, Effect, type Fiber, FiberRef, Option, Tracer } from "effect"

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

/**
 * The span `fiber` runs in, when spans are recorded at all (with the tracer off the current
 * span is a stand-in whose ids mean nothing): the parent of work it starts elsewhere.
 */
export const spanOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Tracer.Span | undefined => {
  if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return undefined
  const span = Context.getOption(fiber.getFiberRef(FiberRef.currentContext), Tracer.ParentSpan)
  return Option.isSome(span) && span.value._tag === "Span" ? span.value : undefined
}

/**
 * `Effect.withSpan`, only while spans are recorded: with the tracer off, a span that records
 * nothing still costs its fiber a change of context on the way in and out.
 */
export const withSpanWhenTraced =
  (name: string, attributes?: Record<string, unknown>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiberRuntime((fiber) =>
      fiber.getFiberRef(FiberRef.currentTracerEnabled)
        ? Effect.withSpan(effect, name, { attributes, captureStackTrace: false })
        : effect,
    )
