/** Compares each answered observation with the recorded history and appends only what changed. */
import {
  Context,
  Effect,
  Either,
  Exit,
  type Fiber,
  FiberRef,
  Layer,
  Metric,
  Option,
  Scheduler,
  type Tracer,
} from "effect"
import { Background } from "../Background.js"
import { AppConfig } from "../Config.js"
import type { UpstreamError } from "../Errors.js"
import {
  type AppendOutcome,
  History,
  type LatestVersion,
  type Observation,
  type ResourceRef,
  type Written,
} from "../history/History.js"
import { HistoryWatch, type WatchEvent } from "../history/HistoryWatch.js"
import { recorderQueueDepth, recordingLag, recordings } from "../metrics.js"
import { underSpan } from "../telemetry/span.js"
import { Feed } from "./Feed.js"
import type { Observed } from "./Observed.js"

export interface RecorderShape {
  /**
   * Runs the upstream `call` in the background with the history read for `resource`
   * started beside it, and records what the call answers once both are done. Returns the
   * background fiber at once; whoever waits for the answer learns it from the call itself.
   * One fiber does the call and the recording: forking costs more than anything else on
   * the live path.
   */
  readonly track: (
    resource: ResourceRef,
    call: Effect.Effect<Observed, UpstreamError>,
  ) => Effect.Effect<Fiber.RuntimeFiber<void>>
  readonly pending: Effect.Effect<number>
}

/**
 * What is known of a resource's latest version: its hash, its number and, when this process
 * wrote it, its tracked content (canonical JSON) for the next append to build on. None when
 * nothing can be told.
 */
interface Latest {
  readonly hash: string
  readonly version: number
  readonly tracked: string | undefined
}
type Known = Option.Option<Latest>

const knownAfter = (outcome: AppendOutcome, hash: string): Known =>
  outcome._tag === "Stale"
    ? outcome.latestHash === null
      ? Option.none()
      : Option.some({ hash: outcome.latestHash, version: outcome.version, tracked: undefined })
    : Option.some({
        hash,
        version: outcome.version,
        tracked: outcome._tag === "Appended" ? outcome.tracked : undefined,
      })

const writtenOf = ({ version, tracked }: Latest): Written | undefined =>
  tracked === undefined ? undefined : { version, tracked }

/** Resources whose knowledge is kept while idle, at most; the oldest are forgotten first. */
const KEPT_MAX = 10_000
/**
 * Characters of tracked content kept with that knowledge, at most, so that the next append
 * after an idle spell can still be one statement; beyond it only hashes and numbers are kept.
 */
const KEPT_CONTENT_MAX = 4 * 1024 * 1024

/** The history read started beside an upstream call. */
type Read = Effect.Effect<Option.Option<LatestVersion>, unknown>

/** An answered observation waiting for its decision: what the decision needs, no more. */
interface Answered {
  readonly observation: Observation
  readonly read: Read | undefined
  readonly readGeneration: number
  /** Nothing was waiting or being decided for the resource when this answer arrived. */
  readonly first: boolean
  /** The span of the request that made the call: the decision is part of its trace. */
  readonly span: Tracer.Span | undefined
}

/**
 * A resource's recordings in this process. Decisions are taken one at a time, in the order
 * the answers arrived, each starting from what the one before learned: the history read made
 * at request time is trusted only while no decision for the resource has touched the
 * database since it was made, because a write still pending can make it out of date.
 * Answers wait in `queue`; one fiber (the call that found the lane idle) decides them all.
 */
interface Lane {
  generation: number
  /** Recordings tracked and not yet decided: calls in flight, answers queued or being decided. */
  members: number
  readonly queue: Array<Answered>
  draining: boolean
  /** What the last decision learned; while it is known, new recordings skip the history read. */
  known: Known
}

const outcomeName = (outcome: AppendOutcome) =>
  outcome._tag === "Appended" ? "appended" : outcome._tag === "Stale" ? "stale" : "unchanged"

