/** The upstream call: one GET with a per-attempt timeout, retries, a size cap and no redirects. */
import type * as Http from "node:http"
import type * as Https from "node:https"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import {
  Cause,
  Chunk,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  Layer,
  Option,
  Redacted,
  Runtime,
  Schedule,
  type Scope,
  Stream,
  type Tracer,
} from "effect"
import type { Dispatcher } from "undici"
import {
  type UpstreamError,
  UpstreamInvalidJson,
  UpstreamRedirect,
  UpstreamStatus,
  UpstreamTimeout,
  UpstreamTooLarge,
  UpstreamUnreachable,
} from "../Errors.js"
import { updateNow, upstreamCalls } from "../metrics.js"
import type { Source } from "../SourcesFile.js"
import { underSpan } from "../telemetry/span.js"

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

const parseJson = (
  source: Source,
  bytes: Uint8Array,
): Either.Either<{ readonly text: string; readonly json: unknown }, UpstreamInvalidJson> => {
  try {
    const text = decoder.decode(bytes)
    return Either.right({ text, json: JSON.parse(text) as unknown })
  } catch {
    return Either.left(new UpstreamInvalidJson({ source: source.id }))
  }
}

const backoff = Schedule.exponential(Duration.millis(100), 2).pipe(Schedule.jittered)

/** One attempt at the upstream, bounded by the source's timeout: the part that differs by transport. */
type Attempt = (
  source: Source,
  url: string,
  headers: Readonly<Record<string, string>>,
) => Effect.Effect<UpstreamAnswer, UpstreamError>

const headersOf = new WeakMap<Source, Readonly<Record<string, string>>>()
const requestHeaders = (source: Source) => {
  let headers = headersOf.get(source)
  if (headers === undefined) {
    headers = {
      accept: "application/json",
      ...Object.fromEntries(
        Object.entries(source.headers).map(([name, value]) => [name, Redacted.value(value)]),
      ),
    }
    headersOf.set(source, headers)
  }
  return headers
}

/**
 * Retries after `first`, a retryable failure, which counts as the schedule's first attempt:
 * the delays are the same as `Effect.retry`'s over the whole call.
 */
const retryAfter = (
  source: Source,
  attempt: Effect.Effect<UpstreamAnswer, UpstreamError>,
  first: UpstreamError,
) => {
  let tried = false
  const again = Effect.suspend(() => {
    if (tried) return attempt
    tried = true
    return Effect.fail(first)
  })
  return Effect.retry(again, { schedule: backoff, times: source.retries, while: isRetryable })
}

/** The retries, set up only once an attempt has failed with a retryable error. */
const withRetries = (source: Source, attempt: Effect.Effect<UpstreamAnswer, UpstreamError>) =>
  source.retries === 0
    ? attempt
    : Effect.catchIf(attempt, isRetryable, (first) => retryAfter(source, attempt, first))

export type CallExit = Exit.Exit<UpstreamAnswer, UpstreamError>

const outcomeOf = (exit: CallExit) =>
  Exit.isSuccess(exit)
    ? "ok"
    : Cause.failureOption(exit.cause).pipe(
        Option.match({
          onNone: () => "interrupted",
          onSome: (error) => OUTCOME[error._tag],
        }),
      )

/** Counts a call that started at `started` (performance.now()) and ended with `exit`. */
const countCall = (source: Source, started: number, exit: CallExit) => {
  const outcome = outcomeOf(exit)
  const counted = upstreamCalls(source.id, outcome)
  updateNow(counted.count, 1)
  updateNow(counted.seconds, (performance.now() - started) / 1000)
}

/** The per-attempt timeout, the retries, the metrics and the span, whatever the transport. */
const withPolicy =
  (attempt: Attempt) =>
  (source: Source, url: string): Effect.Effect<UpstreamAnswer, UpstreamError> =>
    Effect.suspend(() => {
      const started = performance.now()
      return withRetries(source, attempt(source, url, requestHeaders(source))).pipe(
        Effect.onExit((exit) => Effect.sync(() => countCall(source, started, exit))),
      )
    }).pipe(
      Effect.withSpan("Upstream.fetch", {
        attributes: { "tidemark.source": source.id },
        captureStackTrace: false,
      }),
    )

