import { Agent } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, type TestDatabase } from "../support/databases.js"
import {
  type Answered,
  changingOnEveryCall,
  expectHistory,
  live,
  recordAnswer,
  sourcesOf,
} from "../support/prices.js"
import { accepts, get, startServer, stopAll } from "../support/server.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { deferred, waitFor } from "../support/waiting.js"

/**
 * Many resources answered at once leave the recorder a backlog to drain at the signal; the
 * request held in flight leaves it a recording that cannot have finished before the signal.
 */
const PAIRS = Array.from({ length: 24 }, (_, i) => `P${String(i).padStart(2, "0")}`)
const ROUNDS = 3

describe.each(databases)("graceful shutdown on $name", ({ fresh }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  const clients = new Agent({ keepAlive: true })
  /** One kept-alive connection, busy with the request in flight when the signal arrives. */
  const slowClient = new Agent({ keepAlive: true, maxSockets: 1 })

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
  })
  afterAll(async () => {
    clients.destroy()
    slowClient.destroy()
    await stopAll()
    await upstream.close()
    await database.drop()
  })

  it("on SIGTERM right after the last answer, with one request in flight: serves nothing new, answers that request, exits 0, and every answered value is in the history after a restart", async () => {
    changingOnEveryCall(upstream, PAIRS)
    const release = deferred()
    const slowArrived = deferred()
    upstream.route("/prices/SLOW", async (_, response) => {
      slowArrived.resolve()
      await release.promise
      sendJson(response, { data: { pair: "SLOW", amount: -1 } })
    })
    const sources = sourcesOf(upstream)
    const first = await startServer({ env: { ...database.env, LOG_LEVEL: "debug" }, sources })

    const answered = new Map<string, Answered>()
    const inFlight = live(first, "SLOW", slowClient)
    await slowArrived.promise
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(PAIRS.map((pair) => live(first, pair, clients)))
      for (const answer of answers) recordAnswer(answered, answer)
    }
    const exit = first.stop("SIGTERM")

    await first.waitForLog("shutting down")
    await waitFor("new connections to be refused", async () => !(await accepts(first.port)))
    expect(first.running()).toBe(true)
    release.resolve()
    recordAnswer(answered, await inFlight)
    // The in-flight request's connection is closed once answered: nothing more is served on it.
    await expect(get(`${first.url}/healthz`, slowClient)).rejects.toThrow()
    expect(await exit).toEqual({ code: 0, signal: null })

    const events = first.logs()
    expect(events.filter((line) => line.message === "version recorded")).toHaveLength(
      PAIRS.length * ROUNDS + 1,
    )
    // The answer in flight at the signal is recorded during the shutdown, before the exit.
    const slowRecorded = events.findIndex(
      (line) =>
        line.message === "version recorded" && line.annotations.resource === "price?pair=SLOW",
    )
    expect(slowRecorded).toBeGreaterThan(
      events.findIndex((line) => line.message === "shutting down"),
    )
    expect(events.filter((line) => line.logLevel === "ERROR" || line.logLevel === "WARN")).toEqual(
      [],
    )
    // No spans are made without an OTLP endpoint, so no line carries a trace id.
    expect(events.filter((line) => "traceId" in line.annotations)).toEqual([])

    const second = await startServer({ env: database.env, sources })
    await expectHistory(second, answered)
    expect(await second.stop("SIGTERM")).toEqual({ code: 0, signal: null })
  }, 240_000)
})