const afterIo = Scheduler.makeBatched((runBatch) => setImmediate(runBatch))

export class Recorder extends Context.Tag("tidemark/Recorder")<Recorder, RecorderShape>() {
  static readonly layer = Layer.effect(
    Recorder,
    Effect.gen(function* () {
      const { recorderQueueMax } = yield* AppConfig
      const background = yield* Background
      const history = yield* History
      const feed = yield* Feed
      const watch = yield* HistoryWatch
      let pending = 0
      const lanes = new Map<string, Lane>()
      /**
       * What idle resources' last decisions learned, kept only while the watch hears every
       * version written: a version another writer appends makes it forgotten.
       */
      const kept = new Map<string, Latest>()
      let keptContent = 0

      const forget = (resourceId: string) => {
        keptContent -= kept.get(resourceId)?.tracked?.length ?? 0
        kept.delete(resourceId)
      }

      const laneOf = (resourceId: string): Lane => {
        const existing = lanes.get(resourceId)
        if (existing !== undefined) return existing
        const latest = watch.complete() ? kept.get(resourceId) : undefined
        forget(resourceId)
        const lane: Lane = {
          generation: 0,
          members: 0,
          queue: [],
          draining: false,
          known: Option.fromNullable(latest),
        }
        lanes.set(resourceId, lane)
        return lane
      }

      const keep = (resourceId: string, known: Known) => {
        if (Option.isNone(known) || !watch.complete()) return
        forget(resourceId)
        if (kept.size >= KEPT_MAX) {
          const oldest = kept.keys().next().value
          if (oldest !== undefined) forget(oldest)
        }
        const { tracked } = known.value
        const room = tracked !== undefined && keptContent + tracked.length <= KEPT_CONTENT_MAX
        if (room) keptContent += tracked.length
        kept.set(resourceId, room ? known.value : { ...known.value, tracked: undefined })
      }

      // Whatever was known of a resource is doubted once a version is appended that it does
      // not account for (this process's own appends are known by the time they are heard,
      // or become known right after), and everything is doubted when the watch is lost.
      const doubt = (lane: Lane) => {
        lane.known = Option.none()
        lane.generation++
      }
      watch.listen((event: WatchEvent) => {
        if (event._tag === "Lost") {
          kept.clear()
          keptContent = 0
          for (const lane of lanes.values()) doubt(lane)
          return
        }
        const accounts = (latest: Latest | undefined) => latest?.version === event.version
        if (kept.has(event.resourceId) && !accounts(kept.get(event.resourceId))) {
          forget(event.resourceId)
        }
        const lane = lanes.get(event.resourceId)
        if (lane !== undefined && !accounts(Option.getOrUndefined(lane.known))) doubt(lane)
      })

      const leave = (resourceId: string, lane: Lane) =>
        Effect.suspend(() => {
          pending--
          lane.members--
          if (lane.members === 0) {
            lanes.delete(resourceId)
            keep(resourceId, lane.known)
          }
          return Metric.set(recorderQueueDepth, pending)
        })

      /** Compares with what is known and appends when the tracked content changed. */
      const decide = (observation: Observation, known: Known, lane: Lane) =>
        Effect.gen(function* () {
          const { resource, hash } = observation
          const answeredAt = Date.now()
          if (Option.isSome(known) && known.value.hash === hash) {
            yield* Metric.increment(recordings("unchanged"))
            return known
          }
          // Bumped when the write starts and when it ends, so a read that overlapped it is distrusted.
          lane.generation++
          const outcome = yield* history
            .append(observation, Option.isSome(known) ? writtenOf(known.value) : undefined)
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
              hash,
              observedAt: observation.observedAt.toISOString(),
              changes: outcome.right.changes,
            })
            yield* Effect.logDebug("version recorded").pipe(
              Effect.annotateLogs({ resource: resource.key, version: outcome.right.version }),
            )
          }
          return knownAfter(outcome.right, hash)
        }).pipe(
          Effect.withSpan("Recorder.record", {
            attributes: { "tidemark.resource": observation.resource.key },
            captureStackTrace: false,
          }),
        )

