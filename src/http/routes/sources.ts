import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import type { SourcesShape } from "../../Sources.js"
import type { AppEnv } from "../env.js"
import { jsonResponse, problems } from "../openapi.js"
import { SourcesListing } from "../schemas.js"

/** `GET /v1/sources`: what can be asked for, never the header values. */
export const sourceRoutes = (sources: SourcesShape) => {
  const listing = {
    sources: sources.all.map((source) => ({
      id: source.id,
      description: source.description,
      params: source.params,
      select: source.select,
      ignore: source.ignore,
      timeoutMs: source.timeoutMs,
      retries: source.retries,
      coalesce: source.coalesce,
    })),
  } satisfies typeof SourcesListing.Type
  return new Hono<AppEnv>().get(
    "/",
    describeRoute({
      operationId: "listSources",
      summary: "The configured sources and the params each takes",
      description: "Never shows a source's URL, fixed query or header values.",
      tags: ["sources"],
      responses: { 200: jsonResponse("the sources", SourcesListing), ...problems(500) },
    }),
    (c) => c.json(listing),
  )
}
