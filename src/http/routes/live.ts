import { Cause, Effect, Exit, Option } from "effect"
import { type Handler, Hono } from "hono"
import { describeRoute } from "hono-openapi"
import {
  Live,
  type LiveAnswer,
  type LiveError,
  type LiveQuery,
  type LiveShape,
} from "../../live/Live.js"
import type { AppEnv } from "../env.js"
import { content, jsonSchemaOf, problems } from "../openapi.js"
import { type Problem, problemFor } from "../problem.js"
import { LiveParams, ResourceId } from "../queries.js"
import { unexpectedProblem } from "../run.js"
import { ETag, Instant, JsonValue } from "../schemas.js"

const matchesEtag = (header: string | undefined, etag: string): boolean =>
  header?.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "")
    return tag === etag || tag === "*"
  }) === true

/** A live answer's headers; `contentType` for an answer with a body, not for a 304. */
const liveHeaders = (
  { resource, answer }: LiveAnswer,
  etag: string,
  contentType: string | undefined,
): Record<string, string> => {
  const headers: Record<string, string> = {
    etag,
    "tidemark-resource": resource.id,
    "tidemark-observed-at": answer.observedAt.toISOString(),
    "cache-control": "no-cache",
  }
  if (contentType !== undefined) headers["content-type"] = contentType
  return headers
}

const answerHeaders = {
  ETag: { required: true, schema: jsonSchemaOf(ETag) },
  "Tidemark-Resource": {
    required: true,
    description: "the resource's id, derived from its key",
    schema: jsonSchemaOf(ResourceId),
  },
  "Tidemark-Observed-At": {
    required: true,
    description: "when the upstream call that gave this answer started",
    schema: jsonSchemaOf(Instant),
  },
}

const describeLive = (sourceIds: ReadonlyArray<string>) =>
  describeRoute({
    operationId: "getLive",
    summary: "The upstream's answer, byte for byte, as soon as it arrives",
    description:
      "Calls the source's upstream and answers with its JSON body; the resource's history is read and, when the tracked content changed, a new version recorded off the response path.",
    tags: ["live"],
    parameters: [
      {
        in: "path",
        name: "source",
        required: true,
        description: "a source id, as `GET /v1/sources` lists them",
        schema:
          sourceIds.length === 0 ? { type: "string" } : { type: "string", enum: [...sourceIds] },
      },
      {
        in: "query",
        name: "params",
        style: "form",
        explode: true,
        description:
          "the source's params, each given at most once, as `GET /v1/sources` declares them; a param with a default may be left out",
        schema: jsonSchemaOf(LiveParams),
      },
      {
        in: "header",
        name: "If-None-Match",
        description: "an ETag from an earlier answer: 304 when the tracked content is unchanged",
        schema: { type: "string" },
      },
    ],
    responses: {
      200: {
        description:
          "the upstream's body as it came, with the upstream's Content-Type (application/json when it gave none)",
        headers: answerHeaders,
        content: content("application/json", JsonValue),
      },
      304: { description: "the tracked content still has the ETag given", headers: answerHeaders },
      ...problems(400, 404, 502, 504, 500),
    },
  })

/** The route as Hono names it: the label of the live route's HTTP metrics and log lines. */
export const LIVE_ROUTE = "/v1/live/:source"

/**
 * A live request's answer, written by Hono as a `Response` or by the Node entry straight to
 * its `ServerResponse`: the upstream's bytes (or 304 for a matching ETag), else the error's
 * problem. `upstream` is the request log's word on the call.
 */
export interface LiveReply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | string | null
  readonly upstream: string | undefined
}

const problemReply = (problem: Problem, upstream?: string): LiveReply => ({
  status: problem.status,
  headers: { "content-type": "application/problem+json" },
  body: JSON.stringify(problem),
  upstream,
})

export const liveReply = (
  exit: Exit.Exit<LiveAnswer, LiveError>,
  ifNoneMatch: string | undefined,
): LiveReply => {
  if (Exit.isFailure(exit)) {
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) return problemReply(unexpectedProblem())
    const problem = problemFor(failure.value)
    return problemReply(
      problem,
      failure.value._tag.startsWith("Upstream") ? problem.code : undefined,
    )
  }
  const observed = exit.value
  const upstream = observed.coalesced ? "coalesced" : "ok"
  const etag = `"${observed.tracked.hash}"`
  return matchesEtag(ifNoneMatch, etag)
    ? { status: 304, headers: liveHeaders(observed, etag, undefined), body: null, upstream }
    : {
        status: 200,
        headers: liveHeaders(observed, etag, observed.answer.contentType),
        body: observed.answer.bytes,
        upstream,
      }
}

const observeWith =
  (live: LiveShape) =>
  (source: string, query: LiveQuery): Promise<Exit.Exit<LiveAnswer, LiveError>> =>
    new Promise((resolve) => live.unsafeObserve(source, query, resolve))

/**
 * `GET /v1/live/:source`: the upstream's body, byte for byte, as soon as it arrives. With
 * `untraced` the live path runs outside any fiber; without it, as an effect of the request.
 */
export const liveRoutes = (sourceIds: ReadonlyArray<string>, untraced: LiveShape | undefined) => {
  const observeNow = untraced === undefined ? undefined : observeWith(untraced)
  // The description rides on the handler itself: as a middleware of its own it would cost
  // every live request one more asynchronous step.
  const handler: Handler<AppEnv, "/:source"> = async (c) => {
    const url = c.req.url
    const at = url.indexOf("?")
    const query = { text: at < 0 ? "" : url.slice(at + 1), params: () => c.req.queries() }
    const source = c.req.param("source")
    // Not interrupted when the client leaves: the call and its recording go on regardless,
    // so waiting for the call's end costs less than the request's abort signal would.
    const exit = await (observeNow === undefined
      ? c.var.run(
          Effect.flatMap(Live, (live) => live.observe(source, query)),
          null,
        )
      : observeNow(source, query))
    const reply = liveReply(exit, c.req.header("if-none-match"))
    if (reply.upstream !== undefined) c.set("upstream", reply.upstream)
    return new Response(reply.body, { status: reply.status, headers: reply.headers })
  }
  return new Hono<AppEnv>().get("/:source", Object.assign(handler, describeLive(sourceIds)))
}
