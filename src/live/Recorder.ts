/** Compares each answered observation with the recorded history and appends only what changed. */
import {
  Context,
  Effect,
  Either,
  type Exit,
  Layer,
  Metric,
  Option,
  Runtime,
  type Tracer,
} from "effect"
import { Background } from "../Background.js"
import { AppConfig } from "../Config.js"
import { slicedScheduler } from "../core/sliced.js"
import type { UpstreamError } from "../Errors.js"
import {
  type Appended,
  type AppendOutcome,
  History,
  type LatestVersion,
  type Observation,
  type ResourceRef,
  type Written,
} from "../history/History.js"
import { HistoryWatch, type WatchEvent } from "../history/HistoryWatch.js"
import { recorderQueueDepth, recordingLag, recordings, updateNow } from "../metrics.js"
import { underSpan, withSpanWhenTraced } from "../telemetry/span.js"
import { Feed } from "./Feed.js"
import type { Observed } from "./Observed.js"

/** One upstream call's recording, open from just before the call starts until it ends. */
export interface Recording {
  /**
   * Hands over how the call ended, once: an answer is decided off the caller's path, in the
   * order the resource's calls started (see `ORDER_WAIT_MS`); a failure records nothing.
   */
  readonly end: (exit: Exit.Exit<Observed, UpstreamError>) => void
}

export interface RecorderShape {
  /**
   * Opens the recording of an upstream call about to start for `resource`, with the
   * history read started beside the call when the resource's latest version is not known.
   * `span` is the request's, when traced: the decision is part of its trace. Until it ends,
   * the recording is background work the service waits for when it stops. Neither the call
   * nor its recording runs on a fiber of its own; a lone change after a version this
   * process wrote is appended without one, and only a resource with more to decide has
   * one, deciding it all. Synchronous, outside any fiber: the live path's first step.
   */
  readonly unsafeBegin: (resource: ResourceRef, span: Tracer.Span | undefined) => Recording
  readonly pending: Effect.Effect<number>
}

/**
 * What is known of a resource's latest version: its hash, its number, when its observation
 * was made (when known) and, when this process wrote it, its tracked content (canonical
 * JSON) for the next append to build on. None when nothing can be told.
 */
interface Latest {
  readonly hash: string
  readonly version: number
  readonly observedAt: Date | undefined
  readonly tracked: string | undefined
}
type Known = Option.Option<Latest>

const knownAfter = (outcome: AppendOutcome, observation: Observation): Known => {
  switch (outcome._tag) {
    case "Stale":
      return outcome.latestHash === null
        ? Option.none()
        : Option.some({
            hash: outcome.latestHash,
            version: outcome.version,
            observedAt: outcome.latestObservedAt ?? undefined,
            tracked: undefined,
          })
    case "Unchanged":
      return Option.some({
        hash: observation.hash,
        version: outcome.version,
        observedAt: outcome.observedAt ?? undefined,
        tracked: undefined,
      })
    case "Appended":
      return Option.some({
        hash: observation.hash,
        version: outcome.version,
        observedAt: observation.observedAt,
        tracked: outcome.tracked,
      })
  }
}

/**
 * The decision that needs no database: unchanged when the content is what the resource is
 * known to hold, stale when the observation is older than the latest version known (the
 * database's latest is at least as new: history never goes back in time).
 */
const decidedFrom = (known: Known, hash: string, observedAt: Date) =>
  Option.isNone(known)
    ? undefined
    : decidedAgainst(known.value.hash, known.value.observedAt, hash, observedAt)

const decidedAgainst = (
  latestHash: string,
  latestObservedAt: Date | undefined,
  hash: string,
  observedAt: Date,
) => {
  if (latestHash === hash) return "unchanged"
  return latestObservedAt !== undefined && observedAt < latestObservedAt ? "stale" : undefined
}

const writtenOf = ({ version, tracked }: Latest): Written | undefined =>
  tracked === undefined ? undefined : { version, tracked }

/** Resources whose knowledge is kept while idle, at most; the oldest are forgotten first. */
const KEPT_MAX = 10_000
/**
 * Characters of tracked content kept with that knowledge, at most, so that the next append
 * after an idle spell can still be one statement; beyond it only hashes and numbers are kept.
 */
const KEPT_CONTENT_MAX = 4 * 1024 * 1024

