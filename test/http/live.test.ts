import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, type TestDatabase } from "../support/databases.js"
import { bodyOf, startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

describe.each(databases)("the live route on $name", ({ fresh }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
    tidemark = await startTidemark(database.target, {
      sources: {
        price: {
          description: "a price",
          url: `${upstream.url}/prices/{pair}`,
          params: { pair: { type: "string", pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
          select: "/data",
          ignore: ["/generated_at"],
        },
      },
    })
  })
  afterAll(async () => {
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  it("answers with the upstream body byte for byte, with ETag, resource and observed-at headers", async () => {
    const body = '{ "data": {"amount": "1.50", "generated_at": 1},\n "extra": [1, 2.0] }'
    upstream.route("/prices/EUR-USD", (_, response) => sendJson(response, body))
    const before = Date.now()
    const response = await tidemark.request("/v1/live/price?pair=EUR-USD")
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(body)
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/)
    expect(response.headers.get("tidemark-resource")).toMatch(/^[A-Za-z0-9_-]+$/)
    const observedAt = Date.parse(response.headers.get("tidemark-observed-at") ?? "")
    expect(observedAt).toBeGreaterThanOrEqual(before - 1)
    await tidemark.settle()
    const versions = await tidemark.request(
      `/v1/resources/${response.headers.get("tidemark-resource")}/versions`,
    )
    expect((await bodyOf<{ items: unknown[] }>(versions)).items).toHaveLength(1)
  })

  it("answers 304 to If-None-Match with the current ETag", async () => {
    upstream.route("/prices/GBP-USD", (_, response) =>
      sendJson(response, { data: { amount: "2" } }),
    )
    const first = await tidemark.request("/v1/live/price?pair=GBP-USD")
    const etag = first.headers.get("etag") ?? ""
    const second = await tidemark.request("/v1/live/price?pair=GBP-USD", {
      headers: { "if-none-match": etag },
    })
    expect(second.status).toBe(304)
    expect(second.headers.get("etag")).toBe(etag)
    expect(await second.text()).toBe("")
  })
})