const readCapped = (source: Source, body: Stream.Stream<Uint8Array, unknown>) =>
  body.pipe(
    Stream.mapError(
      (cause) => new UpstreamUnreachable({ source: source.id, reason: describe(cause) }),
    ),
    Stream.runFoldEffect({ chunks: Chunk.empty<Uint8Array>(), size: 0 }, (read, chunk) =>
      read.size + chunk.length > MAX_UPSTREAM_BYTES
        ? Effect.fail(new UpstreamTooLarge({ source: source.id, limitBytes: MAX_UPSTREAM_BYTES }))
        : Effect.succeed({
            chunks: Chunk.append(read.chunks, chunk),
            size: read.size + chunk.length,
          }),
    ),
    Effect.map(({ chunks, size }) => Buffer.concat(Chunk.toReadonlyArray(chunks), size)),
  )

/** An attempt through @effect/platform's HttpClient (over `fetch` in `Upstream.live`). */
const clientAttempt =
  (client: HttpClient.HttpClient): Attempt =>
  (source, url, headers) =>
    Effect.gen(function* () {
      const observedAt = new Date()
      const request = HttpClientRequest.get(url).pipe(HttpClientRequest.setHeaders(headers))
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
        return yield* new UpstreamTooLarge({ source: source.id, limitBytes: MAX_UPSTREAM_BYTES })
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
        onTimeout: () => new UpstreamTimeout({ source: source.id, timeoutMs: source.timeoutMs }),
      }),
    )

/** How an attempt ends: its answer, or why there is none. */
type AttemptOutcome = Either.Either<UpstreamAnswer, UpstreamError>

/**
 * One attempt over a transport that calls back: started at once, ending in `done` exactly
 * once, capped while the body streams, never following redirects. The returned function
 * abandons it.
 */
type Call = (
  source: Source,
  url: string,
  headers: Readonly<Record<string, string>>,
  done: (outcome: AttemptOutcome) => void,
) => () => void

/** URLs whose parsed request target is kept, at most; the oldest go first. */
const TARGET_CACHE_SIZE = 10_000

const targetCache = <T>(parse: (url: string) => T) => {
  const parsed = new Map<string, T>()
  return (url: string) => {
    let target = parsed.get(url)
    if (target === undefined) {
      target = parse(url)
      const oldest = parsed.size >= TARGET_CACHE_SIZE ? parsed.keys().next().value : undefined
      if (oldest !== undefined) parsed.delete(oldest)
      parsed.set(url, target)
    }
    return target
  }
}

/**
 * What a call keeps while it runs, whatever its transport: `settle` hands on the first
 * outcome only and stops the timeout; `check` refuses a response by its status and declared
 * length; `take` gathers the body up to the cap; `finish` parses it. The timeout is a plain
 * timer rather than `Effect.timeoutFail`, whose racing fiber cost more than the request.
 */
const callState = (source: Source, done: (outcome: AttemptOutcome) => void, stop: () => void) => {
  const observedAt = new Date()
  const chunks: Array<Uint8Array> = []
  let size = 0
  let settled = false
  const settle = (outcome: AttemptOutcome) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    done(outcome)
  }
  const refuse = (error: UpstreamError) => {
    settle(Either.left(error))
    stop()
  }
  const tooLarge = () => new UpstreamTooLarge({ source: source.id, limitBytes: MAX_UPSTREAM_BYTES })
  const timer = setTimeout(
    () => refuse(new UpstreamTimeout({ source: source.id, timeoutMs: source.timeoutMs })),
    source.timeoutMs,
  )
  return {
    settled: () => settled,
    /** Ends the call without an outcome: nothing is handed on after this. */
    abandon: () => {
      settled = true
      clearTimeout(timer)
    },
    unreachable: (cause: unknown) =>
      settle(Either.left(new UpstreamUnreachable({ source: source.id, reason: describe(cause) }))),
    /** Whether the response may go on to its body; refuses it otherwise. */
    check: (status: number, contentLength: string | undefined): boolean => {
      if (status >= 300 && status < 400) refuse(new UpstreamRedirect({ source: source.id, status }))
      else if (status < 200 || status >= 300)
        refuse(new UpstreamStatus({ source: source.id, status }))
      else if (Number(contentLength ?? Number.NaN) > MAX_UPSTREAM_BYTES) refuse(tooLarge())
      else return true
      return false
    },
    take: (chunk: Uint8Array) => {
      size += chunk.length
      if (size > MAX_UPSTREAM_BYTES) refuse(tooLarge())
      else chunks.push(chunk)
    },
    finish: (status: number, contentType: string | undefined) => {
      const bytes = Buffer.concat(chunks, size)
      settle(
        Either.map(parseJson(source, bytes), ({ text, json }) => ({
          status,
          contentType: contentType ?? "application/json",
          bytes,
          text,
          json,
          observedAt,
        })),
      )
    },
  }
}

