/** The upstream call: one GET with a per-attempt timeout, retries, a size cap and no redirects. */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import {
  Cause,
  Chunk,
  Clock,
  Context,
  Duration,
  Effect,
  Exit,
  Layer,
  Metric,
  Option,
  Redacted,
  Schedule,
  Stream,
} from "effect"
import {
  type UpstreamError,
  UpstreamInvalidJson,
  UpstreamRedirect,
  UpstreamStatus,
  UpstreamTimeout,
  UpstreamTooLarge,
  UpstreamUnreachable,
} from "../Errors.js"
import { upstreamDuration, upstreamRequests } from "../metrics.js"
import type { Source } from "../SourcesFile.js"

export const MAX_UPSTREAM_BYTES = 5 * 1024 * 1024

export interface UpstreamAnswer {
  readonly status: number
  readonly contentType: string
  readonly bytes: Uint8Array
  readonly text: string
  readonly json: unknown
  /** When the successful attempt started: the upstream's state is at least that new. */
  readonly observedAt: Date
}

const OUTCOME: { readonly [Tag in UpstreamError["_tag"]]: string } = {
  UpstreamTimeout: "timeout",
  UpstreamUnreachable: "unreachable",
  UpstreamStatus: "status",
  UpstreamInvalidJson: "invalid_json",
  UpstreamTooLarge: "too_large",
  UpstreamRedirect: "redirect",
}

const RETRYABLE_STATUS = new Set([502, 503, 504])

export const isRetryable = (error: UpstreamError): boolean =>
  error._tag === "UpstreamUnreachable" ||
  error._tag === "UpstreamTimeout" ||
  (error._tag === "UpstreamStatus" && RETRYABLE_STATUS.has(error.status))

const describe = (cause: unknown): string => {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause
  return inner instanceof Error ? inner.message : String(inner)
}

const decoder = new TextDecoder("utf-8", { fatal: true })

const parseJson = (source: Source, bytes: Uint8Array) =>
  Effect.try({
    try: () => {
      const text = decoder.decode(bytes)
      return { text, json: JSON.parse(text) as unknown }
    },
    catch: () => new UpstreamInvalidJson({ source: source.id }),
  })

const backoff = Schedule.exponential(Duration.millis(100), 2).pipe(Schedule.jittered)

export class Upstream extends Context.Tag("tidemark/Upstream")<
  Upstream,
  { readonly fetch: (source: Source, url: string) => Effect.Effect<UpstreamAnswer, UpstreamError> }
>() {
  static readonly layer = Layer.effect(
    Upstream,
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient

      const readCapped = (source: Source, body: Stream.Stream<Uint8Array, unknown>) =>
        body.pipe(
          Stream.mapError(
            (cause) => new UpstreamUnreachable({ source: source.id, reason: describe(cause) }),
          ),
          Stream.runFoldEffect({ chunks: Chunk.empty<Uint8Array>(), size: 0 }, (read, chunk) =>
            read.size + chunk.length > MAX_UPSTREAM_BYTES
              ? Effect.fail(
                  new UpstreamTooLarge({ source: source.id, limitBytes: MAX_UPSTREAM_BYTES }),
                )
              : Effect.succeed({
                  chunks: Chunk.append(read.chunks, chunk),
                  size: read.size + chunk.length,
                }),
          ),
          Effect.map(({ chunks, size }) => Buffer.concat(Chunk.toReadonlyArray(chunks), size)),
        )

      const attempt = (source: Source, request: HttpClientRequest.HttpClientRequest) =>
        Effect.gen(function* () {
          const observedAt = new Date()
          const response = yield* client.execute(request).pipe(
            Effect.mapError(
              (error) =>
                new UpstreamUnreachable({
                  source: source.id,
                  reason: describe(error.cause ?? error),
                }),
            ),
          )
          const discard = response.stream.pipe(Stream.take(0), Stream.runDrain, Effect.ignore)
          if (response.status >= 300 && response.status < 400) {
            yield* discard
            return yield* new UpstreamRedirect({ source: source.id, status: response.status })
          }
          if (response.status < 200 || response.status >= 300) {
            yield* discard
            return yield* new UpstreamStatus({ source: source.id, status: response.status })
          }
          const declared = Number(response.headers["content-length"] ?? Number.NaN)
          if (declared > MAX_UPSTREAM_BYTES) {
            yield* discard
            return yield* new UpstreamTooLarge({
              source: source.id,
              limitBytes: MAX_UPSTREAM_BYTES,
            })
          }
          const bytes = yield* readCapped(source, response.stream)
          const { text, json } = yield* parseJson(source, bytes)
          return {
            status: response.status,
            contentType: response.headers["content-type"] ?? "application/json",
            bytes,
            text,
            json,
            observedAt,
          } satisfies UpstreamAnswer
        }).pipe(
          Effect.timeoutFail({
            duration: Duration.millis(source.timeoutMs),
            onTimeout: () =>
              new UpstreamTimeout({ source: source.id, timeoutMs: source.timeoutMs }),
          }),
        )

      const fetch = (source: Source, url: string) => {
        const headers = Object.fromEntries(
          Object.entries(source.headers).map(([name, value]) => [name, Redacted.value(value)]),
        )
        const request = HttpClientRequest.get(url).pipe(
          HttpClientRequest.setHeaders({ accept: "application/json", ...headers }),
        )
        return Effect.gen(function* () {
          const started = yield* Clock.currentTimeMillis
          const exit = yield* attempt(source, request).pipe(
            Effect.retry({ schedule: backoff, times: source.retries, while: isRetryable }),
            Effect.exit,
          )
          const outcome = Exit.isSuccess(exit)
            ? "ok"
            : Cause.failureOption(exit.cause).pipe(
                Option.match({
                  onNone: () => "interrupted",
                  onSome: (error) => OUTCOME[error._tag],
                }),
              )
          const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
          yield* Metric.increment(upstreamRequests(source.id, outcome))
          yield* Metric.update(upstreamDuration(source.id, outcome), seconds)
          return yield* exit
        }).pipe(Effect.withSpan("Upstream.fetch", { attributes: { "tidemark.source": source.id } }))
      }

      return { fetch }
    }),
  )

  /** Upstream over `fetch`, with redirects handed back instead of followed. */
  static readonly live = Upstream.layer.pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })),
  )
}