      /** Decides the lane's answers in order until none is left; the lane is then idle again. */
      const drain = (resourceId: string, lane: Lane): Effect.Effect<void> =>
        Effect.gen(function* () {
          for (;;) {
            const next = lane.queue.shift()
            if (next === undefined) {
              lane.draining = false
              return
            }
            const known: Known =
              next.first && next.read !== undefined && lane.generation === next.readGeneration
                ? yield* next.read.pipe(
                    Effect.map(
                      Option.map(
                        ({ hash, version }): Latest => ({ hash, version, tracked: undefined }),
                      ),
                    ),
                    Effect.orElseSucceed((): Known => Option.none()),
                  )
                : lane.known
            lane.known = yield* underSpan(decide(next.observation, known, lane), next.span).pipe(
              // A defect in one decision must not stop the lane: the next one starts unknowing.
              Effect.catchAllDefect((defect) =>
                Effect.logError("recording failed").pipe(
                  Effect.annotateLogs({
                    resource: next.observation.resource.key,
                    error: String(defect),
                  }),
                  Effect.as(Option.none()),
                ),
              ),
              Effect.onInterrupt(() => leave(resourceId, lane)),
            )
            // Only once the lane knows what this decision learned: an idle lane's knowledge is kept.
            yield* leave(resourceId, lane)
          }
        }).pipe(
          // Interrupted (the service is closing): the answers still queued leave undecided.
          Effect.onInterrupt(() =>
            Effect.forEach(lane.queue.splice(0), () => leave(resourceId, lane), { discard: true }),
          ),
        )

      const track = (resource: ResourceRef, call: Effect.Effect<Observed, UpstreamError>) =>
        Effect.gen(function* () {
          if (pending >= recorderQueueMax) {
            yield* Metric.increment(recordings("dropped"))
            yield* Effect.logWarning("recorder queue full, recording dropped").pipe(
              Effect.annotateLogs({ resource: resource.key, pending }),
            )
            return yield* background.run(Effect.ignore(call))
          }
          pending++
          yield* Metric.set(recorderQueueDepth, pending)
          const lane = laneOf(resource.id)
          lane.members++
          const readGeneration = lane.generation
          // With the tracer off the current span is a stand-in whose ids mean nothing.
          const span = (yield* FiberRef.get(FiberRef.currentTracerEnabled))
            ? Option.getOrUndefined(yield* Effect.option(Effect.currentSpan))
            : undefined
          const read =
            lane.draining || Option.isSome(lane.known)
              ? undefined
              : yield* history.startLatest(resource.id)
          return yield* background.run(
            Effect.exit(call).pipe(
              // A call ended before it answered (the service is closing) leaves its place.
              Effect.onInterrupt(() => leave(resource.id, lane)),
              Effect.flatMap((answered) => {
                if (Exit.isFailure(answered)) return leave(resource.id, lane)
                const { answer, tracked } = answered.value
                const first = !lane.draining && lane.queue.length === 0
                // Nothing to wait for and nothing to write: the decision the queue would take
                // (unchanged, against what the lane knew before the call) is taken here.
                if (
                  first &&
                  read === undefined &&
                  Option.isSome(lane.known) &&
                  lane.known.value.hash === tracked.hash
                ) {
                  return Effect.zipRight(
                    Metric.increment(recordings("unchanged")),
                    leave(resource.id, lane),
                  )
                }
                lane.queue.push({
                  observation: {
                    resource,
                    observedAt: answer.observedAt,
                    body: answer.text,
                    tracked: tracked.content,
                    hash: tracked.hash,
                  },
                  read,
                  readGeneration,
                  first,
                  span,
                })
                if (lane.draining) return Effect.void
                lane.draining = true
                return Effect.withScheduler(drain(resource.id, lane), afterIo)
              }),
            ),
          )
        })

      return { track, pending: Effect.sync(() => pending) } satisfies RecorderShape
    }),
  )
}
