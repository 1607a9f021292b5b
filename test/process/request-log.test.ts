/**
 * The per-request log line of the real server: live requests answered straight from
 * node:http write the same line as those Hono serves, and none is written below `info`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { startServer, stopAll, type TidemarkProcess } from "../support/server.js"
import { delay, sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

const LOG_WAIT_MS = 10_000

/** The `request` lines written so far but those of the health checks, once there are `count`. */
const requestLines = async (server: TidemarkProcess, count: number) => {
  const lines = () =>
    server
      .logs()
      .filter((line) => line.message === "request" && line.annotations.route !== "/healthz")
  for (const deadline = Date.now() + LOG_WAIT_MS; Date.now() < deadline; ) {
    if (lines().length >= count) return lines()
    await delay(20)
  }
  return lines()
}

describe("the request log line of the real server", () => {
  let upstream: UpstreamStandIn
  let sources: SourcesDocument

  beforeAll(async () => {
    upstream = await startUpstream()
    upstream.route("/prices/EUR-USD", (_, response) => sendJson(response, { amount: "1.50" }))
    upstream.route("/prices/GBP-USD", (_, response) => sendJson(response, { error: 1 }, 500))
    sources = {
      sources: {
        price: {
          url: `${upstream.url}/prices/{pair}`,
          params: { pair: { type: "string", pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
          retries: 0,
        },
      },
    }
  })
  afterAll(async () => {
    await stopAll()
    await upstream.close()
  })

  it("is written alike for live requests answered directly and through Hono, at info", async () => {
    const server = await startServer({
      sources,
      env: { DATABASE_URL: "memory://", LOG_LEVEL: "info" },
    })
    // A plain source id is answered straight from node:http; an escaped one goes to Hono.
    for (const path of [
      "/v1/live/price?pair=EUR-USD",
      "/v1/live/pr%69ce?pair=EUR-USD",
      "/v1/live/price?pair=GBP-USD",
      "/v1/sources",
    ]) {
      await (await fetch(`${server.url}${path}`)).text()
    }
    // One request at a time: their lines are written in the order they were sent.
    const [direct, viaHono, failed, sourcesLine] = await requestLines(server, 4)
    await server.stop()

    expect(direct?.logLevel).toBe("INFO")
    expect(direct?.annotations).toMatchObject({
      method: "GET",
      route: "/v1/live/:source",
      path: "/v1/live/price",
      status: 200,
      upstream: "ok",
    })
    expect(typeof direct?.annotations.durationMs).toBe("number")
    expect(Object.keys(direct?.annotations ?? {}).sort()).toEqual(
      Object.keys(viaHono?.annotations ?? {}).sort(),
    )
    // Hono gives the path decoded.
    expect(viaHono?.annotations).toMatchObject({
      route: "/v1/live/:source",
      path: "/v1/live/price",
      status: 200,
      upstream: "ok",
    })
    expect(failed?.annotations).toMatchObject({
      route: "/v1/live/:source",
      status: 502,
      upstream: "upstream_status",
    })
    expect(sourcesLine?.annotations).toMatchObject({
      method: "GET",
      route: "/v1/sources",
      status: 200,
    })
    expect(sourcesLine?.annotations).not.toHaveProperty("upstream")
  })

  it("is not written at warn, whichever way the request is answered", async () => {
    const server = await startServer({
      sources,
      env: { DATABASE_URL: "memory://", LOG_LEVEL: "warn" },
    })
    for (const path of ["/v1/live/price?pair=EUR-USD", "/v1/live/pr%69ce?pair=EUR-USD"]) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(200)
    }
    // Once the process has ended, everything it wrote has been read.
    await server.stop()
    expect(server.logs().filter((line) => line.message === "request")).toEqual([])
  })
})
