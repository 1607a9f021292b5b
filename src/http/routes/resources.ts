import { Effect } from "effect"
import { Hono } from "hono"
import { parsePointer } from "../../core/pointer.js"
import { Browse } from "../../history/Browse.js"
import type { AppEnv } from "../env.js"
import {
  DiffQuery,
  decodeCursor,
  decodeInput,
  encodeCursor,
  ResourceId,
  ResourcesQuery,
  SeriesQuery,
  VersionPath,
  VersionsQuery,
} from "../queries.js"
import { respond } from "../run.js"

const json = (value: unknown) => Response.json(value)

/** The recorded history: resources, their versions and the diffs between them. */
export const resourceRoutes = () =>
  new Hono<AppEnv>()
    .get("/", async (c) =>
      respond(
        await c.var.run(
          Effect.gen(function* () {
            const query = yield* decodeInput(ResourcesQuery, c.req.query(), "query")
            const browse = yield* Browse
            const page = yield* browse.resources({
              source: query.source,
              limit: query.limit,
              after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
            })
            return {
              items: page.items,
              nextCursor: page.next === null ? null : encodeCursor(page.next),
            }
          }),
        ),
        json,
      ),
    )
    .get("/:id", async (c) =>
      respond(
        await c.var.run(
          Effect.gen(function* () {
            const id = yield* decodeInput(ResourceId, c.req.param("id"), "resource id")
            return yield* Effect.flatMap(Browse, (browse) => browse.resource(id))
          }),
        ),
        json,
      ),
    )
    .get("/:id/versions", async (c) =>
      respond(
        await c.var.run(
          Effect.gen(function* () {
            const id = yield* decodeInput(ResourceId, c.req.param("id"), "resource id")
            const query = yield* decodeInput(VersionsQuery, c.req.query(), "query")
            const page = yield* Effect.flatMap(Browse, (browse) =>
              browse.versions(id, { limit: query.limit, before: query.before }),
            )
            return { items: page.items, nextBefore: page.next === null ? null : Number(page.next) }
          }),
        ),
        json,
      ),
    )
    .get("/:id/versions/:n", async (c) =>
      respond(
        await c.var.run(
          Effect.gen(function* () {
            const { id, n } = yield* decodeInput(VersionPath, c.req.param(), "path")
            return yield* Effect.flatMap(Browse, (browse) => browse.version(id, n))
          }),
        ),
        json,
      ),
    )
    .get("/:id/series", async (c) =>
      respond(
        await c.var.run(
          Effect.gen(function* () {
            const id = yield* decodeInput(ResourceId, c.req.param("id"), "resource id")
            const query = yield* decodeInput(SeriesQuery, c.req.query(), "query")
            const points = yield* Effect.flatMap(Browse, (browse) =>
              browse.series(id, parsePointer(query.path), query.limit),
            )
            return { path: query.path, points }
          }),
        ),
        json,
      ),
    )
    .get("/:id/diff", async (c) =>
      respond(
        await c.var.run(
          Effect.gen(function* () {
            const id = yield* decodeInput(ResourceId, c.req.param("id"), "resource id")
            const { from, to } = yield* decodeInput(DiffQuery, c.req.query(), "query")
            return yield* Effect.flatMap(Browse, (browse) => browse.diff(id, from, to))
          }),
        ),
        json,
      ),
    )
