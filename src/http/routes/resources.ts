import { Effect } from "effect"
import { Hono } from "hono"
import { describeRoute } from "hono-openapi"
import { parsePointer } from "../../core/pointer.js"
import { Browse } from "../../history/Browse.js"
import type { AppEnv } from "../env.js"
import { input, jsonResponse, problems } from "../openapi.js"
import {
  DiffQuery,
  decodeCursor,
  encodeCursor,
  ResourcePath,
  ResourcesQuery,
  SeriesQuery,
  VersionPath,
  VersionsQuery,
} from "../queries.js"
import { respond } from "../run.js"
import {
  JsonPatch,
  ResourceDetail,
  ResourcesPage,
  Series,
  VersionDetail,
  VersionsPage,
} from "../schemas.js"

const json = (value: unknown) => Response.json(value)

const tags = ["history"]

/** The recorded history: resources, their versions and the diffs between them. */
export const resourceRoutes = () =>
  new Hono<AppEnv>()
    .get(
      "/",
      describeRoute({
        operationId: "listResources",
        summary: "Tracked resources, by id, a page at a time",
        description: "`nextCursor`, when not null, is the `cursor` of the next page.",
        tags,
        responses: {
          200: jsonResponse("a page of resources", ResourcesPage),
          ...problems(400, 503, 500),
        },
      }),
      input("query", ResourcesQuery),
      async (c) => {
        const query = c.req.valid("query")
        return respond(
          await c.var.run(
            Effect.gen(function* () {
              const browse = yield* Browse
              const page = yield* browse.resources({
                source: query.source,
                limit: query.limit,
                after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
              })
              return {
                items: page.items,
                nextCursor: page.next === null ? null : encodeCursor(page.next),
              } satisfies typeof ResourcesPage.Type
            }),
          ),
          json,
        )
      },
    )
    .get(
      "/:id",
      describeRoute({
        operationId: "getResource",
        summary: "One resource with its latest version",
        tags,
        responses: {
          200: jsonResponse("the resource", ResourceDetail),
          ...problems(400, 404, 503, 500),
        },
      }),
      input("param", ResourcePath),
      async (c) => {
        const { id } = c.req.valid("param")
        return respond(
          await c.var.run(Effect.flatMap(Browse, (browse) => browse.resource(id))),
          json,
        )
      },
    )
    .get(
      "/:id/versions",
      describeRoute({
        operationId: "listVersions",
        summary: "A resource's versions, newest first",
        description: "`nextBefore`, when not null, is the `before` of the next page.",
        tags,
        responses: {
          200: jsonResponse("a page of versions", VersionsPage),
          ...problems(400, 404, 503, 500),
        },
      }),
      input("param", ResourcePath),
      input("query", VersionsQuery),
      async (c) => {
        const { id } = c.req.valid("param")
        const query = c.req.valid("query")
        return respond(
          await c.var.run(
            Effect.gen(function* () {
              const page = yield* Effect.flatMap(Browse, (browse) =>
                browse.versions(id, { limit: query.limit, before: query.before }),
              )
              return {
                items: page.items,
                nextBefore: page.next === null ? null : Number(page.next),
              } satisfies typeof VersionsPage.Type
            }),
          ),
          json,
        )
      },
    )
    .get(
      "/:id/versions/:n",
      describeRoute({
        operationId: "getVersion",
        summary: "One version: its full upstream body, tracked content and patch",
        tags,
        responses: {
          200: jsonResponse("the version", VersionDetail),
          ...problems(400, 404, 503, 500),
        },
      }),
      input("param", VersionPath),
      async (c) => {
        const { id, n } = c.req.valid("param")
        return respond(
          await c.var.run(Effect.flatMap(Browse, (browse) => browse.version(id, n))),
          json,
        )
      },
    )
    .get(
      "/:id/series",
      describeRoute({
        operationId: "getSeries",
        summary: "The numbers at a JSON Pointer across the latest versions, oldest first",
        description: "Versions whose value there is not a number (or numeric text) are left out.",
        tags,
        responses: { 200: jsonResponse("the series", Series), ...problems(400, 404, 503, 500) },
      }),
      input("param", ResourcePath),
      input("query", SeriesQuery),
      async (c) => {
        const { id } = c.req.valid("param")
        const query = c.req.valid("query")
        return respond(
          await c.var.run(
            Effect.flatMap(Browse, (browse) =>
              browse.series(id, parsePointer(query.path), query.limit),
            ).pipe(
              Effect.map((points) => ({ path: query.path, points }) satisfies typeof Series.Type),
            ),
          ),
          json,
        )
      },
    )
    .get(
      "/:id/diff",
      describeRoute({
        operationId: "getDiff",
        summary: "The RFC 6902 operations turning version `from`'s tracked content into `to`'s",
        tags,
        responses: {
          200: jsonResponse("the operations, in order", JsonPatch),
          ...problems(400, 404, 503, 500),
        },
      }),
      input("param", ResourcePath),
      input("query", DiffQuery),
      async (c) => {
        const { id } = c.req.valid("param")
        const { from, to } = c.req.valid("query")
        return respond(
          await c.var.run(Effect.flatMap(Browse, (browse) => browse.diff(id, from, to))),
          json,
        )
      },
    )
