/** Compares each answered observation with the recorded history and appends only what changed. */
import { Context, Deferred, Effect, Either, Exit, Fiber, Layer, Metric, Option } from "effect"
import { Background } from "../Background.js"
import { AppConfig } from "../Config.js"
import type { UpstreamError } from "../Errors.js"
import {
  type AppendOutcome,
  History,
  type Observation,
  type ResourceRef,
} from "../history/History.js"
import { recorderQueueDepth, recordingLag, recordings } from "../metrics.js"
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

/** The latest hash of a resource as one recording leaves it; none when it could not tell. */
type Known = Option.Option<string>

const knownAfter = (outcome: AppendOutcome, hash: string): Known =>
  outcome._tag === "Stale" ? Option.fromNullable(outcome.latestHash) : Option.some(hash)

/**
 * A resource's recordings in this process. Decisions are taken one at a time, in the order
 * the answers arrived, each starting from what the one before learned: the history read made
 * at request time is trusted only while no decision for the resource has touched the
 * database since it was made, because a write still pending can make it out of date.
 */
interface Lane {
  generation: number
  members: number
  tail: Deferred.Deferred<Known> | undefined
  /** What the last decision learned; while it is known, new recordings skip the history read. */
  known: Known
}

const outcomeName = (outcome: AppendOutcome) =>
  outcome._tag === "Appended" ? "appended" : outcome._tag === "Stale" ? "stale" : "unchanged"

export class Recorder extends Context.Tag("tidemark/Recorder")<Recorder, RecorderShape>() {
  static readonly layer = Layer.effect(
    Recorder,
    Effect.gen(function* () {
      const { recorderQueueMax } = yield* AppConfig
      const background = yield* Background
      const history = yield* History
      const feed = yield* Feed
      let pending = 0
      const lanes = new Map<string, Lane>()

      /** Compares with what is known and appends when the tracked content changed. */
      const decide = (resource: ResourceRef, observed: Observed, known: Known, lane: Lane) =>
        Effect.gen(function* () {
          const { answer, tracked } = observed
          const answeredAt = Date.now()
          if (Option.isSome(known) && known.value === tracked.hash) {
            yield* Metric.increment(recordings("unchanged"))
            return known
          }
          const observation: Observation = {
            resource,
            observedAt: answer.observedAt,
            body: answer.text,
            tracked: tracked.content,
            hash: tracked.hash,
          }
          // Bumped when the write starts and when it ends, so a read that overlapped it is distrusted.
          lane.generation++
          const outcome = yield* history
            .append(observation)
            .pipe(Effect.either, Effect.ensuring(Effect.sync(() => lane.generation++)))
          if (Either.isLeft(outcome)) {
            yield* Metric.increment(recordings("failed"))
            yield* Effect.logError("recording failed").pipe(
              Effect.annotateLogs({ resource: resource.key, error: String(outcome.left.cause) }),
            )
            return Option.none()
          }
          yield* Metric.increment(recordings(outcomeName(outcome.right)))
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
          return knownAfter(outcome.right, tracked.hash)
        })

      const record = (
        resource: ResourceRef,
        upstream: Fiber.Fiber<Observed, UpstreamError>,
        read: Fiber.Fiber<Option.Option<{ readonly hash: string }>, unknown> | undefined,
        lane: Lane,
        readGeneration: number,
      ) =>
        Effect.gen(function* () {
          const answered = yield* Fiber.await(upstream)
          if (Exit.isFailure(answered)) return
          // Join the resource's lane in the order answers arrive.
          const previous = lane.tail
          const done = yield* Deferred.make<Known>()
          lane.tail = done
          const known: Known =
            previous !== undefined
              ? yield* Deferred.await(previous)
              : read === undefined || lane.generation !== readGeneration
                ? lane.known
                : yield* Fiber.join(read).pipe(
                    Effect.map(Option.map((latest) => latest.hash)),
                    Effect.orElseSucceed((): Known => Option.none()),
                  )
          const after = yield* decide(resource, answered.value, known, lane).pipe(
            Effect.onExit((exit) =>
              Deferred.done(done, Exit.isSuccess(exit) ? exit : Exit.succeed(Option.none())),
            ),
          )
          lane.known = after
          if (lane.tail === done) lane.tail = undefined
          return after
        }).pipe(
          Effect.withSpan("Recorder.record", {
            attributes: { "tidemark.resource": resource.key },
            captureStackTrace: false,
          }),
        )

      const laneOf = (resourceId: string): Lane => {
        const existing = lanes.get(resourceId)
        if (existing !== undefined) return existing
        const lane: Lane = { generation: 0, members: 0, tail: undefined, known: Option.none() }
        lanes.set(resourceId, lane)
        return lane
      }

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
          const lane = laneOf(resource.id)
          lane.members++
          const readGeneration = lane.generation
          const read =
            lane.tail === undefined && Option.isNone(lane.known)
              ? yield* background.run(history.latest(resource.id))
              : undefined
          yield* background.run(
            record(resource, upstream, read, lane, readGeneration).pipe(
              Effect.ensuring(
                Effect.suspend(() => {
                  pending--
                  lane.members--
                  if (lane.members === 0) lanes.delete(resource.id)
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
