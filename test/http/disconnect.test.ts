import { request as httpRequest } from "node:http"
import type { AddressInfo } from "node:net"
import { type ServerType, serve } from "@hono/node-server"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, type TestDatabase } from "../support/databases.js"
import { bodyOf, startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

describe.each(databases)("a client that disconnects on $name", ({ fresh }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let server: ServerType
  let port = 0

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
    tidemark = await startTidemark(database.target, {
      sources: { slow: { url: `${upstream.url}/slow` } },
    })
    await new Promise<void>((resolve) => {
      server = serve(
        { fetch: tidemark.app.fetch, port: 0, hostname: "127.0.0.1" },
        (info: AddressInfo) => {
          port = info.port
          resolve()
        },
      )
    })
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
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
