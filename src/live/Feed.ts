/** New versions as they are recorded, for whoever watches a resource (the page's live updates). */
import { Context, Effect, Layer, PubSub, type Queue, type Scope } from "effect"

export interface VersionEvent {
  readonly resourceId: string
  readonly version: number
  readonly hash: string
  readonly observedAt: string
  readonly changes: number
}

export interface FeedShape {
  /** Never waits: a subscriber that falls behind loses its oldest events, not the recorder's time. */
  readonly publish: (event: VersionEvent) => Effect.Effect<void>
  readonly subscribe: Effect.Effect<Queue.Dequeue<VersionEvent>, never, Scope.Scope>
  /** How many subscriptions are open now. */
  readonly watchers: Effect.Effect<number>
  /** The same, outside any fiber. */
  readonly unsafeWatchers: () => number
}

export class Feed extends Context.Tag("tidemark/Feed")<Feed, FeedShape>() {
  static readonly layer = Layer.scoped(
    Feed,
    Effect.gen(function* () {
      const pubsub = yield* Effect.acquireRelease(
        PubSub.sliding<VersionEvent>(256),
        PubSub.shutdown,
      )
      let watchers = 0
      return {
        publish: (event) => PubSub.publish(pubsub, event).pipe(Effect.asVoid),
        subscribe: Effect.acquireRelease(
          Effect.sync(() => watchers++),
          () => Effect.sync(() => watchers--),
        ).pipe(Effect.zipRight(PubSub.subscribe(pubsub))),
        watchers: Effect.sync(() => watchers),
        unsafeWatchers: () => watchers,
      } satisfies FeedShape
    }),
  )
}
