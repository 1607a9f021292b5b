/**
 * The live path: validate, derive the resource, hand the upstream call to the recorder
 * (which runs it in the background, beside the history read) and answer with the
 * upstream's result as soon as it arrives.
 */
import { Context, Deferred, Effect, Exit, Layer, Metric } from "effect"
import { normaliseParams, resourceId, resourceKey } from "../core/params.js"
import { track } from "../core/tracked.js"
import { buildUrl } from "../core/url.js"
import {
  InvalidRequest,
  type SourceNotFound,
  type UpstreamError,
  UpstreamInvalidJson,
} from "../Errors.js"
import type { ResourceRef } from "../history/History.js"
import { coalescedRequests } from "../metrics.js"
import { Sources } from "../Sources.js"
import type { Source } from "../SourcesFile.js"
import type { Observed } from "./Observed.js"
import { Recorder } from "./Recorder.js"
import { Upstream } from "./Upstream.js"

const ID_CACHE_SIZE = 10_000

export interface LiveAnswer extends Observed {
  readonly resource: ResourceRef
  readonly coalesced: boolean
}

export type RawParams = Readonly<Record<string, ReadonlyArray<string>>>

export class Live extends Context.Tag("tidemark/Live")<
  Live,
  {
    readonly observe: (
      sourceId: string,
      params: RawParams,
    ) => Effect.Effect<LiveAnswer, SourceNotFound | InvalidRequest | UpstreamError>
  }
>() {
  static readonly layer = Layer.effect(
    Live,
    Effect.gen(function* () {
      const sources = yield* Sources
      const upstream = yield* Upstream
      const recorder = yield* Recorder
      const inflight = new Map<string, Deferred.Deferred<Observed, UpstreamError>>()

      const observeUpstream = (source: Source, url: string) =>
        upstream.fetch(source, url).pipe(
          Effect.flatMap((answer) =>
            Effect.try({
              try: (): Observed => ({ answer, tracked: track(answer.json, source.tracking) }),
              // Valid JSON can still have no canonical form (a lone surrogate in a string).
              catch: () => new UpstreamInvalidJson({ source: source.id }),
            }),
          ),
        )

      // Ids of the keys seen lately: a live request would otherwise hash its key each time.
      const ids = new Map<string, string>()
      const idOf = (key: string) => {
        const known = ids.get(key)
        if (known !== undefined) return known
        const oldest = ids.size >= ID_CACHE_SIZE ? ids.keys().next().value : undefined
        if (oldest !== undefined) ids.delete(oldest)
        const id = resourceId(key)
        ids.set(key, id)
        return id
      }

      // A plain function rather than `Effect.fn`, which captures a stack trace on every call.
      const observe = (sourceId: string, raw: RawParams) =>
        Effect.gen(function* () {
          const source = yield* sources.get(sourceId)
          const checked = normaliseParams(source.params, raw)
          if (!checked.ok) {
            return yield* new InvalidRequest({
              detail: `param '${checked.param}' ${checked.reason}`,
            })
          }
          const built = buildUrl(source.url, checked.params)
          if (!built.ok)
            return yield* new InvalidRequest({ detail: `param '${built.param}' ${built.reason}` })
          const key = resourceKey(source.id, checked.params)
          const resource: ResourceRef = {
            id: idOf(key),
            key,
            source: source.id,
            params: checked.params,
          }

          const shared = source.coalesce ? inflight.get(resource.id) : undefined
          if (shared !== undefined) {
            yield* Metric.increment(coalescedRequests)
            const observed = yield* Deferred.await(shared)
            return { ...observed, resource, coalesced: true }
          }
          // Settled by the call as it ends; the call runs on in the background if this request goes away.
          const answer = yield* Deferred.make<Observed, UpstreamError>()
          const settle = (exit: Exit.Exit<Observed, UpstreamError>) => {
            if (inflight.get(resource.id) === answer) inflight.delete(resource.id)
            Deferred.unsafeDone(answer, exit)
          }
          if (source.coalesce) inflight.set(resource.id, answer)
          const running = yield* recorder.track(
            resource,
            observeUpstream(source, built.url).pipe(
              Effect.onExit((exit) => Effect.sync(() => settle(exit))),
            ),
          )
          // A call that never started (the service is closing) ends its waiters too; once the
          // answer is settled, this does nothing.
          running.addObserver(() => settle(Exit.interrupt(running.id())))
          const observed = yield* Deferred.await(answer)
          return { ...observed, resource, coalesced: false }
        }).pipe(Effect.withSpan("Live.observe", { captureStackTrace: false }))

      return { observe }
    }),
  )
}
