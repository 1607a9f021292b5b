/**
 * A history read made at request time can be older than a write still pending in the same
 * process. The recorder must not trust it then: A, B (write held), A again gives three versions.
 */
import { Redacted } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPostgres, type TestDatabase } from "../support/databases.js"
import { resourceOf, versionsOf } from "../support/history.js"
import { bodyOf, startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { waitFor } from "../support/waiting.js"

describe("a change whose write is still pending on PostgreSQL", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let locker: pg.Client
  let value = "A"

  beforeAll(async () => {
    database = await freshPostgres()
    upstream = await startUpstream()
    upstream.route("/v", (_, response) => sendJson(response, { value }))
    tidemark = await startTidemark(database.target, {
      sources: { v: { url: `${upstream.url}/v` } },
    })
    const url = database.target._tag === "Postgres" ? Redacted.value(database.target.url) : ""
    locker = new pg.Client({ connectionString: url })
    await locker.connect()
  })
  afterAll(async () => {
    await locker.end()
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  const waitingOnLock = async () => {
    const result = await locker.query<{ waiting: number }>(
      "select count(*)::int as waiting from pg_locks where not granted and relation = 'versions'::regclass",
    )
    return (result.rows[0]?.waiting ?? 0) > 0
  }

  it("records the return to an earlier value after the pending change, never stopping at the change", async () => {
    const first = await tidemark.request("/v1/live/v")
    await tidemark.settle()
    const id = resourceOf(first)

    await locker.query("begin")
    await locker.query("lock table versions in share mode")
    value = "B"
    expect((await tidemark.request("/v1/live/v")).status).toBe(200)
    await waitFor("B's write to wait on the lock", waitingOnLock)
    value = "A"
    const last = await tidemark.request("/v1/live/v")
    expect(await last.json()).toEqual({ value: "A" })
    await locker.query("commit")
    expect(await tidemark.settle()).toBe(true)

    const versions = await versionsOf(tidemark, id)
    expect(versions.map((version) => version.version)).toEqual([3, 2, 1])
    const values = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const detail = await bodyOf<{ tracked: { value: string } }>(
          await tidemark.request(`/v1/resources/${id}/versions/${n}`),
        )
        return detail.tracked.value
      }),
    )
    expect(values).toEqual(["A", "B", "A"])
  })
})
