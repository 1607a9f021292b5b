/**
 * The live path: validate, derive the resource, open its recording (which starts the
 * history read when needed), start the upstream call and answer with its result as soon as
 * it arrives. The call runs outside the request's fiber and hands its answer to the
 * recorder whatever becomes of the request.
 */
import { Context, Effect, Exit, FiberRef, Layer, Runtime, type Tracer } from "effect"
import { normaliseParams, resourceId, resourceKey } from "../core/params.js"
import { makeTracker } from "../core/tracked.js"
import { buildUrl } from "../core/url.js"
import {
  InvalidRequest,
  SourceNotFound,
  type UpstreamError,
  UpstreamInvalidJson,
} from "../Errors.js"
import type { ResourceRef } from "../history/History.js"
import { coalescedRequests, updateNow } from "../metrics.js"
import { Sources } from "../Sources.js"
import type { Source } from "../SourcesFile.js"
import { spanOf } from "../telemetry/span.js"
import type { Observed } from "./Observed.js"
import { Recorder, type Recording } from "./Recorder.js"
import { type CallExit, Upstream } from "./Upstream.js"

/** Query strings whose resource and upstream URL are kept, at most; the oldest go first. */
const DERIVED_CACHE_SIZE = 10_000

export interface LiveAnswer extends Observed {
  readonly resource: ResourceRef
  readonly coalesced: boolean
}

export type RawParams = Readonly<Record<string, ReadonlyArray<string>>>

/** A live request's query: its text as sent, and its params, parsed only when needed. */
export interface LiveQuery {
  readonly text: string
  readonly params: () => RawParams
}

/** What a source and a query string make: the resource, and the upstream URL to call. */
interface Derived {
  readonly resource: ResourceRef
  readonly url: string
}

type FlightExit = Exit.Exit<Observed, UpstreamError>

/** One upstream call and the requests waiting for it: its first, and any that coalesced. */
interface Flight {
  exit: FlightExit | undefined
  readonly waiters: Set<(exit: FlightExit) => void>
}

/** Resources whose latest tracked content is remembered, at most, and their bodies' bytes in all. */
const REMEMBERED_MAX = 10_000
const REMEMBERED_BYTES_MAX = 16 * 1024 * 1024

/**
 * Hands the flight's outcome to `wake`, now or when the call ends, as `resource`'s answer;
 * gives back what stops waiting.
 */
const join = (
  flight: Flight,
  resource: ResourceRef,
  coalesced: boolean,
  wake: (exit: Exit.Exit<LiveAnswer, UpstreamError>) => void,
): (() => void) => {
  // Built by hand: `Exit.map` costs the live path more than the object it makes.
  const answer = (exit: Exit.Exit<Observed, UpstreamError>) =>
    wake(
      exit._tag === "Success"
        ? Exit.succeed({
            answer: exit.value.answer,
            tracked: exit.value.tracked,
            resource,
            coalesced,
          })
        : Exit.failCause(exit.cause),
    )
  if (flight.exit !== undefined) {
    answer(flight.exit)
    return () => undefined
  }
  flight.waiters.add(answer)
  return () => flight.waiters.delete(answer)
}

const wait = (flight: Flight, resource: ResourceRef, coalesced: boolean) =>
  Effect.async<LiveAnswer, UpstreamError>((resume) => {
    const leave = join(flight, resource, coalesced, resume)
    return Effect.sync(leave)
  })

export type LiveError = SourceNotFound | InvalidRequest | UpstreamError

export interface LiveShape {
  /** The live path as an effect, with its spans when traced. */
  readonly observe: (sourceId: string, query: LiveQuery) => Effect.Effect<LiveAnswer, LiveError>
  /**
   * The same path, untraced and outside any fiber: it hands the outcome to `done`, which is
   * called exactly once. What a request costs here is what the service costs per request.
   */
  readonly unsafeObserve: (
    sourceId: string,
    query: LiveQuery,
    done: (exit: Exit.Exit<LiveAnswer, LiveError>) => void,
  ) => void
}