/**
 * Changes appended in one statement, at most: eight parameters a row, well within
 * PostgreSQL's 65,535 a statement. A hot resource whose answers arrive out of the order
 * their calls started changes several times at each of its upstream's changes.
 */
const BATCH_MAX = 1_000

/** How an answer gathered into a batch is decided. */
interface Gathered {
  readonly answered: Answered
  readonly decided: "appended" | "unchanged" | "stale"
}

/** The history read started beside an upstream call. */
type Read = Effect.Effect<Option.Option<LatestVersion>, unknown>

/** An answered observation waiting for its decision: what the decision needs, no more. */
interface Answered {
  readonly observation: Observation
  readonly read: Read | undefined
  readonly readGeneration: number
  /** Nothing was waiting or being decided for the resource when this answer was handed on. */
  readonly first: boolean
  /** The span of the request that made the call: the decision is part of its trace. */
  readonly span: Tracer.Span | undefined
  /** Ends the recording's hold on the service's shutdown. */
  readonly release: () => void
}

/**
 * A resource's recordings in this process. Decisions are taken one at a time, in the order
 * the calls started (an answer waits in `calls` for those before it), each starting from
 * what the one before learned: the history read made at request time is trusted only while
 * no decision for the resource has touched the database since it was made, because a write
 * still pending can make it out of date. Answers handed on wait in `queue`. The answer that found the lane idle starts the decisions: a
 * lone change after a version this process wrote is appended without a fiber, and
 * otherwise one fiber decides them all.
 */
interface Lane {
  generation: number
  /** Recordings tracked and not yet decided: calls in flight, answers queued or being decided. */
  members: number
  readonly queue: Array<Answered>
  draining: boolean
  /** What the last decision learned; while it is known, new recordings skip the history read. */
  known: Known
  /**
   * The history read in flight for the resource and the generation it started in: calls
   * that start together for a resource not known share it.
   */
  reading: { readonly read: Read; readonly generation: number } | undefined
  /**
   * The lane's upstream calls not yet handed on to the queue, in the order they started:
   * an answer waits here until every call that started before it has ended, or has run for
   * longer than `ORDER_WAIT_MS`.
   */
  readonly calls: Array<Call>
  /** Calls ended and waiting in `calls` behind an earlier one still in flight. */
  held: number
  /** Hands on what waits behind a call that has run for too long, once it has. */
  orderTimer: ReturnType<typeof setTimeout> | undefined
}

/** An upstream call of a lane, from when it started (`performance.now()`) until it is handed on. */
interface Call {
  readonly began: number
  readonly opened: Opened
  exit: Exit.Exit<Observed, UpstreamError> | undefined
  /** Passed over while still in flight: its answer is handed on as it arrives. */
  passed: boolean
}

/** What a recording knows from when its call starts. */
type Opened = Omit<Answered, "observation" | "first">

const outcomeName = (outcome: AppendOutcome) =>
  outcome._tag === "Appended" ? "appended" : outcome._tag === "Stale" ? "stale" : "unchanged"

/**
 * How long the decision fibers run, at most, before the event loop gets its turn back (the
 * task that overruns it ends the slice): a burst of recordings, such as a hundred resources'
 * first versions at once, is spread over the loop's turns instead of holding the answers
 * that arrive meanwhile for the whole of it.
 */
const DECISION_SLICE_MS = 2

/** How long a resource's first answer to decide waits before its decisions start, in ms. */
const DRAIN_DELAY_MS = 1

/**
 * How long an answer waits, at most, for the calls to its resource that started before its
 * own: answers are decided in the order their calls started, so a value the upstream served
 * to an earlier call is not made stale by a later call's answer read first. The answers
 * handed on together go by their observation's time, so that a retried call, observed when
 * its last attempt started, comes after the calls that started meanwhile. A call running
 * longer than this is passed over, and its answer decided as it arrives (stale if older
 * than the latest version by then).
 */
export const ORDER_WAIT_MS = 500

/** How often the recorder's queue being full is logged, at most, in ms: the drops are summed. */
const DROP_LOG_INTERVAL_MS = 1_000

