import { request as httpRequest, type IncomingMessage } from "node:http"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Feed } from "../../src/live/Feed.js"
import { databases, type TestDatabase } from "../support/databases.js"
import { listen, startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { waitFor } from "../support/waiting.js"

interface SseEvent {
  event: string
  data: Record<string, unknown>
}

/** Reads server-sent events from a real socket until told to stop. */
const openEvents = (port: number, path: string) =>
  new Promise<{ events: SseEvent[]; response: IncomingMessage; close: () => void }>(
    (resolve, reject) => {
      const events: SseEvent[] = []
      const request = httpRequest({ host: "127.0.0.1", port, path }, (response) => {
        let buffer = ""
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => {
          buffer += chunk
          let end = buffer.indexOf("\n\n")
          while (end !== -1) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message"
            const data = /^data: (.*)$/m.exec(block)?.[1] ?? "{}"
            events.push({ event, data: JSON.parse(data) as Record<string, unknown> })
            end = buffer.indexOf("\n\n")
          }
        })
        response.on("error", () => undefined)
        resolve({ events, response, close: () => request.destroy() })
      })
      request.on("error", reject)
      request.end()
    },
  )

describe.each(databases)("live updates of a resource on $name", ({ fresh }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let server: Awaited<ReturnType<typeof listen>>
  let port = 0
  let price = 1

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
    upstream.route("/price", (_, response) => sendJson(response, { price, at: Math.random() }))
    tidemark = await startTidemark(database.target, {
      sources: { price: { url: `${upstream.url}/price`, ignore: ["/at"] } },
    })
    server = await listen(tidemark)
    port = server.port
  })
  afterAll(async () => {
    await server.close()
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  const watchers = () => tidemark.runtime.runPromise(Effect.flatMap(Feed, (feed) => feed.watchers))

  it("sends a version event for each new version, none for unchanged answers, and lets go when the client leaves", async () => {
    const first = await tidemark.request("/v1/live/price")
    await tidemark.settle()
    const id = first.headers.get("tidemark-resource") ?? ""
    const stream = await openEvents(port, `/v1/resources/${id}/events`)
    expect(stream.response.headers["content-type"]).toContain("text/event-stream")
    await waitFor("the ready event", () => stream.events.length > 0)
    expect(stream.events[0]).toEqual({ event: "ready", data: { resourceId: id, version: 1 } })
    expect(await watchers()).toBe(1)

    await tidemark.request("/v1/live/price")
    price = 2
    await tidemark.request("/v1/live/price")
    price = 3
    await tidemark.request("/v1/live/price")
    await tidemark.settle()
    await waitFor(
      "two version events",
      () => stream.events.filter((e) => e.event === "version").length >= 2,
    )
    const versions = stream.events.filter((e) => e.event === "version").map((e) => e.data)
    expect(versions.map((v) => v.version)).toEqual([2, 3])
    expect(versions[0]).toMatchObject({ resourceId: id, changes: 1 })

    stream.close()
    await waitFor("the subscription to close", async () => (await watchers()) === 0)
    price = 4
    const after = await tidemark.request("/v1/live/price")
    expect(after.status).toBe(200)
    await tidemark.settle()
    const latest = await tidemark.request(`/v1/resources/${id}`)
    expect(await latest.json()).toMatchObject({ latestVersion: 4 })
  })

  it("an invalid resource id is 400 invalid_request", async () => {
    const response = await tidemark.request("/v1/resources/bad%20id/events")
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: "invalid_request" })
  })
})
