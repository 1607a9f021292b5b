/** PostgreSQL for the benchmark: a database of its own per target, and a delay proxy in front. */
import pg from "pg"
import { startTcpProxy, type TcpProxy } from "../test/support/tcp-proxy.js"

export const ADMIN_URL =
  process.env.TIDEMARK_BENCH_POSTGRES_URL ??
  process.env.TIDEMARK_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test"

const withDatabase = (url: string, database: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const admin = async <A>(run: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

export const postgresReachable = () =>
  admin((client) => client.query("select 1")).then(
    () => true,
    () => false,
  )

export interface BenchDatabase {
  readonly url: string
  readonly drop: () => Promise<void>
}

export const createDatabase = async (suffix: string): Promise<BenchDatabase> => {
  const name = `tidemark_bench_${process.pid}_${suffix}`
  await admin((client) => client.query(`create database ${name}`))
  return {
    url: withDatabase(ADMIN_URL, name),
    drop: () =>
      admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(
        () => undefined,
      ),
  }
}

/** A TCP proxy adding `delayMs` each way to every exchange with the database server. */
export const delayedUrl = async (
  url: string,
  delayMs: number,
): Promise<{ url: string; proxy: TcpProxy }> => {
  const parsed = new URL(url)
  const proxy = await startTcpProxy({
    targetHost: parsed.hostname,
    targetPort: Number(parsed.port || 5432),
    delayMs,
  })
  return { url: proxy.through(url), proxy }
}

export interface RecordedVersion {
  readonly key: string
  readonly version: number
  readonly generation: number
  /** When the upstream sent the answer that created this version (epoch ms). */
  readonly servedAt: number
  readonly recordedAt: number
}

const toVersion = (row: {
  key: string
  version: number
  tracked: string
  body: string
  recorded_at: Date
}): RecordedVersion => {
  const tracked = JSON.parse(row.tracked) as { generation: number }
  const body = JSON.parse(row.body) as { servedAt: number }
  return {
    key: row.key,
    version: row.version,
    generation: tracked.generation,
    servedAt: body.servedAt,
    recordedAt: row.recorded_at.getTime(),
  }
}

/** Versions of the resources whose upstream key starts with `prefix`, read straight from the database. */
export const readVersions = async (
  url: string,
  engine: "tidemark" | "naive",
  prefix: string,
): Promise<Array<RecordedVersion>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const text =
      engine === "tidemark"
        ? `select r.params->>'key' as key, v.version, v.tracked, v.body, v.recorded_at
             from versions v join resources r on r.id = v.resource_id
            where r.params->>'key' like $1 order by 1, 2`
        : `select key, version, tracked, body, recorded_at
             from naive_versions where key like $1 order by 1, 2, recorded_at`
    const result = await client.query(text, [`${prefix}%`])
    return result.rows.map(toVersion)
  } finally {
    await client.end()
  }
}

/** How many versions are recorded so far for keys starting with `prefix`. */
export const countVersions = async (url: string, engine: "tidemark" | "naive", prefix: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const text =
      engine === "tidemark"
        ? `select count(*)::int as n from versions v join resources r on r.id = v.resource_id
            where r.params->>'key' like $1`
        : "select count(*)::int as n from naive_versions where key like $1"
    const result = await client.query<{ n: number }>(text, [`${prefix}%`])
    return result.rows[0]?.n ?? 0
  } finally {
    await client.end()
  }
}
