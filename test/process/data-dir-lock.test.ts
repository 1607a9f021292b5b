import { rmSync } from "node:fs"
import { Agent } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPgliteDir } from "../support/databases.js"
import { changingOnEveryCall, live, sourcesOf } from "../support/prices.js"
import { get, runToExit, startServer, stopAll, type TidemarkProcess } from "../support/server.js"
import { startUpstream, type UpstreamStandIn } from "../support/upstream.js"

describe("one process per PGlite data directory", () => {
  let dataDir: string
  let upstream: UpstreamStandIn
  let first: TidemarkProcess
  const clients = new Agent({ keepAlive: true })

  beforeAll(async () => {
    dataDir = freshPgliteDir()
    upstream = await startUpstream()
    changingOnEveryCall(upstream, ["A"])
    first = await startServer({ env: { TIDEMARK_DATA_DIR: dataDir }, sources: sourcesOf(upstream) })
  })
  afterAll(async () => {
    clients.destroy()
    await stopAll()
    await upstream.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it("a second process on a directory in use exits non-zero naming TIDEMARK_DATA_DIR, and the first keeps serving", async () => {
    const second = await runToExit({
      env: { TIDEMARK_DATA_DIR: dataDir },
      sources: sourcesOf(upstream),
    })
    expect(second.signal).toBeNull()
    expect(second.code).not.toBe(0)
    expect(second.stderr).toContain("TIDEMARK_DATA_DIR")
    expect(second.stderr).toContain("in use")
    expect(second.stdout).not.toContain("tidemark listening")

    expect(first.running()).toBe(true)
    expect((await get(`${first.url}/readyz`, clients)).status).toBe(200)
    await live(first, "A", clients)
  }, 180_000)

  it("after the first process exits on SIGTERM, a new process opens the directory and its history", async () => {
    const answer = await live(first, "A", clients)
    expect(await first.stop("SIGTERM")).toEqual({ code: 0, signal: null })

    const next = await startServer({
      env: { TIDEMARK_DATA_DIR: dataDir },
      sources: sourcesOf(upstream),
    })
    expect((await get(`${next.url}/readyz`, clients)).status).toBe(200)
    const recorded = await get(`${next.url}/v1/resources/${answer.resource}`, clients)
    expect(recorded.status).toBe(200)
    expect(JSON.parse(recorded.body)).toMatchObject({
      latest: { tracked: { pair: "A", amount: answer.amount } },
    })
    expect(await next.stop("SIGTERM")).toEqual({ code: 0, signal: null })
  }, 180_000)
})