export class Live extends Context.Tag("tidemark/Live")<Live, LiveShape>() {
  static readonly layer = Layer.effect(
    Live,
    Effect.gen(function* () {
      const sources = yield* Sources
      const upstream = yield* Upstream
      const recorder = yield* Recorder
      const runtime = yield* Effect.runtime<never>()
      const inflight = new Map<string, Flight>()
      const track = makeTracker(REMEMBERED_MAX, REMEMBERED_BYTES_MAX)

      /** The answer with its tracked content; valid JSON can still have no canonical form (a lone surrogate). */
      const observed = (
        source: Source,
        resource: ResourceRef,
        exit: CallExit,
      ): Exit.Exit<Observed, UpstreamError> => {
        if (Exit.isFailure(exit)) return Exit.failCause(exit.cause)
        const answer = exit.value
        try {
          return Exit.succeed({
            answer,
            tracked: track(resource.id, answer.json, source.tracking, answer.bytes.length),
          })
        } catch {
          return Exit.fail(new UpstreamInvalidJson({ source: source.id }))
        }
      }

      /**
       * Normalises the params and derives the resource and the upstream URL (hashing the key
       * for its id), or says which param is wrong.
       */
      const derive = (source: Source, raw: RawParams): Derived | InvalidRequest => {
        const checked = normaliseParams(source.params, raw)
        if (!checked.ok) {
          return new InvalidRequest({ detail: `param '${checked.param}' ${checked.reason}` })
        }
        const built = buildUrl(source.url, checked.params)
        if (!built.ok) {
          return new InvalidRequest({ detail: `param '${built.param}' ${built.reason}` })
        }
        const key = resourceKey(source.id, checked.params)
        return {
          resource: { id: resourceId(key), key, source: source.id, params: checked.params },
          url: built.url,
        }
      }

      // What the query strings seen lately derived: a live request would otherwise parse,
      // normalise and hash the same params again each time.
      const derived = new Map<string, Derived>()
      const derivedOf = (source: Source, query: LiveQuery): Derived | InvalidRequest => {
        const cacheKey = `${source.id}?${query.text}`
        const known = derived.get(cacheKey)
        if (known !== undefined) return known
        const made = derive(source, query.params())
        if (made instanceof InvalidRequest) return made
        const oldest = derived.size >= DERIVED_CACHE_SIZE ? derived.keys().next().value : undefined
        if (oldest !== undefined) derived.delete(oldest)
        derived.set(cacheKey, made)
        return made
      }

      /** Hands the call's outcome to its recording; a defect there is logged, never thrown. */
      const record = (resource: ResourceRef, recording: Recording, answered: FlightExit) => {
        try {
          recording.end(answered)
        } catch (defect) {
          // This runs in the HTTP client's callback: a defect must not escape and end the process.
          Runtime.runFork(runtime)(
            Effect.logError("recording failed").pipe(
              Effect.annotateLogs({ resource: resource.key, error: String(defect) }),
            ),
          )
        }
      }

      /**
       * Starts the call, outside any fiber: it runs to its end, and is recorded, even if every
       * request waiting for it goes away. The call starts before its recording opens, so that
       * the upstream request is on its way before any database work the recording starts
       * (the history read) runs; a call that ends at once is recorded once the recording is open.
       */
      const launch = (
        source: Source,
        url: string,
        resource: ResourceRef,
        span: Tracer.Span | undefined,
      ): Flight => {
        const flight: Flight = { exit: undefined, waiters: new Set() }
        if (source.coalesce) inflight.set(resource.id, flight)
        let recording: Recording | undefined
        upstream.unsafeStart(source, url, span, (exit) => {
          const answered = observed(source, resource, exit)
          if (inflight.get(resource.id) === flight) inflight.delete(resource.id)
          flight.exit = answered
          for (const wake of flight.waiters) wake(answered)
          flight.waiters.clear()
          if (recording !== undefined) record(resource, recording, answered)
        })
        recording = recorder.unsafeBegin(resource, span)
        if (flight.exit !== undefined) record(resource, recording, flight.exit)
        return flight
      }

      type Started =
        | { readonly _tag: "Failed"; readonly error: SourceNotFound | InvalidRequest }
        | {
            readonly _tag: "Flying"
            readonly flight: Flight
            readonly resource: ResourceRef
            readonly coalesced: boolean
          }

      /**
       * Finds the request's call: the one in flight for its resource when it coalesces, else
       * a new one with its recording open (once open, the call must start).
       */
      const start = (
        sourceId: string,
        query: LiveQuery,
        span: Tracer.Span | undefined,
      ): Started => {
        const source = sources.find(sourceId)
        if (source === undefined) {
          return { _tag: "Failed", error: new SourceNotFound({ source: sourceId }) }
        }
        const made = derivedOf(source, query)
        if (made instanceof InvalidRequest) return { _tag: "Failed", error: made }
        const { resource, url } = made
        const shared = source.coalesce ? inflight.get(resource.id) : undefined
        if (shared !== undefined) {
          updateNow(coalescedRequests, 1)
          return { _tag: "Flying", flight: shared, resource, coalesced: true }
        }
        const flight = launch(source, url, resource, span)
        return { _tag: "Flying", flight, resource, coalesced: false }
      }

      const ask = (
        sourceId: string,
        query: LiveQuery,
        span: Tracer.Span | undefined,
      ): Effect.Effect<LiveAnswer, LiveError> =>
        Effect.suspend((): Effect.Effect<LiveAnswer, LiveError> => {
          const started = start(sourceId, query, span)
          return started._tag === "Failed"
            ? Effect.fail(started.error)
            : wait(started.flight, started.resource, started.coalesced)
        })

      // Spans only when traced: even a span that records nothing costs a live request its share.
      const observe = (sourceId: string, query: LiveQuery) =>
        Effect.withFiberRuntime<LiveAnswer, LiveError>((fiber) =>
          fiber.getFiberRef(FiberRef.currentTracerEnabled)
            ? Effect.withSpan(
                Effect.withFiberRuntime((traced) => ask(sourceId, query, spanOf(traced))),
                "Live.observe",
                { captureStackTrace: false },
              )
            : ask(sourceId, query, undefined),
        )

      const unsafeObserve: LiveShape["unsafeObserve"] = (sourceId, query, done) => {
        const started = start(sourceId, query, undefined)
        if (started._tag === "Failed") return done(Exit.fail(started.error))
        join(started.flight, started.resource, started.coalesced, done)
      }

      return { observe, unsafeObserve } satisfies LiveShape
    }),
  )
}
