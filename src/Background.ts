/** Work that outlives the request that started it, owned by the runtime and drained at shutdown. */
import { Context, type Duration, Effect, FiberSet, Layer, Option, type Scheduler } from "effect"

export interface BackgroundShape {
  /**
   * Forks `effect` as background work, from outside any fiber (a callback): at once, or on
   * `scheduler` when given, which then runs its first step too. Once the owner is closing,
   * the effect never starts.
   */
  readonly unsafeRun: (
    effect: Effect.Effect<void>,
    options?: { readonly scheduler?: Scheduler.Scheduler | undefined },
  ) => void
  /**
   * Counts background work that runs in no fiber (an upstream call in flight) until the
   * returned function is called; calling it again does nothing.
   */
  readonly unsafeHold: () => () => void
  /** Waits until no background work is left, up to `timeout`; true when everything finished. */
  readonly drain: (timeout: Duration.DurationInput) => Effect.Effect<boolean>
}

/** On a scheduler, a fiber's first step waits for it too, instead of running in the caller. */
const forkOptions = (options: { readonly scheduler?: Scheduler.Scheduler | undefined } = {}) =>
  options.scheduler === undefined ? {} : { scheduler: options.scheduler, immediate: false }

/** Work held outside fibers: a count, and who waits for it to reach zero. */
const makeHolds = () => {
  let held = 0
  const waiting = new Set<() => void>()
  return {
    hold: () => {
      held++
      let released = false
      return () => {
        if (released) return
        released = true
        if (--held > 0) return
        for (const wake of waiting) wake()
        waiting.clear()
      }
    },
    held: () => held,
    awaitEmpty: Effect.async<void>((resume) => {
      if (held === 0) return resume(Effect.void)
      const wake = () => resume(Effect.void)
      waiting.add(wake)
      return Effect.sync(() => waiting.delete(wake))
    }),
  }
}

export class Background extends Context.Tag("tidemark/Background")<Background, BackgroundShape>() {
  static readonly layer = Layer.scoped(
    Background,
    Effect.gen(function* () {
      const set = yield* FiberSet.make<void>()
      const run = yield* FiberSet.runtime(set)<never>()
      const holds = makeHolds()
      // Held work may fork more (a call's recording), so both are waited for until both are empty.
      const settled = Effect.gen(function* () {
        for (;;) {
          yield* FiberSet.awaitEmpty(set)
          yield* holds.awaitEmpty
          if (holds.held() === 0 && (yield* FiberSet.size(set)) === 0) return
        }
      })
      return {
        unsafeRun: (effect, options) => {
          run(effect, forkOptions(options))
        },
        unsafeHold: holds.hold,
        drain: (timeout) => settled.pipe(Effect.timeoutOption(timeout), Effect.map(Option.isSome)),
      } satisfies BackgroundShape
    }),
  )

  /**
   * For platforms that end an invocation once its response is sent unless told to wait
   * (Workers' `ctx.waitUntil`): every piece of background work's completion is handed to
   * `register`. The fibers belong to the layer's scope, so they are interrupted if it closes
   * first.
   */
  static readonly waitUntil = (register: (completion: Promise<unknown>) => void) =>
    Layer.scoped(
      Background,
      Effect.gen(function* () {
        const set = yield* FiberSet.make<void>()
        const run = yield* FiberSet.runtime(set)<never>()
        const running = new Set<Promise<void>>()
        const track = (completion: Promise<void>) => {
          running.add(completion)
          register(completion)
          void completion.then(() => running.delete(completion))
        }
        return {
          unsafeRun: (effect, options) => {
            const fiber = run(effect, forkOptions(options))
            track(new Promise<void>((resolve) => fiber.addObserver(() => resolve())))
          },
          unsafeHold: () => {
            let release: (() => void) | undefined
            track(
              new Promise<void>((resolve) => {
                release = resolve
              }),
            )
            return () => release?.()
          },
          drain: (timeout) =>
            Effect.promise(() => Promise.all([...running])).pipe(
              Effect.repeat({ until: () => running.size === 0 }),
              Effect.timeoutOption(timeout),
              Effect.map(Option.isSome),
            ),
        } satisfies BackgroundShape
      }),
    )
}
