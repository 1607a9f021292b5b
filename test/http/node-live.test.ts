import { createServer } from "node:http"
import { getRequestListener } from "@hono/node-server"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AnswerLive, answerLive, type LiveDirect, nodeServer } from "../../src/http/node.js"
import { freshPglite, type TestDatabase } from "../support/databases.js"
import { directOf, listening, startTidemark, type TestApp } from "../support/tidemark.js"
import {
  declareHugeBody,
  redirectTo,
  sendJson,
  startUpstream,
  type UpstreamStandIn,
} from "../support/upstream.js"

/** What a client can tell of an answer, but for the time it was observed and the date. */
const seen = async (response: Response) => ({
  status: response.status,
  contentType: response.headers.get("content-type"),
  contentLength: response.headers.get("content-length"),
  etag: response.headers.get("etag"),
  resource: response.headers.get("tidemark-resource"),
  observedAt: response.headers.get("tidemark-observed-at") !== null,
  cacheControl: response.headers.get("cache-control"),
  wwwAuthenticate: response.headers.get("www-authenticate"),
  body: await response.text(),
})

const BODY = '{ "data": {"amount": "1.50", "generated_at": 1},\n "extra": [1, 2.0] }'

/** The app served two ways: all through Hono, and with live requests answered directly. */
const servedBothWays = (tidemark: TestApp, direct: LiveDirect) =>
  Promise.all([
    listening(nodeServer(tidemark.app.fetch, "127.0.0.1", undefined)),
    listening(nodeServer(tidemark.app.fetch, "127.0.0.1", direct)),
  ])

