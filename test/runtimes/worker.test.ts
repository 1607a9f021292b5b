/**
 * The Workers entry, bundled as `npm run build:worker` bundles it and run in workerd through
 * miniflare, against a fresh PostgreSQL database migrated beforehand (the worker does not
 * migrate) and an upstream stand-in on 127.0.0.1.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Kysely, PostgresDialect } from "kysely"
import { Miniflare } from "miniflare"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildWorker } from "../../scripts/build-worker.js"
import { migrateToLatest } from "../../src/db/migrations.js"
import type { Tables } from "../../src/db/schema.js"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { freshPostgres, type TestDatabase } from "../support/databases.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { waitFor } from "../support/waiting.js"

interface VersionRow {
  readonly version: number
  readonly hash: string
  readonly body: string
}

/** Generous for one request on a loaded machine; a response held by the database would exceed it. */
const ANSWER_WITHIN_MS = 10_000

describe("the Workers entry in workerd, on PostgreSQL", () => {
  let database: TestDatabase
  let url: string
  let upstream: UpstreamStandIn
  let observer: pg.Client
  let worker: Miniflare
  let scratch: string

  const versionsOf = async (resource: string): Promise<ReadonlyArray<VersionRow>> =>
    (
      await observer.query<VersionRow>(
        "select version, hash, body from versions where resource_id = $1 order by version",
        [resource],
      )
    ).rows

  /** The worker holds no connection to the database: every request's pool was closed. */
  const idle = () =>
    waitFor("the worker's connections to close", async () => {
      const { rows } = await observer.query<{ open: number }>(
        "select count(*)::int as open from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      )
      return rows[0]?.open === 0
    })

  const live = (path: string) =>
    worker.dispatchFetch(`http://tidemark.test${path}`, {
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    })

  beforeAll(async () => {
    database = await freshPostgres()
    url = database.env.DATABASE_URL ?? ""
    const db = new Kysely<Tables>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
    })
    await migrateToLatest(db)
    await db.destroy()
    observer = new pg.Client({ connectionString: url })
    await observer.connect()
    upstream = await startUpstream()
    scratch = mkdtempSync(join(tmpdir(), "tidemark-worker-"))
    const script = await buildWorker(join(scratch, "worker.js"))
    const sources: SourcesDocument = {
      sources: {
        price: {
          url: `${upstream.url}/prices/{pair}`,
          params: { pair: { type: "string", pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
          select: "/data",
          ignore: ["/generated_at"],
          retries: 0,
        },
      },
    }
    worker = new Miniflare({
      modules: true,
      scriptPath: script,
      modulesRoot: dirname(script),
      compatibilityDate: "2026-07-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: {
        DATABASE_URL: url,
        TIDEMARK_SOURCES_JSON: JSON.stringify(sources),
        LOG_LEVEL: "warn",
      },
    })
    await worker.ready
  })
  afterAll(async () => {
    await worker?.dispose()
    await observer?.end()
    await upstream?.close()
    await database?.drop()
    rmSync(scratch, { recursive: true, force: true })
  })

  it("is bundled without the embedded database", () => {
    expect(readFileSync(join(scratch, "worker.js"), "utf8")).not.toContain("pglite.wasm")
  })

  it("answers live with the upstream body and Tidemark's headers, and records version 1 only after the response", async () => {
    const body = '{ "data": {"amount": "1.50", "generated_at": 1},\n "extra": [1, 2.0] }'
    upstream.route("/prices/EUR-USD", (_, response) => sendJson(response, body))
    // The recording cannot write while this lock is held, so an answer that arrives now
    // was sent before its recording finished.
    const holder = new pg.Client({ connectionString: url })
    await holder.connect()
    await holder.query("begin")
    await holder.query("lock table versions in access exclusive mode")
    try {
      const before = Date.now()
      const response = await live("/v1/live/price?pair=EUR-USD")
      expect(response.status).toBe(200)
      expect(await response.text()).toBe(body)
      expect(response.headers.get("content-type")).toBe("application/json")
      expect(response.headers.get("cache-control")).toBe("no-cache")
      expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/)
      expect(response.headers.get("tidemark-resource")).toMatch(/^[A-Za-z0-9_-]{22}$/)
      const observedAt = Date.parse(response.headers.get("tidemark-observed-at") ?? "")
      expect(observedAt).toBeGreaterThanOrEqual(before - 1)
      await holder.query("commit")

      const resource = response.headers.get("tidemark-resource") ?? ""
      await waitFor("version 1 in PostgreSQL", async () => (await versionsOf(resource)).length > 0)
      expect(await versionsOf(resource)).toEqual([
        { version: 1, hash: (response.headers.get("etag") ?? "").slice(1, -1), body },
      ])
    } finally {
      await holder.end()
    }
  })

  it("adds no version for an unchanged answer and version 2 for a changed one, then closes every connection it opened", async () => {
    let amount = "2.00"
    upstream.route("/prices/GBP-USD", (_, response) =>
      sendJson(response, { data: { amount }, generated_at: Date.now() }),
    )
    const first = await live("/v1/live/price?pair=GBP-USD")
    expect(first.status).toBe(200)
    await first.arrayBuffer()
    const resource = first.headers.get("tidemark-resource") ?? ""
    await waitFor("version 1", async () => (await versionsOf(resource)).length === 1)

    const unchanged = await live("/v1/live/price?pair=GBP-USD")
    expect(unchanged.status).toBe(200)
    expect(unchanged.headers.get("etag")).toBe(first.headers.get("etag"))
    await unchanged.arrayBuffer()

    amount = "2.50"
    const changed = await live("/v1/live/price?pair=GBP-USD")
    expect(changed.status).toBe(200)
    await changed.arrayBuffer()
    await waitFor("version 2", async () => (await versionsOf(resource)).length === 2)
    // The unchanged answer was observed before the changed one, so it could not be written
    // after it: a version from it would be version 2 here.
    expect((await versionsOf(resource)).map(({ version, hash }) => ({ version, hash }))).toEqual([
      { version: 1, hash: (first.headers.get("etag") ?? "").slice(1, -1) },
      { version: 2, hash: (changed.headers.get("etag") ?? "").slice(1, -1) },
    ])

    const history = await live(`/v1/resources/${resource}/versions`)
    expect(history.status).toBe(200)
    expect(await history.json()).toMatchObject({
      items: [{ version: 2 }, { version: 1 }],
    })
    // Each request's pool is closed once its background work is done.
    await idle()
  })

  it("answers an upstream failure with its problem and records nothing", async () => {
    upstream.route("/prices/USD-JPY", (_, response) => sendJson(response, { error: "down" }, 500))
    const response = await live("/v1/live/price?pair=USD-JPY")
    expect(response.status).toBe(502)
    expect(await response.json()).toMatchObject({ code: "upstream_status", upstreamStatus: 500 })
    await idle()
    const { rows } = await observer.query<{ count: number }>(
      "select count(*)::int as count from resources where key = 'price?pair=USD-JPY'",
    )
    expect(rows[0]?.count).toBe(0)
  })
})
