import { Agent } from "node:http"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPostgres, type TestDatabase } from "../support/databases.js"
import {
  type Answered,
  changingOnEveryCall,
  live,
  recordAnswer,
  sourcesOf,
} from "../support/prices.js"
import { startServer, stopAll } from "../support/server.js"
import { startUpstream, type UpstreamStandIn } from "../support/upstream.js"

const PAIRS = ["A", "B", "C", "D"]
const ROUNDS = 2

/** The recorded amounts of every resource of the price source, by pair, in version order. */
const recordedAmounts = async (client: pg.Client) => {
  const { rows } = await client.query<{ pair: string; version: number; tracked: string }>(
    `select r.params->>'pair' as pair, v.version, v.tracked
       from versions v join resources r on r.id = v.resource_id
      order by pair, v.version`,
  )
  const amounts = new Map<string, Array<number>>()
  for (const row of rows) {
    const known = amounts.get(row.pair) ?? []
    expect(row.version).toBe(known.length + 1)
    known.push((JSON.parse(row.tracked) as { amount: number }).amount)
    amounts.set(row.pair, known)
  }
  return amounts
}

describe("graceful shutdown while PostgreSQL holds the writes back", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let blocker: pg.Client
  const clients = new Agent({ keepAlive: true })

  beforeAll(async () => {
    database = await freshPostgres()
    upstream = await startUpstream()
    blocker = new pg.Client({ connectionString: database.env.DATABASE_URL })
    await blocker.connect()
  })
  afterAll(async () => {
    clients.destroy()
    await stopAll()
    await blocker.end()
    await upstream.close()
    await database.drop()
  })

  it("answers while no version can be written, and on SIGTERM waits for every pending recording before exiting 0", async () => {
    changingOnEveryCall(upstream, PAIRS)
    const server = await startServer({
      env: { ...database.env, LOG_LEVEL: "debug", TIDEMARK_SHUTDOWN_TIMEOUT_MS: "60000" },
      sources: sourcesOf(upstream),
    })
    // Another client's lock: reads go on, every insert into versions waits for its commit.
    await blocker.query("begin")
    await blocker.query("lock table versions in share mode")

    const answered = new Map<string, Answered>()
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(PAIRS.map((pair) => live(server, pair, clients)))
      for (const answer of answers) recordAnswer(answered, answer)
    }
    const exit = server.stop("SIGTERM")
    await server.waitForLog("shutting down")
    expect(server.running()).toBe(true)
    expect((await recordedAmounts(blocker)).size).toBe(0)

    await blocker.query("commit")
    expect(await exit).toEqual({ code: 0, signal: null })

    const events = server.logs()
    const signalled = events.findIndex((line) => line.message === "shutting down")
    const recorded = events.flatMap((line, index) =>
      line.message === "version recorded" ? [index] : [],
    )
    expect(recorded).toHaveLength(PAIRS.length * ROUNDS)
    expect(recorded.every((index) => index > signalled)).toBe(true)
    expect(await recordedAmounts(blocker)).toEqual(
      new Map([...answered].map(([pair, { amounts }]) => [pair, amounts])),
    )
  }, 180_000)
})
