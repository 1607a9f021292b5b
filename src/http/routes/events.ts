/** `GET /v1/resources/:id/events`: server-sent events, one `version` event per new version. */
import { Effect, Ref, Schedule, Stream } from "effect"
import { Hono } from "hono"
import { streamSSE } from "hono/streaming"
import { describeRoute } from "hono-openapi"
import { Browse } from "../../history/Browse.js"
import { Feed, type VersionEvent } from "../../live/Feed.js"
import type { AppEnv } from "../env.js"
import { input, problems } from "../openapi.js"
import { ResourcePath } from "../queries.js"

const KEEP_ALIVE = "15 seconds"
/** Catches versions that other processes on the same database recorded. */
const POLL = "5 seconds"

const watch = (id: string, send: (event: string, data: string) => Promise<void>) =>
  Effect.gen(function* () {
    const feed = yield* Feed
    const browse = yield* Browse
    const local = yield* feed.subscribe
    const initial = yield* browse.latestVersion(id).pipe(Effect.orElseSucceed(() => 0))
    const sent = yield* Ref.make(initial)
    yield* Effect.promise(() => send("ready", JSON.stringify({ resourceId: id, version: initial })))

    const elsewhere = Stream.repeatEffectWithSchedule(
      browse.latestVersion(id).pipe(Effect.orElseSucceed(() => 0)),
      Schedule.spaced(POLL),
    ).pipe(
      Stream.mapEffect((latest) =>
        Effect.gen(function* () {
          if (latest <= (yield* Ref.get(sent))) return []
          const page = yield* browse
            .versions(id, { limit: 50 })
            .pipe(Effect.orElseSucceed(() => ({ items: [] })))
          return page.items.map((item): VersionEvent => ({ resourceId: id, ...item })).toReversed()
        }),
      ),
      Stream.flattenIterables,
    )
    const events = Stream.fromQueue(local).pipe(
      Stream.filter((event) => event.resourceId === id),
      Stream.merge(elsewhere),
      Stream.filterEffect((event) =>
        Ref.modify(sent, (last) => (event.version > last ? [true, event.version] : [false, last])),
      ),
      Stream.mapEffect((event) => Effect.promise(() => send("version", JSON.stringify(event)))),
    )
    const keepAlive = Stream.tick(KEEP_ALIVE).pipe(
      Stream.drop(1),
      Stream.mapEffect(() => Effect.promise(() => send("ping", "{}"))),
    )
    yield* Stream.merge(events, keepAlive).pipe(Stream.runDrain)
  }).pipe(Effect.scoped)

export const eventRoutes = () =>
  new Hono<AppEnv>().get(
    "/:id/events",
    describeRoute({
      operationId: "watchResource",
      summary: "Server-sent events: one `version` event per new version of the resource",
      description:
        "Events: `ready` (`{resourceId, version}`, the latest version when the stream opens, 0 when none), `version` (`{resourceId, version, hash, observedAt, changes}`) and `ping` (`{}`, every 15 s).",
      tags: ["history"],
      responses: {
        200: {
          description: "an event stream that stays open",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        ...problems(400, 500),
      },
    }),
    input("param", ResourcePath),
    async (c) => {
      const { id } = c.req.valid("param")
      return streamSSE(c, async (stream) => {
        const closed = new AbortController()
        stream.onAbort(() => closed.abort())
        await c.var.run(
          watch(id, (event, data) => stream.writeSSE({ event, data })),
          closed.signal,
        )
      })
    },
  )
