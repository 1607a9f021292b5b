/**
 * Changes queued behind a write to a far database are appended together: one statement for
 * all of them, in the order their calls started. PostgreSQL sits behind a TCP proxy that
 * delays it; the history is checked with a direct connection.
 */
import { Redacted } from "effect"
import pg from "pg"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { ORDER_WAIT_MS } from "../../src/live/Recorder.js"
import { freshPostgres, POSTGRES_URL, type TestDatabase } from "../support/databases.js"
import { etagHash } from "../support/history.js"
import { pendingRecordings, recordingsSince, recordingsSnapshot } from "../support/metrics.js"
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js"
import { startTidemark, type TestApp } from "../support/tidemark.js"
import { delay, sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { deferred, waitFor } from "../support/waiting.js"

interface StoredVersion {
  readonly version: number
  readonly hash: string
  readonly recordedAt: Date
}

describe("changes queued for a far database", () => {
  let database: TestDatabase
  let proxy: TcpProxy
  let upstream: UpstreamStandIn
  /** Reaches PostgreSQL through the proxy. */
  let far: TestApp
  /** Another instance on the same database, reaching it directly. */
  let near: TestApp
  let direct: pg.Client

  const sources = () => ({
    sources: {
      price: {
        url: `${upstream.url}/prices/{pair}`,
        params: { pair: { type: "string" as const, pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
        select: "/data",
      },
      // Each request makes its own call, so an older answer can arrive after newer ones.
      unshared: {
        url: `${upstream.url}/prices/{pair}`,
        params: { pair: { type: "string" as const, pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
        select: "/data",
        coalesce: false,
      },
    },
  })

  /** The versions of the resource with `key`, oldest first, read straight from PostgreSQL. */
  const stored = async (key: string): Promise<Array<StoredVersion>> => {
    const result = await direct.query<StoredVersion>(
      `select v.version, v.hash, v.recorded_at as "recordedAt"
         from versions v join resources r on r.id = v.resource_id
        where r.key = $1 order by v.version`,
      [key],
    )
    return result.rows
  }

  /** Serves `amount` for `pair` from now on. */
  const serve = (pair: string, amount: string) =>
    upstream.route(`/prices/${pair}`, (_, response) => sendJson(response, { data: { amount } }))

  /**
   * Waits until the far instance has sent a statement through the proxy since `before`
   * bytes: the write of the change just answered. Answers received afterwards queue behind
   * that write, which the proxy holds; answers received before it starts would go into it.
   */
  const writeSent = (before: number) =>
    waitFor("the write to be sent", () => proxy.receivedFromClients() > before, {
      attempts: 500,
      intervalMs: 5,
    })

  /** One live answer for `pair` from `tidemark`: its ETag's hash. */
  const observe = async (tidemark: TestApp, pair: string) => {
    const response = await tidemark.request(`/v1/live/price?pair=${pair}`)
    expect(response.status).toBe(200)
    return etagHash(response)
  }

  beforeAll(async () => {
    database = await freshPostgres()
    const databaseUrl = database.env.DATABASE_URL ?? ""
    const target = new URL(POSTGRES_URL)
    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port) })
    upstream = await startUpstream()
    far = await startTidemark(
      { _tag: "Postgres", url: Redacted.make(proxy.through(databaseUrl)) },
      sources(),
    )
    near = await startTidemark({ _tag: "Postgres", url: Redacted.make(databaseUrl) }, sources())
    direct = new pg.Client({ connectionString: databaseUrl })
    await direct.connect()
  })
  beforeEach(() => proxy.setDelay(0))
  afterAll(async () => {
    proxy.setDelay(0)
    await far.close()
    await near.close()
    await direct.end()
    await proxy.close()
    await upstream.close()
    await database.drop()
  })

  it("appends the changes that queued during a slow write in one statement, in order, the answers between them decided on the way", async () => {
    serve("EUR-USD", "1.10")
    const first = await observe(far, "EUR-USD")
    expect(await far.settle()).toBe(true)
    const before = await recordingsSnapshot(far)

    proxy.setDelay(500)
    serve("EUR-USD", "1.11")
    const sentBefore = proxy.receivedFromClients()
    const writing = await observe(far, "EUR-USD")
    await writeSent(sentBefore)
    // Answered while that version is still on its way to the database.
    const queued: Array<string> = []
    for (const amount of ["1.12", "1.12", "1.13", "1.14", "1.14"]) {
      serve("EUR-USD", amount)
      queued.push(await observe(far, "EUR-USD"))
    }
    expect(await stored("price?pair=EUR-USD")).toHaveLength(1)
    expect(await far.settle()).toBe(true)

    const versions = await stored("price?pair=EUR-USD")
    expect(versions.map((v) => v.hash)).toEqual([first, writing, ...new Set(queued)])
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5])
    // Rows of one statement share its transaction's timestamp; a later statement has its own.
    const [, second, ...batched] = versions.map((v) => v.recordedAt.getTime())
    expect(new Set(batched).size).toBe(1)
    expect(batched[0]).not.toBe(second)
    expect(await recordingsSince(far, before)).toMatchObject({
      appended: 4,
      unchanged: 2,
      stale: 0,
      failed: 0,
    })
  })

  it("holds a run of answers of one content behind a slow write as its first and its last: the repeats between them are counted as unchanged at once", async () => {
    serve("NOK-USD", "1.00")
    const first = await observe(far, "NOK-USD")
    expect(await far.settle()).toBe(true)
    const before = await recordingsSnapshot(far)

    proxy.setDelay(500)
    serve("NOK-USD", "1.01")
    const sentBefore = proxy.receivedFromClients()
    const writing = await observe(far, "NOK-USD")
    await writeSent(sentBefore)
    serve("NOK-USD", "1.02")
    const run: Array<string> = []
    for (let index = 0; index < 10; index++) run.push(await observe(far, "NOK-USD"))
    // While the write is held: its own answer, and the run's first and last.
    expect(await pendingRecordings(far)).toBe(3)
    expect(await stored("price?pair=NOK-USD")).toHaveLength(1)
    expect(await far.settle()).toBe(true)

    expect(new Set(run).size).toBe(1)
    const versions = await stored("price?pair=NOK-USD")
    expect(versions.map((v) => v.hash)).toEqual([first, writing, run[0]])
    expect(await recordingsSince(far, before)).toMatchObject({
      appended: 2,
      unchanged: 9,
      stale: 0,
      failed: 0,
    })
  })

  it("leaves out of a batch an answer older than a change queued before it (guarantee 4)", async () => {
    const unshared = async () => {
      const response = await far.request("/v1/live/unshared?pair=CAD-USD")
      expect(response.status).toBe(200)
      return etagHash(response)
    }
    serve("CAD-USD", "1.30")
    const first = await unshared()
    expect(await far.settle()).toBe(true)
    const before = await recordingsSnapshot(far)

    // Long enough for the older answer to be passed over and still arrive during the write.
    proxy.setDelay(1500)
    serve("CAD-USD", "1.31")
    const sentBefore = proxy.receivedFromClients()
    const writing = await unshared()
    await writeSent(sentBefore)
    // A call that starts now and is answered only after two newer calls were.
    let amount = "1.39"
    let holdNext = true
    const heldCalled = deferred()
    const release = deferred()
    upstream.route("/prices/CAD-USD", async (_, response) => {
      const answer = amount
      if (holdNext) {
        holdNext = false
        heldCalled.resolve()
        await release.promise
      }
      sendJson(response, { data: { amount: answer } })
    })
    const older = unshared()
    await heldCalled.promise
    const heldSince = Date.now()
    const queued: Array<string> = []
    for (const next of ["1.32", "1.33"]) {
      amount = next
      queued.push(await unshared())
    }
    // The newer answers wait for the older call only so long; then they are decided first.
    await delay(heldSince + ORDER_WAIT_MS + 100 - Date.now())
    release.resolve()
    await older
    // All answered while the first write is still on its way.
    expect(await stored("unshared?pair=CAD-USD")).toHaveLength(1)
    expect(await far.settle()).toBe(true)

    const versions = await stored("unshared?pair=CAD-USD")
    expect(versions.map((v) => v.hash)).toEqual([first, writing, ...queued])
    // The two newer changes went in one statement, the older answer in none.
    const [, second, ...batched] = versions.map((v) => v.recordedAt.getTime())
    expect(new Set(batched).size).toBe(1)
    expect(batched[0]).not.toBe(second)
    expect(await recordingsSince(far, before)).toMatchObject({
      appended: 3,
      stale: 1,
      failed: 0,
    })
  })

  it("decides the queued answers one by one when another writer's version came first", async () => {
    serve("GBP-USD", "0.80")
    const first = await observe(far, "GBP-USD")
    expect(await far.settle()).toBe(true)
    const before = await recordingsSnapshot(far)

    // Far enough that the other instance's version lands between this one's two writes.
    proxy.setDelay(500)
    serve("GBP-USD", "0.81")
    const sentBefore = proxy.receivedFromClients()
    const writing = await observe(far, "GBP-USD")
    await writeSent(sentBefore)
    // The other instance's call starts after that observation and before the queued ones,
    // and is answered only once the first write has landed.
    let amount = "0.90"
    const otherCalled = deferred()
    const release = deferred()
    upstream.route("/prices/GBP-USD", async (_, response) => {
      const answer = amount
      if (answer === "0.90") {
        otherCalled.resolve()
        await release.promise
      }
      sendJson(response, { data: { amount: answer } })
    })
    const otherAnswer = observe(near, "GBP-USD")
    await otherCalled.promise
    const queued: Array<string> = []
    for (const next of ["0.82", "0.83"]) {
      amount = next
      queued.push(await observe(far, "GBP-USD"))
    }
    await waitFor(
      "the first write to reach the database",
      async () => (await stored("price?pair=GBP-USD")).length === 2,
      { attempts: 500, intervalMs: 10 },
    )
    release.resolve()
    const other = await otherAnswer
    expect(await near.settle()).toBe(true)
    expect(await stored("price?pair=GBP-USD")).toHaveLength(3)
    expect(await far.settle()).toBe(true)

    const versions = await stored("price?pair=GBP-USD")
    expect(versions.map((v) => v.hash)).toEqual([first, writing, other, ...queued])
    // The counters are the test process's, which runs both instances: three versions by
    // this one, one by the other.
    expect(await recordingsSince(far, before)).toMatchObject({
      appended: 4,
      stale: 0,
      failed: 0,
    })
  })

  it("records a change whose statement after this instance's last version is refused, another writer's version having come first", async () => {
    serve("CHF-USD", "1.05")
    const first = await observe(far, "CHF-USD")
    expect(await far.settle()).toBe(true)
    const before = await recordingsSnapshot(far)

    // The other instance's version reaches this one's listening connection only after
    // hundreds of ms: this one still takes its own last version for the latest.
    proxy.setDelay(500)
    serve("CHF-USD", "1.06")
    const other = await observe(near, "CHF-USD")
    expect(await near.settle()).toBe(true)
    serve("CHF-USD", "1.07")
    const change = await observe(far, "CHF-USD")
    expect(await far.settle()).toBe(true)

    const versions = await stored("price?pair=CHF-USD")
    expect(versions.map((v) => v.hash)).toEqual([first, other, change])
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3])
    // The counters are the test process's, which runs both instances: one version each.
    expect(await recordingsSince(far, before)).toMatchObject({
      appended: 2,
      stale: 0,
      failed: 0,
    })
  })
})
