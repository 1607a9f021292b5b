/**
 * Guarantee 7's drops are logged without flooding the log: the real server logs the first
 * recording its full queue drops at once, then sums the drops once a second at most, and
 * logs what it has not yet told when it stops.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { type LogLine, startServer, stopAll, type TidemarkProcess } from "../support/server.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { deferred, waitFor } from "../support/waiting.js"

const QUEUE_MAX = 2
const BURST = 30
const MESSAGE = "recorder queue full, recordings dropped"

const dropLines = (server: TidemarkProcess) =>
  server.logs().filter((line) => line.message === MESSAGE)

const droppedIn = (lines: ReadonlyArray<LogLine>) =>
  lines.reduce((sum, line) => sum + Number(line.annotations.dropped), 0)

describe("the recorder's drops in the real server's log", () => {
  let upstream: UpstreamStandIn
  let sources: SourcesDocument

  beforeAll(async () => {
    upstream = await startUpstream()
    sources = {
      sources: {
        item: {
          url: `${upstream.url}/items/{id}`,
          params: { id: { type: "string", pattern: "^[a-z0-9-]+$" } },
          retries: 0,
        },
      },
    }
  })
  afterAll(async () => {
    await stopAll()
    await upstream.close()
  })

  /**
   * `BURST` requests for resources of their own, all held at the upstream until every call
   * has arrived: only `QUEUE_MAX` recordings fit, the others are dropped.
   */
  const burst = async (server: TidemarkProcess, prefix: string) => {
    const gate = deferred()
    let arrived = 0
    const names = Array.from({ length: BURST }, (_, index) => `${prefix}-${index}`)
    for (const name of names) {
      upstream.route(`/items/${name}`, async (_, response) => {
        arrived++
        await gate.promise
        sendJson(response, { name })
      })
    }
    const responses = Promise.all(
      names.map((name) => fetch(`${server.url}/v1/live/item?id=${name}`)),
    )
    try {
      await waitFor("every call of the burst to reach the upstream", () => arrived === BURST)
    } finally {
      gate.resolve()
    }
    expect((await responses).map((response) => response.status)).toEqual(names.map(() => 200))
  }

  const start = () =>
    startServer({
      sources,
      env: {
        DATABASE_URL: "memory://",
        LOG_LEVEL: "warn",
        TIDEMARK_RECORDER_QUEUE_MAX: String(QUEUE_MAX),
      },
    })

  it("logs the first drop at once, naming its resource, and then the sum of the drops once a second at most", async () => {
    const server = await start()
    await burst(server, "summed")
    await waitFor(
      "every drop to be logged",
      () => droppedIn(dropLines(server)) === BURST - QUEUE_MAX,
      { attempts: 500 },
    )
    await server.stop()

    const lines = dropLines(server)
    expect(lines[0]?.logLevel).toBe("WARN")
    expect(lines[0]?.annotations).toMatchObject({ dropped: 1, pending: QUEUE_MAX })
    expect(String(lines[0]?.annotations.resource)).toMatch(/^item\?id=summed-\d+$/)
    expect(droppedIn(lines)).toBe(BURST - QUEUE_MAX)
    expect(lines.length).toBeLessThan(BURST - QUEUE_MAX)
    const times = lines.map((line) => Date.parse(line.timestamp))
    const gaps = times.slice(1).map((time, index) => time - (times[index] ?? time))
    expect(gaps.filter((gap) => gap < 990)).toEqual([])
  })

  it("logs the drops not yet told when it stops", async () => {
    const server = await start()
    await burst(server, "stopped")
    await server.stop()
    expect(droppedIn(dropLines(server))).toBe(BURST - QUEUE_MAX)
  })
})