/** node:http and node:https, imported when the layer is built so other runtimes never load them. */
interface NodeClients {
  readonly httpGet: typeof Http.get
  readonly httpsGet: typeof Https.get
  readonly http: Http.Agent
  readonly https: Https.Agent
  /** The request options a URL stands for, parsed once for the URLs called lately. */
  readonly target: (url: string) => Http.RequestOptions
}

/** A call over node:http(s) with keep-alive agents; abandoning or refusing it destroys the request. */
const nodeCall =
  (clients: NodeClients): Call =>
  (source, url, headers, done) => {
    let request: Http.ClientRequest | undefined
    const call = callState(source, done, () => request?.destroy())
    const onResponse = (response: Http.IncomingMessage) => {
      const status = response.statusCode ?? 0
      if (!call.check(status, response.headers["content-length"])) return
      response.on("data", call.take)
      response.on("error", call.unreachable)
      response.on("close", () => {
        if (!response.complete)
          call.unreachable(new Error("connection closed before the body ended"))
      })
      response.on("end", () => call.finish(status, response.headers["content-type"]))
    }
    try {
      const secure = url.startsWith("https:")
      request = (secure ? clients.httpsGet : clients.httpGet)(
        { ...clients.target(url), agent: secure ? clients.https : clients.http, headers },
        onResponse,
      )
      request.on("error", call.unreachable)
    } catch (error) {
      // An invalid header value is refused before anything is sent.
      call.unreachable(error)
    }
    return () => {
      call.abandon()
      request?.destroy()
    }
  }

/** Why undici is told to stop a call whose outcome is already decided. */
const stopped = () => new Error("the call's outcome is decided")

/** The first value of a response header, as undici hands headers on. */
const headerValue = (value: string | ReadonlyArray<string> | undefined) =>
  typeof value === "string" ? value : value?.[0]

/**
 * A call through an undici dispatcher (its keep-alive pools, one per origin), straight to its
 * handler's callbacks: no streams and no request object, about two thirds of the CPU of
 * node:http's client per call. Abandoning or refusing it aborts the request.
 */
const undiciCall =
  (
    dispatcher: Dispatcher,
    target: (url: string) => { readonly origin: string; readonly path: string },
  ): Call =>
  (source, url, headers, done) => {
    let controller: Dispatcher.DispatchController | undefined
    const call = callState(source, done, () => controller?.abort(stopped()))
    let status = 0
    let contentType: string | undefined
    try {
      const { origin, path } = target(url)
      dispatcher.dispatch(
        { origin, path, method: "GET", headers },
        {
          onRequestStart: (started) => {
            controller = started
            if (call.settled()) started.abort(stopped())
          },
          onResponseStart: (_, statusCode, responseHeaders) => {
            status = statusCode
            contentType = headerValue(responseHeaders["content-type"])
            call.check(status, headerValue(responseHeaders["content-length"]))
          },
          onResponseData: (_, chunk) => call.take(chunk),
          onResponseEnd: () => call.finish(status, contentType),
          onResponseError: (_, error) => call.unreachable(error),
        },
      )
    } catch (error) {
      call.unreachable(error)
    }
    return () => {
      call.abandon()
      controller?.abort(stopped())
    }
  }

const attemptOf =
  (call: Call): Attempt =>
  (source, url, headers) =>
    Effect.async<UpstreamAnswer, UpstreamError>((resume) => {
      const abandon = call(source, url, headers, resume)
      return Effect.sync(abandon)
    })

export interface UpstreamShape {
  /** One call as an effect: attempts with their timeout, retries, metrics and the `Upstream.fetch` span. */
  readonly fetch: (source: Source, url: string) => Effect.Effect<UpstreamAnswer, UpstreamError>
  /**
   * The same call, started at once and run to its end outside the caller's fiber, handing
   * its exit to `done`: the live path's way in, since a call outlives the request that made
   * it. Under `span` (the caller's, when traced) it runs as `fetch`; untraced over a
   * callback transport its first attempt needs no fiber at all.
   */
  readonly unsafeStart: (
    source: Source,
    url: string,
    span: Tracer.Span | undefined,
    done: (exit: CallExit) => void,
  ) => void
}

