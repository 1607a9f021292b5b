/**
 * Guarantee 1: the live answer never waits for the database. PostgreSQL sits behind a TCP
 * proxy that makes it slow or cuts it off; the history is checked with a direct connection.
 */
import { Redacted } from "effect"
import pg from "pg"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { databaseErrors } from "../../src/metrics.js"
import { freshPostgres, POSTGRES_URL, type TestDatabase } from "../support/databases.js"
import { etagHash, resourceOf, versionsOf } from "../support/history.js"
import {
  counterValue,
  pendingRecordings,
  recordingsSince,
  recordingsSnapshot,
} from "../support/metrics.js"
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js"
import { servings, startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { deferred, waitFor } from "../support/waiting.js"

describe.each(servings)("the live answer and the database, $name", ({ serve }) => {
  let database: TestDatabase
  let proxy: TcpProxy
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let direct: pg.Client

  /** Versions of the resource with `key`, read straight from PostgreSQL, not through the proxy. */
  const storedVersions = async (key: string): Promise<number> => {
    const result = await direct.query<{ count: number }>(
      "select count(*)::int as count from versions v join resources r on r.id = v.resource_id where r.key = $1",
      [key],
    )
    return result.rows[0]?.count ?? 0
  }

  beforeAll(async () => {
    database = await freshPostgres()
    const databaseUrl = database.env.DATABASE_URL ?? ""
    const target = new URL(POSTGRES_URL)
    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port) })
    upstream = await startUpstream()
    tidemark = await serve(
      await startTidemark(
        { _tag: "Postgres", url: Redacted.make(proxy.through(databaseUrl)) },
        {
          sources: {
            price: {
              url: `${upstream.url}/prices/{pair}`,
              params: { pair: { type: "string", pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
              select: "/data",
            },
            // Concurrent requests each make their own call, so answers can arrive out of order.
            unshared: {
              url: `${upstream.url}/prices/{pair}`,
              params: { pair: { type: "string", pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
              select: "/data",
              coalesce: false,
            },
          },
        },
      ),
    )
    direct = new pg.Client({ connectionString: databaseUrl })
    await direct.connect()
  })
  beforeEach(() => {
    proxy.restore()
    proxy.setDelay(0)
  })
  afterAll(async () => {
    proxy.restore()
    proxy.setDelay(0)
    await tidemark.close()
    await direct.end()
    await proxy.close()
    await upstream.close()
    await database.drop()
  })

  it("answers before a slow database has recorded the observation, which is recorded afterwards", async () => {
    const body = '{"data":{"amount":"1.10"}}'
    upstream.route("/prices/EUR-USD", (_, response) => sendJson(response, body))
    proxy.setDelay(300)
    const events: Array<string> = []
    const watching = waitFor(
      "the version to be stored",
      async () => {
        const stored = (await storedVersions("price?pair=EUR-USD")) > 0
        if (stored) events.push("version stored")
        return stored
      },
      { attempts: 3000 },
    )

    const response = await tidemark.request("/v1/live/price?pair=EUR-USD")
    events.push("answered")
    const storedWhenAnswered = await storedVersions("price?pair=EUR-USD")
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(body)
    expect(storedWhenAnswered).toBe(0)

    await watching
    expect(events).toEqual(["answered", "version stored"])
    expect(await tidemark.settle()).toBe(true)
    proxy.setDelay(0)
    const versions = await versionsOf(tidemark, resourceOf(response))
    expect(versions.map((v) => v.hash)).toEqual([etagHash(response)])
  })

  it("answers 200 with the upstream body while the database is unreachable, and records again once it returns", async () => {
    let body = '{"data":{"amount":"0.85"}}'
    upstream.route("/prices/GBP-USD", (_, response) => sendJson(response, body))
    const before = await recordingsSnapshot(tidemark)
    const databaseErrorsBefore = await counterValue(tidemark, databaseErrors)
    proxy.cut()

    const offline = await tidemark.request("/v1/live/price?pair=GBP-USD")
    expect(offline.status).toBe(200)
    expect(await offline.text()).toBe(body)
    expect((await tidemark.request("/readyz")).status).toBe(503)
    expect(await tidemark.settle()).toBe(true)
    expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 0, failed: 1 })
    // The history read and the append both failed, and both are counted.
    expect((await counterValue(tidemark, databaseErrors)) - databaseErrorsBefore).toBe(2)
    expect(await storedVersions("price?pair=GBP-USD")).toBe(0)

    proxy.restore()
    expect((await tidemark.request("/readyz")).status).toBe(200)
    body = '{"data":{"amount":"0.86"}}'
    const online = await tidemark.request("/v1/live/price?pair=GBP-USD")
    expect(online.status).toBe(200)
    expect(await online.text()).toBe(body)
    expect(await tidemark.settle()).toBe(true)
    expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 1, failed: 1 })
    const versions = await versionsOf(tidemark, resourceOf(online))
    expect(versions.map((v) => v.hash)).toEqual([etagHash(online)])
  })

  it("survives the database connection dropping under a query in flight: that recording fails, the service does not", async () => {
    const crashes: Array<unknown> = []
    const onCrash = (error: unknown) => crashes.push(error)
    process.on("uncaughtExceptionMonitor", onCrash)
    try {
      upstream.route("/prices/CHF-USD", (_, response) =>
        sendJson(response, { data: { amount: "1.17" } }),
      )
      const before = await recordingsSnapshot(tidemark)
      const startedAt = (await direct.query<{ now: Date }>("select clock_timestamp() as now"))
        .rows[0]?.now
      proxy.setDelay(300)
      const first = await tidemark.request("/v1/live/price?pair=CHF-USD")
      expect(first.status).toBe(200)
      // The history read has reached PostgreSQL; its answer is still on its way back.
      await waitFor("the history read to reach the database", async () => {
        const seen = await direct.query(
          `select 1 from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()
              and query like 'select "id", "latest_version"%' and query_start > $1`,
          [startedAt],
        )
        return (seen.rowCount ?? 0) > 0
      })
      proxy.cut()
      expect(await tidemark.settle()).toBe(true)
      expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 0, failed: 1 })

      proxy.restore()
      proxy.setDelay(0)
      expect((await tidemark.request("/readyz")).status).toBe(200)
      const second = await tidemark.request("/v1/live/price?pair=CHF-USD")
      expect(second.status).toBe(200)
      expect(await tidemark.settle()).toBe(true)
      expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 1, failed: 1 })
      expect(crashes).toEqual([])
    } finally {
      process.off("uncaughtExceptionMonitor", onCrash)
    }
  })

  it("decides an answer older than the latest version it knows as stale, without the database", async () => {
    const releaseOlder = deferred()
    const olderArrived = deferred<number>()
    let calls = 0
    upstream.route("/prices/JPY-USD", async (_, response) => {
      calls++
      if (calls > 1) return sendJson(response, { data: { amount: "0.0070" } })
      olderArrived.resolve(Date.now())
      await releaseOlder.promise
      sendJson(response, { data: { amount: "0.0060" } })
    })
    const before = await recordingsSnapshot(tidemark)
    const older = tidemark.request("/v1/live/unshared?pair=JPY-USD")
    const arrivedAt = await olderArrived.promise
    await waitFor("the clock to move past the older call", () => Date.now() > arrivedAt)
    expect((await tidemark.request("/v1/live/unshared?pair=JPY-USD")).status).toBe(200)
    await waitFor(
      "the newer answer to be stored",
      async () => (await storedVersions("unshared?pair=JPY-USD")) === 1,
    )

    // From here on a round trip to PostgreSQL takes two minutes: a decision that needed
    // the database would not be taken within the wait below.
    proxy.setDelay(120_000)
    releaseOlder.resolve()
    expect((await older).status).toBe(200)
    await waitFor(
      "the older answer to be decided",
      async () => (await recordingsSince(tidemark, before)).stale === 1,
    )
    expect(await recordingsSince(tidemark, before)).toMatchObject({
      appended: 1,
      stale: 1,
      failed: 0,
    })
    expect(await pendingRecordings(tidemark)).toBe(0)
    expect(await storedVersions("unshared?pair=JPY-USD")).toBe(1)
  })
})
