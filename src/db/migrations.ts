import type { Kysely } from "kysely"
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration"
import * as init from "../../migrations/0001_init.js"
import * as notify from "../../migrations/0002_notify.js"
import type { Tables } from "./schema.js"

/** Every migration, in order; listed here so bundlers and edge runtimes see them too. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_init": init,
  "0002_notify": notify,
}

const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) }

export const migrator = (db: Kysely<Tables>) => new Migrator({ db, provider })

/** Applies pending migrations; a concurrent start-up of another instance is retried. */
export const migrateToLatest = async (
  db: Kysely<Tables>,
  attempts = 3,
): Promise<ReadonlyArray<string>> => {
  const { error, results } = await migrator(db).migrateToLatest()
  if (error !== undefined) {
    if (attempts > 1) return migrateToLatest(db, attempts - 1)
    throw error
  }
  return (results ?? [])
    .filter((result) => result.status === "Success")
    .map((result) => result.migrationName)
}
