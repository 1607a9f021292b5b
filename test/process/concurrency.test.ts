import { Agent } from "node:http"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPostgres, type TestDatabase } from "../support/databases.js"
import { get, startServer, stopAll, type TidemarkProcess } from "../support/server.js"
import { delay, sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

const PROCESSES = 3
const REQUESTS_PER_PROCESS = 40
const IN_FLIGHT_PER_PROCESS = 8
const NAMES = ["alpha", "beta", "gamma"]

interface VersionDetail {
  readonly version: number
  readonly hash: string
  readonly observedAt: string
  readonly tracked: { readonly value: number }
}

/** Runs `work` for each item, at most `limit` at a time. */
const boundedAll = async <A, B>(
  items: ReadonlyArray<A>,
  limit: number,
  work: (item: A) => Promise<B>,
) => {
  const results: Array<B> = []
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as A)
    }
  }
  await Promise.all(Array.from({ length: limit }, lane))
  return results
}

const json = async <T>(url: string, agent: Agent): Promise<T> => {
  const response = await get(url, agent)
  expect(response.status).toBe(200)
  return JSON.parse(response.body) as T
}

/** Every version of a resource, oldest first, read through the history routes. */
const historyOf = async (server: TidemarkProcess, resource: string, agent: Agent) => {
  const { items } = await json<{ items: Array<{ version: number }> }>(
    `${server.url}/v1/resources/${resource}/versions?limit=500`,
    agent,
  )
  return Promise.all(
    items
      .map((item) => item.version)
      .reverse()
      .map((n) =>
        json<VersionDetail>(`${server.url}/v1/resources/${resource}/versions/${n}`, agent),
      ),
  )
}

describe("several Tidemark processes sharing one PostgreSQL", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  const clients = new Agent({ keepAlive: true })

  beforeAll(async () => {
    database = await freshPostgres()
    upstream = await startUpstream()
  })
  afterAll(async () => {
    clients.destroy()
    await stopAll()
    await upstream.close()
    await database.drop()
  })

  it("keep each resource's versions contiguous from 1, each differing from its predecessor and never older than it", async () => {
    for (const name of NAMES) {
      let calls = 0
      upstream.route(`/ticks/${name}`, async (_, response) => {
        calls++
        const value = Math.floor(calls / 5)
        await delay(calls % 3)
        sendJson(response, { name, value, volatile: calls })
      })
    }
    const sources = {
      sources: {
        tick: {
          url: `${upstream.url}/ticks/{name}`,
          params: { name: { type: "string" as const, enum: NAMES } },
          ignore: ["/volatile"],
          // Every request reaches the upstream, so the processes race on every value.
          coalesce: false,
        },
      },
    }
    const servers = await Promise.all(
      Array.from({ length: PROCESSES }, () => startServer({ env: database.env, sources })),
    )

    const answeredValues = new Map<string, Set<number>>()
    const resources = new Map<string, string>()
    await Promise.all(
      servers.map((server) =>
        boundedAll(
          Array.from({ length: REQUESTS_PER_PROCESS }, (_, i) => NAMES[i % NAMES.length] ?? ""),
          IN_FLIGHT_PER_PROCESS,
          async (name) => {
            const response = await get(`${server.url}/v1/live/tick?name=${name}`, clients)
            expect(response.status).toBe(200)
            resources.set(name, String(response.headers["tidemark-resource"]))
            const values = answeredValues.get(name) ?? new Set()
            values.add((JSON.parse(response.body) as { value: number }).value)
            answeredValues.set(name, values)
          },
        ),
      ),
    )
    // SIGTERM drains each process's pending recordings before it exits.
    for (const exit of await Promise.all(servers.map((server) => server.stop("SIGTERM")))) {
      expect(exit).toEqual({ code: 0, signal: null })
    }
    for (const server of servers) {
      expect(server.logs().filter((line) => line.logLevel === "ERROR")).toEqual([])
    }

    const reader = await startServer({ env: database.env, sources })
    for (const name of NAMES) {
      const versions = await historyOf(reader, resources.get(name) ?? "", clients)
      expect(versions.length).toBeGreaterThan(0)
      expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1))
      for (const [i, version] of versions.entries()) {
        expect(answeredValues.get(name)).toContain(version.tracked.value)
        const previous = versions[i - 1]
        if (previous === undefined) continue
        expect(version.tracked).not.toEqual(previous.tracked)
        expect(version.hash).not.toBe(previous.hash)
        expect(Date.parse(version.observedAt)).toBeGreaterThanOrEqual(
          Date.parse(previous.observedAt),
        )
      }
    }
    expect(await reader.stop("SIGTERM")).toEqual({ code: 0, signal: null })

    const direct = new pg.Client({ connectionString: database.env.DATABASE_URL })
    await direct.connect()
    try {
      const repeated = await direct.query(
        `select a.resource_id, a.version from versions a
           join versions b on b.resource_id = a.resource_id and b.version = a.version + 1
          where a.hash = b.hash`,
      )
      expect(repeated.rows).toEqual([])
      const counts = await direct.query<{ versions: number; highest: number; lowest: number }>(
        `select count(*)::int as versions, max(version) as highest, min(version) as lowest
           from versions group by resource_id`,
      )
      expect(counts.rows).toHaveLength(NAMES.length)
      for (const row of counts.rows)
        expect(row).toEqual({ ...row, lowest: 1, highest: row.versions })
    } finally {
      await direct.end()
    }
  }, 240_000)
})
