/** Work that outlives the request that started it, owned by the runtime and drained at shutdown. */
import { Context, type Duration, Effect, Fiber, FiberSet, Layer, Option } from "effect"

export interface BackgroundShape {
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<Fiber.RuntimeFiber<A, E>>
  /** Waits until no background work is left, up to `timeout`; true when everything finished. */
  readonly drain: (timeout: Duration.DurationInput) => Effect.Effect<boolean>
  readonly size: Effect.Effect<number>
}

export class Background extends Context.Tag("tidemark/Background")<Background, BackgroundShape>() {
  static readonly layer = Layer.scoped(
    Background,
    Effect.gen(function* () {
      const set = yield* FiberSet.make()
      return {
        run: (effect) => FiberSet.run(set, effect),
        drain: (timeout) =>
          FiberSet.awaitEmpty(set).pipe(Effect.timeoutOption(timeout), Effect.map(Option.isSome)),
        size: FiberSet.size(set),
      } satisfies BackgroundShape
    }),
  )

  /**
   * For platforms that end an invocation once its response is sent unless told to wait
   * (Workers' `ctx.waitUntil`): every fiber's completion is handed to `register`. The
   * fibers belong to the layer's scope, so they are interrupted if it closes first.
   */
  static readonly waitUntil = (register: (completion: Promise<unknown>) => void) =>
    Layer.scoped(
      Background,
      Effect.gen(function* () {
        const scope = yield* Effect.scope
        const running = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
        return {
          run: (effect) =>
            Effect.gen(function* () {
              const fiber = yield* Effect.forkIn(effect, scope)
              running.add(fiber)
              register(
                new Promise<void>((resolve) =>
                  fiber.addObserver(() => {
                    running.delete(fiber)
                    resolve()
                  }),
                ),
              )
              return fiber
            }),
          drain: (timeout) =>
            Effect.suspend(() => Fiber.awaitAll([...running])).pipe(
              Effect.repeat({ until: () => running.size === 0 }),
              Effect.timeoutOption(timeout),
              Effect.map(Option.isSome),
            ),
          size: Effect.sync(() => running.size),
        } satisfies BackgroundShape
      }),
    )
}
