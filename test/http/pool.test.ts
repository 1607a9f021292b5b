/**
 * TIDEMARK_DB_POOL_SIZE: the PostgreSQL connections a process holds at most, however many
 * recordings want the database at once; the watch's listening connection is one more.
 */
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPostgres, type TestDatabase } from "../support/databases.js"
import { recordingsSince, recordingsSnapshot } from "../support/metrics.js"
import { startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

const POOL_SIZE = 2
const RESOURCES = 40

describe("the PostgreSQL pool's size", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let direct: pg.Client

  beforeAll(async () => {
    database = await freshPostgres()
    upstream = await startUpstream()
    for (let i = 0; i < RESOURCES; i++) {
      upstream.route(`/quotes/q${i}`, (_, response) => sendJson(response, { quote: i }))
    }
    tidemark = await startTidemark(
      database.target,
      {
        sources: {
          quote: {
            url: `${upstream.url}/quotes/{name}`,
            params: { name: { type: "string", pattern: "^[a-z0-9]+$" } },
          },
        },
      },
      { dbPoolSize: POOL_SIZE },
    )
    direct = new pg.Client({ connectionString: database.env.DATABASE_URL })
    await direct.connect()
  })
  afterAll(async () => {
    await direct.end()
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  /** Connections to the test's database other than this test's own. */
  const connections = async () =>
    (
      await direct.query<{ count: number }>(
        "select count(*)::int as count from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      )
    ).rows[0]?.count ?? 0

  it("records many new resources at once through no more connections than the pool allows", async () => {
    const before = await recordingsSnapshot(tidemark)
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) most = Math.max(most, await connections())
    })()
    const answers = await Promise.all(
      Array.from({ length: RESOURCES }, (_, i) => tidemark.request(`/v1/live/quote?name=q${i}`)),
    )
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    expect(await tidemark.settle()).toBe(true)
    sampling = false
    await sampler
    expect(await recordingsSince(tidemark, before)).toMatchObject({
      appended: RESOURCES,
      failed: 0,
    })
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(POOL_SIZE + 1)
  })
})
