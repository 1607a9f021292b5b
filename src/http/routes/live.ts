import { Effect } from "effect"
import { Hono } from "hono"
import { Live, type LiveAnswer } from "../../live/Live.js"
import type { AppEnv } from "../env.js"
import { problemFor } from "../problem.js"
import { respond } from "../run.js"

const matchesEtag = (header: string | undefined, etag: string): boolean =>
  (header ?? "").split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "")
    return tag === etag || tag === "*"
  })

const liveHeaders = ({ tracked, resource, answer }: LiveAnswer) => ({
  etag: `"${tracked.hash}"`,
  "tidemark-resource": resource.id,
  "tidemark-observed-at": answer.observedAt.toISOString(),
  "cache-control": "no-cache",
})

/** `GET /v1/live/:source`: the upstream's body, byte for byte, as soon as it arrives. */
export const liveRoutes = () =>
  new Hono<AppEnv>().get("/:source", async (c) => {
    const exit = await c.var.run(
      Effect.flatMap(Live, (live) => live.observe(c.req.param("source"), c.req.queries())),
    )
    return respond(
      exit,
      (observed) => {
        c.set("upstream", observed.coalesced ? "coalesced" : "ok")
        const headers = liveHeaders(observed)
        if (matchesEtag(c.req.header("if-none-match"), headers.etag)) {
          return new Response(null, { status: 304, headers })
        }
        return new Response(observed.answer.bytes, {
          status: 200,
          headers: { ...headers, "content-type": observed.answer.contentType },
        })
      },
      (error) => {
        if (error._tag.startsWith("Upstream")) c.set("upstream", problemFor(error).code)
      },
    )
  })
