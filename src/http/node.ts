/**
 * The Node entry's HTTP server: the Hono app through @hono/node-server, with
 * `GET /v1/live/:source` answered straight from node:http when nothing on the way needs
 * Hono (no token to check, no request span). The live route is the hot path, and Hono's
 * bridge (a `Request` in, a `Response` out, the middleware's steps) cost about a tenth of
 * its CPU per answer. Both ways answer alike: one `liveReply`, one `requestEnded`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { getRequestListener } from "@hono/node-server"
import { Effect, Exit } from "effect"
import { getQueryParams } from "hono/utils/url"
import type { LiveAnswer, LiveError, LiveShape, RawParams } from "../live/Live.js"
import { requestEnded } from "./app.js"
import type { AppServices } from "./env.js"
import { LIVE_ROUTE, liveReply } from "./routes/live.js"
import type { Runner } from "./run.js"

/** A source id as one plain path segment; anything else (escapes, more segments) goes to Hono. */
const LIVE_PATH = /^\/v1\/live\/([A-Za-z0-9._~-]+)(?:\?|$)/

export interface LiveDirect {
  readonly live: LiveShape
  readonly run: Runner<AppServices>
  readonly logRequests: boolean
}

/** Answers a live request and says true, or says false and leaves the request to Hono. */
export type AnswerLive = (request: IncomingMessage, response: ServerResponse) => boolean

export const answerLive =
  ({ live, run, logRequests }: LiveDirect): AnswerLive =>
  (request, response) => {
    const url = request.url ?? ""
    const source = request.method === "GET" ? LIVE_PATH.exec(url)?.[1] : undefined
    if (source === undefined) return false
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
      const { body } = reply
      response.writeHead(
        reply.status,
        body === null
          ? reply.headers
          : {
              ...reply.headers,
              "content-length":
                typeof body === "string" ? Buffer.byteLength(body) : body.byteLength,
            },
      )
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
    return true
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
  const answer = direct === undefined ? undefined : answerLive(direct)
  return createServer((request, response) => {
    if (answer === undefined || !answer(request, response)) void honoListener(request, response)
  })
}
