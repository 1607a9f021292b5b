/**
 * Once per run: the web assets and the server bundle as `npm start` builds them, a migrated
 * PGlite template to copy, and a check that PostgreSQL answers.
 */
import { mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { PGlite } from "@electric-sql/pglite"
import { Kysely, PGliteDialect } from "kysely"
import pg from "pg"
import { buildServer } from "../../scripts/build-server.js"
import { buildWeb } from "../../scripts/build-web.js"
import { migrateToLatest } from "../../src/db/migrations.js"
import type { Tables } from "../../src/db/schema.js"
import { POSTGRES_URL } from "./databases.js"

export default async function setup() {
  await Promise.all([buildWeb(), buildServer()])
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  try {
    await client.connect()
    await client.end()
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${POSTGRES_URL} (${String(error)}); start it or set TIDEMARK_TEST_POSTGRES_URL`,
    )
  }
  const template = join(process.cwd(), ".tidemark-test", `pglite-template-${process.pid}`)
  rmSync(template, { recursive: true, force: true })
  mkdirSync(template, { recursive: true })
  const pglite = await PGlite.create(`${template}/pgdata`)
  const db = new Kysely<Tables>({ dialect: new PGliteDialect({ pglite }) })
  await migrateToLatest(db)
  await db.destroy()
  process.env.TIDEMARK_TEST_PGLITE_TEMPLATE = template
  return () => rmSync(template, { recursive: true, force: true })
}
