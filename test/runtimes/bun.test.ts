/**
 * The same server, run by Bun (`bun src/main.ts`, what `npm run start:bun` runs), over
 * PostgreSQL and PGlite: live answers, versions, history routes, errors and shutdown.
 */
import { Agent } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { bunMissing, startBunServer, stopAllBun } from "../support/bun.js"
import { databases, type TestDatabase } from "../support/databases.js"
import {
  type Answered,
  changingOnEveryCall,
  expectHistory,
  live,
  recordAnswer,
  sourcesOf,
} from "../support/prices.js"
import type { TidemarkProcess } from "../support/server.js"
import { bodyOf } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { waitFor } from "../support/waiting.js"

const missing = bunMissing()
const inCi = process.env.CI === "true"
if (missing !== undefined) {
  if (inCi) throw new Error(`Bun is required in CI: ${missing}`)
  console.log(`skipping the Bun suites: ${missing}`)
}

interface VersionItem {
  readonly version: number
  readonly hash: string
}

const SHUTDOWN_PAIRS = ["S1", "S2", "S3", "S4", "S5", "S6"]

const documentFor = (upstream: UpstreamStandIn): SourcesDocument => ({
  sources: {
    ...sourcesOf(upstream).sources,
    failing: { url: `${upstream.url}/fail`, retries: 0, timeoutMs: 2000 },
  },
})

const versionsOf = async (server: TidemarkProcess, resource: string) => {
  const response = await fetch(`${server.url}/v1/resources/${resource}/versions?limit=500`)
  if (response.status === 404) return []
  expect(response.status).toBe(200)
  return (await bodyOf<{ items: Array<VersionItem> }>(response)).items
}

describe.skipIf(missing !== undefined).each(databases)(
  "Tidemark on Bun over $name",
  ({ fresh }) => {
    let database: TestDatabase
    let upstream: UpstreamStandIn
    let server: TidemarkProcess
    const clients = new Agent({ keepAlive: true })

    beforeAll(async () => {
      database = await fresh()
      upstream = await startUpstream()
      server = await startBunServer({ env: database.env, sources: documentFor(upstream) })
    })
    afterAll(async () => {
      clients.destroy()
      await stopAllBun()
      await upstream.close()
      await database.drop()
    })

    it("answers live with the upstream body byte for byte, with ETag, resource and observed-at headers", async () => {
      const body = '{ "data": {"pair": "LIVE", "amount": 1.50},\n "extra": [1, 2.0] }'
      upstream.route("/prices/LIVE", (_, response) => sendJson(response, body))
      const before = Date.now()
      const response = await fetch(`${server.url}/v1/live/price?pair=LIVE`)
      expect(response.status).toBe(200)
      expect(await response.text()).toBe(body)
      expect(response.headers.get("content-type")).toBe("application/json")
      expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/)
      expect(response.headers.get("tidemark-resource")).toMatch(/^[A-Za-z0-9_-]{22}$/)
      const observedAt = Date.parse(response.headers.get("tidemark-observed-at") ?? "")
      expect(observedAt).toBeGreaterThanOrEqual(before - 1)
      expect(observedAt).toBeLessThanOrEqual(Date.now())
    })

    it("records a version after the answer, and the history routes show it and the change to the next", async () => {
      let amount = 1
      upstream.route("/prices/HIST", (_, response) =>
        sendJson(response, { data: { pair: "HIST", amount } }),
      )
      const first = await fetch(`${server.url}/v1/live/price?pair=HIST`)
      expect(first.status).toBe(200)
      const resource = first.headers.get("tidemark-resource") ?? ""
      const etag = first.headers.get("etag") ?? ""
      await waitFor("version 1", async () => (await versionsOf(server, resource)).length === 1)
      expect((await versionsOf(server, resource))[0]).toMatchObject({
        version: 1,
        hash: etag.slice(1, -1),
      })

      const listed = await fetch(`${server.url}/v1/resources?source=price&limit=500`)
      expect(listed.status).toBe(200)
      const { items } = await bodyOf<{ items: Array<{ id: string; key: string }> }>(listed)
      expect(items).toContainEqual(
        expect.objectContaining({ id: resource, key: "price?pair=HIST" }),
      )
      const one = await fetch(`${server.url}/v1/resources/${resource}/versions/1`)
      expect(await bodyOf(one)).toMatchObject({
        version: 1,
        body: { data: { pair: "HIST", amount: 1 } },
        tracked: { pair: "HIST", amount: 1 },
      })

      amount = 2
      expect((await fetch(`${server.url}/v1/live/price?pair=HIST`)).status).toBe(200)
      await waitFor("version 2", async () => (await versionsOf(server, resource)).length === 2)
      const diff = await fetch(`${server.url}/v1/resources/${resource}/diff?from=1&to=2`)
      expect(diff.status).toBe(200)
      expect(await bodyOf<unknown>(diff)).toEqual([{ op: "replace", path: "/amount", value: 2 }])
    })

    it("answers an upstream 500 with 502 upstream_status", async () => {
      upstream.route("/fail", (_, response) => sendJson(response, { error: "down" }, 500))
      const response = await fetch(`${server.url}/v1/live/failing`)
      expect(response.status).toBe(502)
      expect(response.headers.get("content-type")).toBe("application/problem+json")
      expect(await bodyOf(response)).toMatchObject({
        status: 502,
        code: "upstream_status",
        upstreamStatus: 500,
      })
    })

    it("refuses a bad param with 400 invalid_request before any upstream call", async () => {
      const calls = upstream.requests.length
      const response = await fetch(`${server.url}/v1/live/price?pair=not-valid`)
      expect(response.status).toBe(400)
      expect(await bodyOf(response)).toMatchObject({ status: 400, code: "invalid_request" })
      expect(upstream.requests.length).toBe(calls)
    })

    it("on SIGTERM right after the last answer exits 0, and every answered value is in the history after a restart", async () => {
      changingOnEveryCall(upstream, SHUTDOWN_PAIRS)
      const answered = new Map<string, Answered>()
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(SHUTDOWN_PAIRS.map((pair) => live(server, pair, clients)))
        for (const answer of answers) recordAnswer(answered, answer)
      }
      expect(await server.stop("SIGTERM")).toEqual({ code: 0, signal: null })
      expect(server.logs().map((line) => line.message)).toContain("shutting down")
      expect(server.logs().filter((line) => line.logLevel === "ERROR")).toEqual([])

      const second = await startBunServer({ env: database.env, sources: documentFor(upstream) })
      await expectHistory(second, answered)
      expect(await second.stop("SIGTERM")).toEqual({ code: 0, signal: null })
    })
  },
)
