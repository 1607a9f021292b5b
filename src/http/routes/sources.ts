import { Hono } from "hono"
import type { SourcesShape } from "../../Sources.js"
import type { AppEnv } from "../env.js"

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
  }
  return new Hono<AppEnv>().get("/", (c) => c.json(listing))
}
