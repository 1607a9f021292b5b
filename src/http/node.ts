/**
 * The Node entry's HTTP server: the Hono app through @hono/node-server, with
 * `GET /v1/live/:source` answered straight from node:http when no request span needs
 * Hono's middleware (a bearer token is checked here as the middleware checks it). The live
 * route is the hot path, and Hono's bridge (a `Request` in, a `Response` out, the
 * middleware's steps) cost about a tenth of its CPU per answer. Both ways answer alike:
 * one `liveReply`, one `requestEnded`, one `presentsToken`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { getRequestListener } from "@hono/node-server"
import { Effect, Exit, Redacted } from "effect"
import { getQueryParams } from "hono/utils/url"
import type { LiveAnswer, LiveError, LiveShape, RawParams } from "../live/Live.js"
import { requestEnded } from "./app.js"
import { presentsToken } from "./auth.js"
import type { AppServices } from "./env.js"
import { LIVE_ROUTE, liveReply } from "./routes/live.js"
import type { Runner } from "./run.js"

/** A source id as one plain path segment; anything else (escapes, more segments) goes to Hono. */
const LIVE_PATH = /^\/v1\/live\/([A-Za-z0-9._~-]+)(?:\?|$)/

export interface LiveDirect {
  readonly live: LiveShape
  readonly run: Runner<AppServices>
  readonly logRequests: boolean
  /** Checked as Hono's middleware checks it; a request without it is left to Hono (401). */
  readonly apiToken: Redacted.Redacted<string> | undefined
}

type Listener = (request: IncomingMessage, response: ServerResponse) => void

/** Answers a live request, or leaves the request to `toHono`. */
export type AnswerLive = (
  request: IncomingMessage,
  response: ServerResponse,
  toHono: Listener,
) => void

export const answerLive = ({ live, run, logRequests, apiToken }: LiveDirect): AnswerLive => {
  const expected = apiToken === undefined ? undefined : Redacted.value(apiToken)

  const observe = (request: IncomingMessage, response: ServerResponse, source: string) => {
    const url = request.url ?? ""
    const started = performance.now()
    const at = url.indexOf("?")
    const query = {
      text: at < 0 ? "" : url.slice(at + 1),
      params: (): RawParams => {
        const params = getQueryParams(`http://tidemark${url}`)
        return params === undefined || Array.isArray(params) ? {} : params
      },
    }
    const answered = (exit: Exit.Exit<LiveAnswer, LiveError>) => {
      const reply = liveReply(exit, request.headers["if-none-match"])
      const { body, headers } = reply
      // Names and values in one list, as node:http takes them without copying an object.
      const head: Array<string | number> = []
      for (const name in headers) head.push(name, headers[name] ?? "")
      if (body !== null) {
        head.push(
          "content-length",
          typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
        )
      }
      response.writeHead(reply.status, head)
      response.end(body ?? undefined)
      requestEnded(
        run,
        {
          method: "GET",
          route: LIVE_ROUTE,
          path: at < 0 ? url : url.slice(0, at),
          status: reply.status,
          seconds: (performance.now() - started) / 1000,
          upstream: reply.upstream,
        },
        logRequests,
        undefined,
      )
    }
    try {
      live.unsafeObserve(source, query, answered)
    } catch (defect) {
      // What Hono's error handler does for a route that throws.
      void run(
        Effect.logError("unhandled error in a route").pipe(
          Effect.annotateLogs({ error: String(defect) }),
        ),
      )
      answered(Exit.die(defect))
    }
  }

  return (request, response, toHono) => {
    const source = request.method === "GET" ? LIVE_PATH.exec(request.url ?? "")?.[1] : undefined
    if (source === undefined) return toHono(request, response)
    if (expected === undefined) return observe(request, response, source)
    presentsToken(request.headers.authorization, expected).then(
      (presented) => (presented ? observe(request, response, source) : toHono(request, response)),
      () => toHono(request, response),
    )
  }
}

/**
 * The server `serve` would make for `fetch` (a node:http server over @hono/node-server's
 * listener), with live requests answered directly when `direct` is given.
 */
export const nodeServer = (
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  direct: LiveDirect | undefined,
) => {
  const honoListener = getRequestListener(fetch, { hostname })
  const toHono: Listener = (request, response) => void honoListener(request, response)
  const answer = direct === undefined ? undefined : answerLive(direct)
  return createServer(
    answer === undefined ? toHono : (request, response) => answer(request, response, toHono),
  )
}