/** `unsafeStart` as `fetch` run on its own fiber of `runtime`. */
const startOnFiber =
  (runtime: Runtime.Runtime<never>, fetch: UpstreamShape["fetch"]): UpstreamShape["unsafeStart"] =>
  (source, url, span, done) => {
    Runtime.runCallback(runtime)(underSpan(fetch(source, url), span), { onExit: done })
  }

/** Upstream (`tag`) over a callback transport, acquired for the layer's lifetime. */
const callLayer = (
  tag: Context.Tag<Upstream, UpstreamShape>,
  acquire: Effect.Effect<Call, never, Scope.Scope>,
) =>
  Layer.scoped(
    tag,
    Effect.gen(function* () {
      const call = yield* acquire
      const runtime = yield* Effect.runtime<never>()
      const attempt = attemptOf(call)
      const fetch = withPolicy(attempt)
      const traced = startOnFiber(runtime, fetch)
      const unsafeStart: UpstreamShape["unsafeStart"] = (source, url, span, done) => {
        if (span !== undefined) return traced(source, url, span, done)
        const started = performance.now()
        const headers = requestHeaders(source)
        call(source, url, headers, (outcome) => {
          if (Either.isLeft(outcome) && source.retries > 0 && isRetryable(outcome.left)) {
            // The retries wait between attempts: a fiber's schedule is worth it here.
            Runtime.runCallback(runtime)(
              retryAfter(source, attempt(source, url, headers), outcome.left),
              {
                onExit: (exit) => {
                  countCall(source, started, exit)
                  done(exit)
                },
              },
            )
            return
          }
          const exit: CallExit = Either.isRight(outcome)
            ? Exit.succeed(outcome.right)
            : Exit.fail(outcome.left)
          countCall(source, started, exit)
          done(exit)
        })
      }
      return { fetch, unsafeStart } satisfies UpstreamShape
    }),
  )

export class Upstream extends Context.Tag("tidemark/Upstream")<Upstream, UpstreamShape>() {
  static readonly layer = Layer.effect(
    Upstream,
    Effect.gen(function* () {
      const fetch = withPolicy(clientAttempt(yield* HttpClient.HttpClient))
      return { fetch, unsafeStart: startOnFiber(yield* Effect.runtime<never>(), fetch) }
    }),
  )

  /** Upstream over `fetch`, with redirects handed back instead of followed (any runtime). */
  static readonly live = Upstream.layer.pipe(
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })),
  )

  /**
   * Upstream over node:http and node:https with keep-alive agents (Node and Bun): the same
   * behaviour as `live` at a fraction of its cost per call; the agents close with the layer.
   */
  static readonly node = callLayer(
    Upstream,
    Effect.gen(function* () {
      const [http, https, { urlToHttpOptions }] = yield* Effect.promise(() =>
        Promise.all([import("node:http"), import("node:https"), import("node:url")]),
      )
      const clients = yield* Effect.acquireRelease(
        Effect.sync(
          (): NodeClients => ({
            httpGet: http.get,
            httpsGet: https.get,
            http: new http.Agent({ keepAlive: true }),
            https: new https.Agent({ keepAlive: true }),
            target: targetCache((url) => urlToHttpOptions(new URL(url))),
          }),
        ),
        (clients) =>
          Effect.sync(() => {
            clients.http.destroy()
            clients.https.destroy()
          }),
      )
      return nodeCall(clients)
    }),
  )

  /**
   * Upstream over undici's dispatcher (Node only: Bun's `undici` is a stand-in without it),
   * with keep-alive pools per origin: the same behaviour as `node` at about two thirds of
   * its CPU per call. The pools close with the layer.
   */
  static readonly undici = callLayer(
    Upstream,
    Effect.gen(function* () {
      const { Agent } = yield* Effect.promise(() => import("undici"))
      const agent = yield* Effect.acquireRelease(
        // Each call's own timer is its only timeout, as over node:http: undici's defaults
        // (10 s to connect, 300 s for headers and between chunks) would end a call whose
        // source allows longer as unreachable instead.
        Effect.sync(() => new Agent({ connectTimeout: 0, headersTimeout: 0, bodyTimeout: 0 })),
        (agent) => Effect.promise(() => agent.destroy()),
      )
      return undiciCall(
        agent,
        targetCache((url) => {
          const parsed = new URL(url)
          return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` }
        }),
      )
    }),
  )
}
