/** Work that outlives the request that started it, owned by the runtime and drained at shutdown. */
import { Context, type Duration, Effect, type Fiber, FiberSet, Layer, Option } from "effect"

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
}
