/** Compares each answered observation with the recorded history and appends only what changed. */
import { Context, Effect, Either, Exit, Fiber, Layer, Metric, Option } from "effect"
import { Background } from "../Background.js"
import { AppConfig } from "../Config.js"
import type { UpstreamError } from "../Errors.js"
import { History, type Observation, type ResourceRef } from "../history/History.js"
import { databaseErrors, recorderQueueDepth, recordingLag, recordings } from "../metrics.js"
import { Feed } from "./Feed.js"
import type { Observed } from "./Observed.js"

export interface RecorderShape {
  /**
   * Starts the history read for `resource` now, beside the upstream call already in
   * `upstream`, and records the outcome once both are done. Returns at once.
   */
  readonly track: (
    resource: ResourceRef,
    upstream: Fiber.Fiber<Observed, UpstreamError>,
  ) => Effect.Effect<void>
  readonly pending: Effect.Effect<number>
}

export class Recorder extends Context.Tag("tidemark/Recorder")<Recorder, RecorderShape>() {
  static readonly layer = Layer.effect(
    Recorder,
    Effect.gen(function* () {
      const { recorderQueueMax } = yield* AppConfig
      const background = yield* Background
      const history = yield* History
      const feed = yield* Feed
      let pending = 0

      const record = (
        resource: ResourceRef,
        upstream: Fiber.Fiber<Observed, UpstreamError>,
        latest: Fiber.Fiber<Option.Option<{ readonly hash: string }>, unknown>,
      ) =>
        Effect.gen(function* () {
          const answered = yield* Fiber.await(upstream)
          if (Exit.isFailure(answered)) return
          const { answer, tracked } = answered.value
          const answeredAt = Date.now()
          const known = yield* Fiber.join(latest).pipe(Effect.either)
          if (
            Either.isRight(known) &&
            Option.isSome(known.right) &&
            known.right.value.hash === tracked.hash
          ) {
            yield* Metric.increment(recordings("unchanged"))
            return
          }
          const observation: Observation = {
            resource,
            observedAt: answer.observedAt,
            body: answer.text,
            tracked: tracked.content,
            hash: tracked.hash,
          }
          const outcome = yield* history.append(observation).pipe(Effect.either)
          if (Either.isLeft(outcome)) {
            yield* Metric.increment(recordings("failed"))
            yield* Metric.increment(databaseErrors)
            yield* Effect.logError("recording failed").pipe(
              Effect.annotateLogs({ resource: resource.key, error: String(outcome.left.cause) }),
            )
            return
          }
          yield* Metric.increment(
            recordings(
              outcome.right._tag === "Appended"
                ? "appended"
                : outcome.right._tag === "Stale"
                  ? "stale"
                  : "unchanged",
            ),
          )
          yield* Metric.update(recordingLag, (Date.now() - answeredAt) / 1000)
          if (outcome.right._tag === "Appended") {
            yield* feed.publish({
              resourceId: resource.id,
              version: outcome.right.version,
              hash: tracked.hash,
              observedAt: answer.observedAt.toISOString(),
              changes: outcome.right.changes,
            })
            yield* Effect.logDebug("version recorded").pipe(
              Effect.annotateLogs({ resource: resource.key, version: outcome.right.version }),
            )
          }
        }).pipe(
          Effect.withSpan("Recorder.record", { attributes: { "tidemark.resource": resource.key } }),
        )

      const track = (resource: ResourceRef, upstream: Fiber.Fiber<Observed, UpstreamError>) =>
        Effect.gen(function* () {
          if (pending >= recorderQueueMax) {
            yield* Metric.increment(recordings("dropped"))
            yield* Effect.logWarning("recorder queue full, recording dropped").pipe(
              Effect.annotateLogs({ resource: resource.key, pending }),
            )
            return
          }
          pending++
          yield* Metric.set(recorderQueueDepth, pending)
          const latest = yield* background.run(history.latest(resource.id))
          yield* background.run(
            record(resource, upstream, latest).pipe(
              Effect.ensuring(
                Effect.suspend(() => {
                  pending--
                  return Metric.set(recorderQueueDepth, pending)
                }),
              ),
            ),
          )
        })

      return { track, pending: Effect.sync(() => pending) } satisfies RecorderShape
    }),
  )
}
