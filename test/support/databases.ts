/**
 * The databases every integration suite runs against: embedded PGlite and real PostgreSQL.
 * PGlite opens a copy of a migrated template made once per run (fast); PostgreSQL gets a
 * database of its own per suite, dropped afterwards.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redacted } from "effect"
import pg from "pg"
import type { DatabaseTarget } from "../../src/Config.js"

export const POSTGRES_URL =
  process.env.TIDEMARK_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test"
/** Made by the global setup, one per test run, so that overlapping runs never share it. */
export const PGLITE_TEMPLATE =
  process.env.TIDEMARK_TEST_PGLITE_TEMPLATE ??
  join(process.cwd(), ".tidemark-test", "pglite-template")

export interface TestDatabase {
  readonly name: "pglite" | "postgres"
  readonly target: DatabaseTarget
  /** The connection URL (PostgreSQL) or data directory (PGlite), for child processes. */
  readonly env: Record<string, string>
  readonly drop: () => Promise<void>
}

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

export const adminQuery = async (sql: string) => {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

export const freshPostgres = async (): Promise<TestDatabase> => {
  const name = `tidemark_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  await adminQuery(`create database ${name}`)
  const url = withDatabase(POSTGRES_URL, name)
  return {
    name: "postgres",
    target: { _tag: "Postgres", url: Redacted.make(url) },
    env: { DATABASE_URL: url },
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  }
}

/** A data directory holding a migrated PGlite database, copied from the run's template. */
export const freshPgliteDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-pglite-"))
  cpSync(PGLITE_TEMPLATE, dir, { recursive: true })
  return dir
}

export const freshPglite = async (): Promise<TestDatabase> => {
  const dir = freshPgliteDir()
  return {
    name: "pglite",
    target: { _tag: "PgliteDir", dataDir: dir },
    env: { TIDEMARK_DATA_DIR: dir },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

export const databases = [
  { name: "pglite", fresh: freshPglite },
  { name: "postgres", fresh: freshPostgres },
] as const
