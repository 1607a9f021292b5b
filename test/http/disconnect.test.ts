import { request as httpRequest } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, type TestDatabase } from "../support/databases.js"
import { bodyOf, listen, startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

describe.each(databases)("a client that disconnects on $name", ({ fresh }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let server: Awaited<ReturnType<typeof listen>>
  let port = 0

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
    tidemark = await startTidemark(database.target, {
      sources: { slow: { url: `${upstream.url}/slow` } },
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

  it("does not cancel the upstream call or the recording of its answer", async () => {
    let answer: () => void = () => undefined
    const upstreamReached = new Promise<void>((reached) => {
      upstream.route("/slow", (_, response) => {
        answer = () => sendJson(response, { value: "arrived after the client left" })
        reached()
      })
    })
    const clientGone = new Promise<void>((gone) => {
      const request = httpRequest({ host: "127.0.0.1", port, path: "/v1/live/slow" })
      request.on("error", () => gone())
      request.on("close", () => gone())
      request.end()
      void upstreamReached.then(() => request.destroy())
    })
    await clientGone
    answer()
    await tidemark.settle()
    const resources = await bodyOf<{ items: Array<{ id: string; latestVersion: number }> }>(
      await tidemark.request("/v1/resources?source=slow"),
    )
    expect(resources.items).toHaveLength(1)
    expect(resources.items[0]?.latestVersion).toBe(1)
    const version = await bodyOf<{ body: unknown }>(
      await tidemark.request(`/v1/resources/${resources.items[0]?.id}/versions/1`),
    )
    expect(version.body).toEqual({ value: "arrived after the client left" })
  })
})
