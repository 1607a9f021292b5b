import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { migrations } from "../../src/db/migrations.js"
import { freshPostgres, type TestDatabase } from "../support/databases.js"
import { runToExit, stopAll } from "../support/server.js"

describe("npm run migrate", () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await freshPostgres()
  })
  afterAll(async () => {
    await stopAll()
    await database.drop()
  })

  it("applies every migration to an empty PostgreSQL database and exits 0", async () => {
    const migrated = await runToExit({ script: "migrate", env: database.env })
    expect(migrated).toMatchObject({ code: 0, signal: null, stderr: "" })

    const client = new pg.Client({ connectionString: database.env.DATABASE_URL })
    await client.connect()
    try {
      const tables = await client.query<{ name: string }>(
        `select table_name as name from information_schema.tables
          where table_schema = 'public' order by table_name`,
      )
      expect(tables.rows.map((row) => row.name)).toEqual(
        expect.arrayContaining(["kysely_migration", "resources", "versions"]),
      )
      const applied = await client.query<{ name: string }>("select name from kysely_migration")
      expect(applied.rows.map((row) => row.name).sort()).toEqual(Object.keys(migrations).sort())
    } finally {
      await client.end()
    }
  }, 120_000)
})