describe("live requests answered straight from node:http", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let answer: AnswerLive
  const servers: Array<{ url: string; close: () => Promise<void> }> = []
  let viaHono: string
  let direct: string

  beforeAll(async () => {
    database = await freshPglite()
    upstream = await startUpstream()
    upstream.route("/prices/EUR-USD", (_, response) => sendJson(response, BODY))
    upstream.route("/prices/GBP-USD", (_, response) => sendJson(response, { error: 1 }, 500))
    upstream.route("/prices/JPY-USD", (_, response) => {
      response.writeHead(200, { "content-type": "text/plain" })
      response.end("not json")
    })
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
    const options = await directOf(tidemark, undefined)
    answer = answerLive(options)
    const [hono, both] = await servedBothWays(tidemark, options)
    servers.push(hono, both)
    viaHono = hono.url
    direct = both.url
  })
  afterAll(async () => {
    for (const server of servers) await server.close()
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  const requests: ReadonlyArray<{ name: string; path: string; init?: RequestInit }> = [
    { name: "an answer", path: "/v1/live/price?pair=EUR-USD" },
    { name: "a percent-encoded param", path: "/v1/live/price?pair=EUR%2DUSD" },
    { name: "a param given twice", path: "/v1/live/price?pair=EUR-USD&pair=GBP-USD" },
    { name: "a missing param", path: "/v1/live/price" },
    { name: "a param that does not match", path: "/v1/live/price?pair=eur-usd" },
    { name: "an unknown param", path: "/v1/live/price?pair=EUR-USD&other=1" },
    { name: "an unknown source", path: "/v1/live/nothing?pair=EUR-USD" },
    { name: "an upstream error", path: "/v1/live/price?pair=GBP-USD" },
    { name: "an upstream answer that is not JSON", path: "/v1/live/price?pair=JPY-USD" },
    { name: "an escaped source id", path: "/v1/live/pr%69ce?pair=EUR-USD" },
    { name: "a trailing slash", path: "/v1/live/price/?pair=EUR-USD" },
    { name: "a HEAD request", path: "/v1/live/price?pair=EUR-USD", init: { method: "HEAD" } },
  ]

  it.each(requests)("answers $name as the Hono app does", async ({ path, init }) => {
    const expected = await seen(await fetch(`${viaHono}${path}`, init))
    expect(await seen(await fetch(`${direct}${path}`, init))).toEqual(expected)
  })

  it("answers If-None-Match with the current ETag with 304, as the Hono app does", async () => {
    const etag = (await fetch(`${viaHono}/v1/live/price?pair=EUR-USD`)).headers.get("etag") ?? ""
    const init = { headers: { "if-none-match": `W/${etag}, "other"` } }
    const expected = await seen(await fetch(`${viaHono}/v1/live/price?pair=EUR-USD`, init))
    expect(expected.status).toBe(304)
    expect(await seen(await fetch(`${direct}/v1/live/price?pair=EUR-USD`, init))).toEqual(expected)
  })

  it("counts its requests under the live route's label, as the Hono app does", async () => {
    const count = async () => {
      const text = await (await tidemark.request("/metrics")).text()
      const line = text
        .split("\n")
        .find((row) =>
          row.startsWith(
            'tidemark_http_requests_total{method="GET",route="/v1/live/:source",status="200"}',
          ),
        )
      return Number(line?.split(" ").at(-1) ?? 0)
    }
    const before = await count()
    await (await fetch(`${viaHono}/v1/live/price?pair=EUR-USD`)).text()
    expect(await count()).toBe(before + 1)
    await (await fetch(`${direct}/v1/live/price?pair=EUR-USD`)).text()
    expect(await count()).toBe(before + 2)
  })

  it("takes GETs of a plain source id and leaves everything else to Hono", async () => {
    const toHono: Array<string> = []
    const hono = getRequestListener(tidemark.app.fetch)
    const server = await listening(
      createServer((request, response) =>
        answer(request, response, (left, leftResponse) => {
          toHono.push(`${left.method} ${left.url}`)
          void hono(left, leftResponse)
        }),
      ),
    )
    servers.push(server)
    for (const [path, init] of [
      ["/v1/live/price?pair=EUR-USD", undefined],
      ["/v1/live/price?pair=EUR-USD", { method: "HEAD" }],
      ["/v1/live/pr%69ce?pair=EUR-USD", undefined],
      ["/v1/live/price/?pair=EUR-USD", undefined],
      ["/v1/sources", undefined],
    ] as const) {
      await (await fetch(`${server.url}${path}`, init)).text()
    }
    expect(toHono).toEqual([
      "HEAD /v1/live/price?pair=EUR-USD",
      "GET /v1/live/pr%69ce?pair=EUR-USD",
      "GET /v1/live/price/?pair=EUR-USD",
      "GET /v1/sources",
    ])
  })
})

describe("live requests answered straight from node:http behind a token", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  const servers: Array<{ url: string; close: () => Promise<void> }> = []
  let viaHono: string
  let direct: string
  const apiToken = Redacted.make("a-token-of-some-length")

  beforeAll(async () => {
    database = await freshPglite()
    upstream = await startUpstream()
    upstream.route("/prices/EUR-USD", (_, response) => sendJson(response, BODY))
    tidemark = await startTidemark(
      database.target,
      {
        sources: {
          price: {
            description: "a price",
            url: `${upstream.url}/prices/{pair}`,
            params: { pair: { type: "string", pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
          },
        },
      },
      { apiToken },
    )
    const [hono, both] = await servedBothWays(tidemark, await directOf(tidemark, apiToken))
    servers.push(hono, both)
    viaHono = hono.url
    direct = both.url
  })
  afterAll(async () => {
    for (const server of servers) await server.close()
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  const cases: ReadonlyArray<{ name: string; authorization: string | undefined; ok: boolean }> = [
    { name: "the token", authorization: "Bearer a-token-of-some-length", ok: true },
    {
      name: "the token after a lower-case scheme",
      authorization: "bearer a-token-of-some-length",
      ok: true,
    },
    { name: "another token", authorization: "Bearer a-token-of-some-lengtH", ok: false },
    { name: "a token of another length", authorization: "Bearer short", ok: false },
    { name: "another scheme", authorization: "Basic a-token-of-some-length", ok: false },
    { name: "no Authorization header", authorization: undefined, ok: false },
  ]

  it("answers a request with the token itself and leaves the others to Hono", async () => {
    const answer = answerLive(await directOf(tidemark, apiToken))
    const toHono: Array<string | undefined> = []
    const hono = getRequestListener(tidemark.app.fetch)
    const server = await listening(
      createServer((request, response) =>
        answer(request, response, (left, leftResponse) => {
          toHono.push(left.headers.authorization)
          void hono(left, leftResponse)
        }),
      ),
    )
    servers.push(server)
    for (const { authorization } of cases) {
      const init = authorization === undefined ? {} : { headers: { authorization } }
      await (await fetch(`${server.url}/v1/live/price?pair=EUR-USD`, init)).text()
    }
    expect(toHono).toEqual(cases.filter((c) => !c.ok).map((c) => c.authorization))
  })

  it.each(cases)("answers a request with $name as the Hono app does", async (case_) => {
    const init =
      case_.authorization === undefined ? {} : { headers: { authorization: case_.authorization } }
    const path = "/v1/live/price?pair=EUR-USD"
    const expected = await seen(await fetch(`${viaHono}${path}`, init))
    expect(expected.status).toBe(case_.ok ? 200 : 401)
    expect(await seen(await fetch(`${direct}${path}`, init))).toEqual(expected)
  })
})

describe("upstream failures answered straight from node:http", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  const servers: Array<{ url: string; close: () => Promise<void> }> = []
  let viaHono: string
  let direct: string

  beforeAll(async () => {
    database = await freshPglite()
    upstream = await startUpstream()
    const unreachable = await listening(createServer())
    await unreachable.close()
    upstream.route("/hang", () => undefined)
    upstream.route("/huge", declareHugeBody)
    upstream.route("/redirect", redirectTo(`${upstream.url}/elsewhere`))
    const plain = (path: string) => ({ url: `${upstream.url}${path}`, retries: 0 })
    tidemark = await startTidemark(database.target, {
      sources: {
        hanging: { ...plain("/hang"), timeoutMs: 200 },
        huge: plain("/huge"),
        redirecting: plain("/redirect"),
        unreachable: { url: `${unreachable.url}/nothing`, retries: 0 },
      },
    })
    const [hono, both] = await servedBothWays(tidemark, await directOf(tidemark, undefined))
    servers.push(hono, both)
    viaHono = hono.url
    direct = both.url
  })
  afterAll(async () => {
    for (const server of servers) await server.close()
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  it.each([
    { source: "hanging", status: 504, code: "upstream_timeout" },
    { source: "unreachable", status: 502, code: "upstream_unreachable" },
    { source: "huge", status: 502, code: "upstream_too_large" },
    { source: "redirecting", status: 502, code: "upstream_redirect" },
  ])("answers $code as the Hono app does", async ({ source, status, code }) => {
    const expected = await seen(await fetch(`${viaHono}/v1/live/${source}`))
    expect(expected.status).toBe(status)
    expect(expected.contentType).toBe("application/problem+json")
    expect(JSON.parse(expected.body)).toMatchObject({ code })
    expect(await seen(await fetch(`${direct}/v1/live/${source}`))).toEqual(expected)
  })
})