export class Recorder extends Context.Tag("tidemark/Recorder")<Recorder, RecorderShape>() {
  static readonly layer = Layer.scoped(
    Recorder,
    Effect.gen(function* () {
      const { recorderQueueMax, logLevel } = yield* AppConfig
      const background = yield* Background
      const history = yield* History
      const feed = yield* Feed
      const watch = yield* HistoryWatch
      const runtime = yield* Effect.runtime<never>()
      const decisions = slicedScheduler(DECISION_SLICE_MS)
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
          reading: undefined,
          calls: [],
          held: 0,
          orderTimer: undefined,
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
        // Versions are numbered in order, so knowing a resource's latest accounts for every
        // version up to it: a batch's own versions are heard after the last of them is known.
        const accounts = (latest: Latest | undefined) =>
          latest !== undefined && event.version <= latest.version
        if (kept.has(event.resourceId) && !accounts(kept.get(event.resourceId))) {
          forget(event.resourceId)
        }
        const lane = lanes.get(event.resourceId)
        if (lane !== undefined && !accounts(Option.getOrUndefined(lane.known))) doubt(lane)
      })

      const leave = (resourceId: string, lane: Lane, release: () => void) => {
        pending--
        lane.members--
        if (lane.members === 0) {
          lanes.delete(resourceId)
          keep(resourceId, lane.known)
        }
        updateNow(recorderQueueDepth, pending)
        release()
      }

      /** Compares with what is known and appends when the tracked content changed. */
      const decide = (observation: Observation, known: Known, lane: Lane, none: boolean) =>
        Effect.gen(function* () {
          const { resource, hash } = observation
          const answeredAt = Date.now()
          const decided = decidedFrom(known, hash, observation.observedAt)
          if (decided !== undefined) {
            yield* Metric.increment(recordings(decided))
            return known
          }
          // Bumped when the write starts and when it ends, so a read that overlapped it is distrusted.
          lane.generation++
          const outcome = yield* history
            .append(
              observation,
              Option.isSome(known) ? writtenOf(known.value) : none ? "none" : undefined,
            )
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
          if (outcome.right._tag === "Appended" && heard()) {
            yield* announce(observation, outcome.right)
          }
          return knownAfter(outcome.right, observation)
        }).pipe(recordSpan(observation))

      const recordSpan = (observation: Observation) =>
        withSpanWhenTraced("Recorder.record", { "tidemark.resource": observation.resource.key })

      /**
       * Whether a new version is heard: by the live feed's watchers or in the debug log.
       * Told to nobody, it would still cost its decision a change of the log's annotations.
       */
      const heard = () => logLevel === "debug" || feed.unsafeWatchers() > 0

      /** A new version, told to the live feed and the debug log. */
      const announce = (observation: Observation, appended: Appended) =>
        Effect.zipRight(
          feed.publish({
            resourceId: observation.resource.id,
            version: appended.version,
            hash: observation.hash,
            observedAt: observation.observedAt.toISOString(),
            changes: appended.changes,
          }),
          Effect.logDebug("version recorded").pipe(
            Effect.annotateLogs({ resource: observation.resource.key, version: appended.version }),
          ),
        )

      /**
       * The answers queued behind `first`, a change from what the lane knows, that can be
       * decided together with it: each one either a change from the last change before it
       * or, against that change, unchanged or stale. Taken off the queue, with their decisions.
       * `untraced`: up to the first traced answer, whose decision belongs in its request's
       * trace (the fiber's batches are recorded under their first answer's span).
       */
      const gather = (lane: Lane, first: Answered, untraced: boolean) => {
        let { hash, observedAt } = first.observation
        let changes = 1
        const steps: Array<Gathered> = []
        for (const answered of lane.queue) {
          if (answered.first || (untraced && answered.span !== undefined)) break
          const { observation } = answered
          const decided = decidedAgainst(hash, observedAt, observation.hash, observation.observedAt)
          if (decided === undefined) {
            if (changes === BATCH_MAX) break
            changes++
            hash = observation.hash
            observedAt = observation.observedAt
          }
          steps.push({ answered, decided: decided ?? "appended" })
        }
        lane.queue.splice(0, steps.length)
        return steps
      }

      /**
       * Appends `first` and the changes among `steps` in one statement after `written`, and
       * counts the rest: what the lane then knows, or None when the statement was refused
       * (nothing was written, nothing counted; the caller decides the answers one by one).
       */
      const decideAll = (
        first: Answered,
        steps: ReadonlyArray<Gathered>,
        written: Written,
        lane: Lane,
      ) =>
        Effect.gen(function* () {
          const answeredAt = Date.now()
          const all: ReadonlyArray<Gathered> = [{ answered: first, decided: "appended" }, ...steps]
          const changes = all.filter((step) => step.decided === "appended")
          lane.generation++
          const appended = yield* history
            .appendAll(
              changes.map((step) => step.answered.observation),
              written,
            )
            .pipe(Effect.option, Effect.ensuring(Effect.sync(() => lane.generation++)))
          if (Option.isNone(appended)) return Option.none<Latest>()
          const lag = (Date.now() - answeredAt) / 1000
          let latest: Latest | undefined
          let index = 0
          for (const { answered, decided } of all) {
            updateNow(recordings(decided), 1)
            const version = decided === "appended" ? appended.value[index++] : undefined
            if (version === undefined) continue
            updateNow(recordingLag, lag)
            if (heard()) yield* announce(answered.observation, version)
            const { hash, observedAt } = answered.observation
            latest = { hash, version: version.version, observedAt, tracked: version.tracked }
          }
          return Option.fromNullable(latest)
        }).pipe(recordSpan(first.observation))

      /**
       * A defect in deciding must not stop the lane: it is logged, and the lane goes on
       * knowing nothing of the resource.
       */
      const survivingDefect = (answered: Answered) =>
        Effect.catchAllDefect((defect) =>
          Effect.logError("recording failed").pipe(
            Effect.annotateLogs({
              resource: answered.observation.resource.key,
              error: String(defect),
            }),
            Effect.as(Option.none<Latest>()),
          ),
        )

      /** Decides the lane's answers in order until none is left; the lane is then idle again. */
      const drain = (resourceId: string, lane: Lane): Effect.Effect<void> =>
        Effect.gen(function* () {
          for (;;) {
            if (withoutFiber(lane)) {
              // The usual case again, as after a first version or a refused statement: the
              // rest is decided without a fiber, however long the queue stays busy.
              yield* Effect.sync(() => startDecisions(resourceId, lane))
              return
            }
            const next = lane.queue.shift()
            if (next === undefined) {
              lane.draining = false
              return
            }
            const reads =
              next.first && next.read !== undefined && lane.generation === next.readGeneration
            // Unchanged or stale against what the lane knows now: counted, nothing more to run.
            const decided = reads
              ? undefined
              : decidedFrom(lane.known, next.observation.hash, next.observation.observedAt)
            if (decided !== undefined) {
              updateNow(recordings(decided), 1)
              leave(resourceId, lane, next.release)
              continue
            }
            // A change after a version this process wrote: appended in one statement with
            // the changes queued behind it, the answers between them decided on the way.
            const written =
              reads || Option.isNone(lane.known) ? undefined : writtenOf(lane.known.value)
            const gathered = written === undefined ? [] : gather(lane, next, false)
            if (written !== undefined && gathered.length > 0) {
              const learned = yield* underSpan(
                decideAll(next, gathered, written, lane),
                next.span,
              ).pipe(
                // After a defect the answers are decided one by one: that decision reads the
                // database, so whatever the statement wrote is neither lost nor repeated.
                survivingDefect(next),
                Effect.onInterrupt(() =>
                  Effect.sync(() => {
                    for (const { answered } of [{ answered: next }, ...gathered]) {
                      leave(resourceId, lane, answered.release)
                    }
                  }),
                ),
              )
              if (Option.isSome(learned)) {
                lane.known = learned
                leave(resourceId, lane, next.release)
                for (const { answered } of gathered) leave(resourceId, lane, answered.release)
                continue
              }
              // Refused (nothing was written): the answers go back, and are decided one by one.
              lane.queue.unshift(...gathered.map(({ answered }) => answered))
              lane.known = Option.none()
            }
            const read =
              reads && next.read !== undefined ? yield* Effect.either(next.read) : undefined
            const known: Known =
              read === undefined
                ? lane.known
                : Either.isLeft(read)
                  ? Option.none()
                  : Option.map(
                      read.right,
                      ({ hash, version, observedAt }): Latest => ({
                        hash,
                        version,
                        observedAt: observedAt ?? undefined,
                        tracked: undefined,
                      }),
                    )
            // The read found no version: the first one can be written in one statement.
            const none = read !== undefined && Either.isRight(read) && Option.isNone(read.right)
            lane.known = yield* underSpan(
              decide(next.observation, known, lane, none),
              next.span,
            ).pipe(
              survivingDefect(next),
              Effect.onInterrupt(() => Effect.sync(() => leave(resourceId, lane, next.release))),
            )
            // Only once the lane knows what this decision learned: an idle lane's knowledge is kept.
            leave(resourceId, lane, next.release)
          }
        }).pipe(
          // Interrupted (the service is closing): the answers still queued leave undecided.
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              for (const left of lane.queue.splice(0)) leave(resourceId, lane, left.release)
            }),
          ),
        )

      /**
       * Whether the queue's next answer is one `startDecisions` takes without a fiber:
       * untraced, not waiting for the history read, after a version this process wrote.
       */
      const withoutFiber = (lane: Lane) => {
        const head = lane.queue[0]
        return (
          head !== undefined &&
          head.span === undefined &&
          head.read === undefined &&
          Option.isSome(lane.known) &&
          writtenOf(lane.known.value) !== undefined
        )
      }

      const startDrain = (resourceId: string, lane: Lane) =>
        background.unsafeRun(drain(resourceId, lane), { scheduler: decisions })

      /**
       * Appends `first`, a change right after the version this process wrote last, and the
       * changes gathered behind it in one statement, without a fiber; the answers between
       * them are counted on the way, and those that queue meanwhile are decided after it.
       * Refused or failed, they all go back to the head of the queue and the fiber decides
       * them one by one under the resource's row lock, as after a refused statement there.
       */
      const appendTogether = (
        resourceId: string,
        lane: Lane,
        first: Answered,
        steps: ReadonlyArray<Gathered>,
        written: Written,
      ) => {
        const all: ReadonlyArray<Gathered> = [{ answered: first, decided: "appended" }, ...steps]
        const changes = all.filter((step) => step.decided === "appended")
        const answeredAt = Date.now()
        let handedOn = false
        lane.generation++
        history
          .unsafeAppendAll(
            changes.map((step) => step.answered.observation),
            written,
          )
          .then(
            (appended) => {
              lane.generation++
              const lag = (Date.now() - answeredAt) / 1000
              // Told only where it is heard: a fiber for nobody would cost more than the write.
              const told = heard()
              let latest: Latest | undefined
              let index = 0
              for (const { answered, decided } of all) {
                updateNow(recordings(decided), 1)
                const version = decided === "appended" ? appended[index++] : undefined
                if (version === undefined) continue
                updateNow(recordingLag, lag)
                if (told) Runtime.runFork(runtime)(announce(answered.observation, version))
                const { hash, observedAt } = answered.observation
                latest = { hash, version: version.version, observedAt, tracked: version.tracked }
              }
              lane.known = Option.fromNullable(latest)
              handedOn = true
              for (const { answered } of all) leave(resourceId, lane, answered.release)
              startDecisions(resourceId, lane)
            },
            () => {
              lane.generation++
              lane.known = Option.none()
              lane.queue.unshift(...all.map(({ answered }) => answered))
              handedOn = true
              startDrain(resourceId, lane)
            },
          )
          .catch((defect: unknown) => {
            // As in the fiber: logged, and the lane goes on knowing nothing of the resource.
            Runtime.runFork(runtime)(
              Effect.logError("recording failed").pipe(
                Effect.annotateLogs({
                  resource: first.observation.resource.key,
                  error: String(defect),
                }),
              ),
            )
            lane.known = Option.none()
            if (!handedOn) for (const { answered } of all) leave(resourceId, lane, answered.release)
            startDrain(resourceId, lane)
          })
      }

      /**
       * Decides the lane's queue in order where no fiber is needed: answers unchanged or
       * stale against what the lane knows are counted, and untraced changes right after a
       * version this process wrote are appended together (`appendTogether`), the usual
       * cases at a fraction of a fiber's cost. An answer that waits for the history read,
       * carries a span or follows a version this process did not write is the fiber's
       * (`drain`), with everything behind it. The lane is idle once its queue is empty.
       */
      const startDecisions = (resourceId: string, lane: Lane): void => {
        for (;;) {
          const first = lane.queue[0]
          if (first === undefined) {
            lane.draining = false
            return
          }
          if (first.span !== undefined || first.read !== undefined) {
            startDrain(resourceId, lane)
            return
          }
          const { hash, observedAt } = first.observation
          const decided = decidedFrom(lane.known, hash, observedAt)
          if (decided !== undefined) {
            lane.queue.shift()
            updateNow(recordings(decided), 1)
            leave(resourceId, lane, first.release)
            continue
          }
          const written = Option.isSome(lane.known) ? writtenOf(lane.known.value) : undefined
          if (written === undefined) {
            startDrain(resourceId, lane)
            return
          }
          lane.queue.shift()
          appendTogether(resourceId, lane, first, gather(lane, first, true), written)
          return
        }
      }

      const dropped: Recording = { end: () => undefined }

      // A full queue is logged at its first drop, then once a second at most with the
      // drops since summed, so that overload does not also flood the log.
      let droppedUnlogged = 0
      let dropTimer: ReturnType<typeof setTimeout> | undefined
      const droppedWarning = (count: number, annotations: Record<string, unknown>) =>
        Effect.logWarning("recorder queue full, recordings dropped").pipe(
          Effect.annotateLogs({ ...annotations, dropped: count }),
        )
      const dropsLogged = () => {
        if (droppedUnlogged === 0) {
          dropTimer = undefined
          return
        }
        Runtime.runFork(runtime)(droppedWarning(droppedUnlogged, { pending }))
        droppedUnlogged = 0
        dropTimer = setTimeout(dropsLogged, DROP_LOG_INTERVAL_MS)
      }
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          // Closing: answers still waiting for earlier calls are not handed on any more.
          for (const lane of lanes.values()) clearTimeout(lane.orderTimer)
          clearTimeout(dropTimer)
          dropTimer = undefined
          const count = droppedUnlogged
          droppedUnlogged = 0
          return count === 0 ? Effect.void : droppedWarning(count, { pending })
        }),
      )

      /**
       * The queue's last answer when it repeats both the answer before it and `next`, the
       * answer about to join the queue: a run of answers of one content waiting behind a
       * write is held as its first and its last only, so that a hot resource with a far
       * database does not fill the queue with repeats. Not when either is traced (its
       * decision is part of its request's trace) or the repeat carries the history read.
       * Should the run's first answer turn out stale (another writer's newer version came
       * first), its last is decided next: the run's content is still recorded if it was
       * observed after that version, at its last answer's time.
       */
      const repeatBefore = (lane: Lane, next: Answered): Answered | undefined => {
        const last = lane.queue[lane.queue.length - 1]
        const before = lane.queue[lane.queue.length - 2]
        if (last === undefined || before === undefined) return undefined
        const { hash, observedAt } = next.observation
        const repeats =
          last.observation.hash === hash &&
          before.observation.hash === hash &&
          last.observation.observedAt <= observedAt &&
          !last.first &&
          last.span === undefined &&
          next.span === undefined
        return repeats ? last : undefined
      }

      /**
       * How a call ended, handed on in the order the calls started: decided at once when
       * nothing needs the database, else queued.
       */
      const handOn = (
        resource: ResourceRef,
        lane: Lane,
        opened: Opened,
        exit: Exit.Exit<Observed, UpstreamError>,
      ) => {
        if (exit._tag === "Failure") return leave(resource.id, lane, opened.release)
        const { answer, tracked } = exit.value
        const first = !lane.draining && lane.queue.length === 0
        // Nothing to wait for and nothing to write: the decision the queue would take
        // (unchanged or stale, against what the lane knew before the call) is taken here.
        const decided =
          first && opened.read === undefined
            ? decidedFrom(lane.known, tracked.hash, answer.observedAt)
            : undefined
        if (decided !== undefined) {
          updateNow(recordings(decided), 1)
          return leave(resource.id, lane, opened.release)
        }
        // Field by field, in one order: a spread of `opened` gave these objects shapes that
        // V8's inline caches kept missing on.
        const answered: Answered = {
          observation: {
            resource,
            observedAt: answer.observedAt,
            body: answer.text,
            tracked: tracked.content,
            hash: tracked.hash,
          },
          read: opened.read,
          readGeneration: opened.readGeneration,
          first,
          span: opened.span,
          release: opened.release,
        }
        const repeat = repeatBefore(lane, answered)
        if (repeat !== undefined) {
          // Unchanged, as it is after the answer before it; the new answer takes its place.
          lane.queue[lane.queue.length - 1] = answered
          updateNow(recordings("unchanged"), 1)
          return leave(resource.id, lane, repeat.release)
        }
        lane.queue.push(answered)
        if (lane.draining) return
        lane.draining = true
        // Started a moment later: the request that comes next (often the same client's) has
        // its upstream call going first, and the decision runs while that call is in flight.
        setTimeout(startDecisions, DRAIN_DELAY_MS, resource.id, lane)
      }

      /**
       * Hands on, in the order the calls started, every ended call no earlier call in flight
       * holds back, passing over calls that have run for `ORDER_WAIT_MS` while answers wait.
       */
      const handOnInOrder = (resource: ResourceRef, lane: Lane) => {
        const ready: Array<Call> = []
        let wait: number | undefined
        for (;;) {
          const call = lane.calls[0]
          if (call === undefined) break
          if (call.exit === undefined) {
            if (lane.held === 0) break
            const waited = performance.now() - call.began
            if (waited < ORDER_WAIT_MS) {
              wait = ORDER_WAIT_MS - waited
              break
            }
            call.passed = true
          } else {
            lane.held--
            ready.push(call)
          }
          lane.calls.shift()
        }
        if (wait === undefined) {
          clearTimeout(lane.orderTimer)
          lane.orderTimer = undefined
        } else {
          lane.orderTimer ??= setTimeout(orderWaitOver, wait, resource, lane)
        }
        // A retried call's observation is its last attempt's: later than its place in the order.
        if (ready.length > 1) ready.sort((a, b) => observedAtOf(a) - observedAtOf(b))
        for (const { opened, exit } of ready)
          if (exit !== undefined) handOn(resource, lane, opened, exit)
      }

      /** When an ended call's observation was made, in ms; a failure, which records nothing, 0. */
      const observedAtOf = ({ exit }: Call) =>
        exit?._tag === "Success" ? exit.value.answer.observedAt.getTime() : 0

      const orderWaitOver = (resource: ResourceRef, lane: Lane) => {
        lane.orderTimer = undefined
        handOnInOrder(resource, lane)
      }

      /** How a call ended: handed on at once when no earlier call holds it back, else held. */
      const ended = (
        resource: ResourceRef,
        lane: Lane,
        call: Call,
        exit: Exit.Exit<Observed, UpstreamError>,
      ) => {
        if (call.passed) return handOn(resource, lane, call.opened, exit)
        call.exit = exit
        lane.held++
        if (lane.calls[0] === call || lane.orderTimer === undefined) handOnInOrder(resource, lane)
      }

      /** The history read for a lane whose resource is not known: the one in flight, if still trusted. */
      const readFor = (resource: ResourceRef, lane: Lane, span: Tracer.Span | undefined): Read => {
        if (lane.reading !== undefined && lane.reading.generation === lane.generation) {
          return lane.reading.read
        }
        // A fiber only for a traced request, whose read is a span of its trace.
        const read =
          span === undefined
            ? history.unsafeStartLatest(resource.id)
            : Runtime.runSync(runtime)(underSpan(history.startLatest(resource.id), span))
        lane.reading = { read, generation: lane.generation }
        return read
      }

      const unsafeBegin = (resource: ResourceRef, span: Tracer.Span | undefined): Recording => {
        if (pending >= recorderQueueMax) {
          updateNow(recordings("dropped"), 1)
          if (dropTimer === undefined) {
            Runtime.runFork(runtime)(
              underSpan(droppedWarning(1, { resource: resource.key, pending }), span),
            )
            dropTimer = setTimeout(dropsLogged, DROP_LOG_INTERVAL_MS)
          } else {
            droppedUnlogged++
          }
          return dropped
        }
        pending++
        updateNow(recorderQueueDepth, pending)
        const release = background.unsafeHold()
        const lane = laneOf(resource.id)
        lane.members++
        const opened: Opened = {
          read:
            lane.draining || Option.isSome(lane.known) ? undefined : readFor(resource, lane, span),
          readGeneration: lane.generation,
          span,
          release,
        }
        const call: Call = { began: performance.now(), opened, exit: undefined, passed: false }
        lane.calls.push(call)
        return { end: (exit) => ended(resource, lane, call, exit) }
      }

      return { unsafeBegin, pending: Effect.sync(() => pending) } satisfies RecorderShape
    }),
  )
}
