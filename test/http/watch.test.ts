/**
 * Two Tidemark instances on one PostgreSQL database. Each keeps what it learned of a
 * resource between requests only while it hears every version written (LISTEN): a version
 * the other instance appends, or losing the listening connection, makes it doubt what it
 * knew, so A → B → A across instances is recorded as three versions.
 */
import { Redacted } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminQuery, freshPostgres, type TestDatabase } from "../support/databases.js"
import { etagHash, resourceOf, versionsOf } from "../support/history.js"
import { startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { waitFor } from "../support/waiting.js"

const url = (database: TestDatabase) =>
  database.target._tag === "Postgres" ? database.target.url : Redacted.make("")

describe("two instances sharing one PostgreSQL database", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let first: TestApp
  let second: TestApp
  const values = new Map<string, string>()

  beforeAll(async () => {
    database = await freshPostgres()
    upstream = await startUpstream()
    for (const name of ["heard", "unheard"]) {
      upstream.route(`/v/${name}`, (_, response) =>
        sendJson(response, { value: values.get(name) ?? "none" }),
      )
    }
    const sources = {
      sources: {
        v: { url: `${upstream.url}/v/{name}`, params: { name: { type: "string" as const } } },
      },
    }
    first = await startTidemark(database.target, sources)
    second = await startTidemark(database.target, sources)
  })
  afterAll(async () => {
    await first.close()
    await second.close()
    await upstream.close()
    await database.drop()
  })

  const listeners = async () => {
    const client = new pg.Client({ connectionString: Redacted.value(url(database)) })
    await client.connect()
    try {
      const result = await client.query<{ listening: number }>(
        "select count(*)::int as listening from pg_stat_activity where datname = current_database() and query = 'LISTEN tidemark_versions' and state = 'idle'",
      )
      return result.rows[0]?.listening ?? 0
    } finally {
      await client.end()
    }
  }

  const observe = async (instance: TestApp, name: string, value: string) => {
    values.set(name, value)
    const response = await instance.request(`/v1/live/v?name=${name}`)
    expect(response.status).toBe(200)
    expect(await instance.settle()).toBe(true)
    return response
  }

  /** A again on the first instance, until it is recorded (the other's version is heard within moments). */
  const returnsToA = async (name: string, id: string) => {
    await waitFor(
      `A recorded again by the first instance for ${name}`,
      async () => {
        await observe(first, name, "A")
        return (await versionsOf(first, id)).length === 3
      },
      { attempts: 100, intervalMs: 50 },
    )
  }

  const expectABA = async (id: string, a: Response, b: Response) => {
    const hashes = (await versionsOf(first, id)).map((version) => version.hash)
    expect(hashes).toEqual([etagHash(a), etagHash(b), etagHash(a)])
  }

  it("records A again after the other instance recorded B, though A is what it knew", async () => {
    const a = await observe(first, "heard", "A")
    const id = resourceOf(a)
    const b = await observe(second, "heard", "B")
    await returnsToA("heard", id)
    await expectABA(id, a, b)
  })

  it("forgets what it knew when its listening connection is lost, so a version written meanwhile is not missed", async () => {
    const a = await observe(first, "unheard", "A")
    const id = resourceOf(a)
    // Both instances stop listening; B is appended while neither hears it.
    await adminQuery(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${new URL(Redacted.value(url(database))).pathname.slice(1)}' and query = 'LISTEN tidemark_versions'`,
    )
    const b = await observe(second, "unheard", "B")
    // Listening again, both of them, before A comes back: what was known then must be gone.
    await waitFor("both instances to listen again", async () => (await listeners()) === 2, {
      attempts: 100,
      intervalMs: 100,
    })
    await returnsToA("unheard", id)
    await expectABA(id, a, b)
  })
})
