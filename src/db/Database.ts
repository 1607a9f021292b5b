import { Context, Duration, Effect, Layer, Metric, Redacted, Schema } from "effect"
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely"
import { AppConfig, type DatabaseTarget } from "../Config.js"
import { DatabaseError } from "../Errors.js"
import { databaseErrors } from "../metrics.js"
import { migrateToLatest, migrations } from "./migrations.js"
import type { Tables } from "./schema.js"

export interface DatabaseShape {
  readonly db: Kysely<Tables>
  readonly engine: "postgres" | "pglite"
  /** True when the database answers now and every migration is applied. */
  readonly ready: Effect.Effect<boolean>
}

export class DatabaseStartError extends Schema.TaggedError<DatabaseStartError>()(
  "DatabaseStartError",
  {
    message: Schema.String,
  },
) {}

const DESTROY_TIMEOUT = Duration.seconds(5)
const READY_TIMEOUT = Duration.seconds(2)

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

interface Opened {
  readonly db: Kysely<Tables>
  readonly release: () => void
}

const openPostgres = async (url: Redacted.Redacted<string>, poolSize: number): Promise<Opened> => {
  const { default: pg } = await import("pg")
  const pool = new pg.Pool({
    connectionString: Redacted.value(url),
    max: poolSize,
    connectionTimeoutMillis: 5000,
    // A database that stops answering without closing the connection must not hold
    // recordings (and their queue slots) forever.
    query_timeout: 30_000,
    keepAlive: true,
  })
  // A client losing its server must not crash the process, idle (the pool's "error")
  // or checked out (its own "error", which pg emits beside failing the query in flight;
  // the pool discards the client when it is released).
  pool.on("error", () => undefined)
  pool.on("connect", (client) => client.on("error", () => undefined))
  return {
    db: new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }),
    release: () => undefined,
  }
}

const openKysely = (target: DatabaseTarget, poolSize: number) =>
  Effect.tryPromise({
    try: async (): Promise<Opened> => {
      if (target._tag === "Postgres") return openPostgres(target.url, poolSize)
      const { PGlite } = await import("@electric-sql/pglite")
      if (target._tag === "PgliteMemory") {
        return {
          db: new Kysely<Tables>({ dialect: new PGliteDialect({ pglite: new PGlite() }) }),
          release: () => undefined,
        }
      }
      const { lockDataDir } = await import("./lock.js")
      const release = lockDataDir(target.dataDir)
      try {
        const pglite = await PGlite.create(`${target.dataDir}/pgdata`)
        return { db: new Kysely<Tables>({ dialect: new PGliteDialect({ pglite }) }), release }
      } catch (error) {
        release()
        throw error
      }
    },
    catch: (error) => new DatabaseStartError({ message: describe(error) }),
  })

/** Closes the database within a bound: a stuck connection must not hold the shutdown. */
const acquire = (open: Effect.Effect<Opened, DatabaseStartError>) =>
  Effect.acquireRelease(open, ({ db, release }) =>
    Effect.promise(() => db.destroy()).pipe(
      Effect.timeout(DESTROY_TIMEOUT),
      Effect.ignore,
      Effect.ensuring(Effect.sync(release)),
    ),
  )

const checkReady = (db: Kysely<Tables>) =>
  Effect.tryPromise(async () => {
    const result = await sql<{
      applied: number
    }>`select count(*)::int as applied from kysely_migration`.execute(db)
    return (result.rows[0]?.applied ?? 0) >= Object.keys(migrations).length
  }).pipe(
    Effect.timeout(READY_TIMEOUT),
    Effect.orElseSucceed(() => false),
  )

/** Wraps a Kysely call as an Effect that fails with a DatabaseError naming the operation. */
export const query = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new DatabaseError({ operation, cause }) }).pipe(
    Effect.tapError(() => Metric.increment(databaseErrors)),
  )

export class Database extends Context.Tag("tidemark/Database")<Database, DatabaseShape>() {
  /** Opens the configured database and applies pending migrations before anything else runs. */
  static readonly layer = Layer.scoped(
    Database,
    Effect.gen(function* () {
      const { database, dbPoolSize } = yield* AppConfig
      const { db } = yield* acquire(openKysely(database, dbPoolSize))
      const applied = yield* Effect.tryPromise({
        try: () => migrateToLatest(db),
        catch: (error) =>
          new DatabaseStartError({ message: `migrations failed: ${describe(error)}` }),
      })
      if (applied.length > 0)
        yield* Effect.logInfo("migrations applied").pipe(Effect.annotateLogs({ applied }))
      return {
        db,
        engine: database._tag === "Postgres" ? "postgres" : "pglite",
        ready: checkReady(db),
      } satisfies DatabaseShape
    }),
  )

  /**
   * PostgreSQL only, opened as it is: no migrations (they are applied beforehand with
   * `npm run migrate`) and no embedded PGlite. For runtimes without a file system or a
   * start-up step, such as Workers, where each request opens its own small pool.
   */
  static readonly postgres = (poolSize: number) =>
    Layer.scoped(
      Database,
      Effect.gen(function* () {
        const { database } = yield* AppConfig
        if (database._tag !== "Postgres") {
          return yield* new DatabaseStartError({
            message: "DATABASE_URL: expected a postgres:// or postgresql:// URL",
          })
        }
        const { db } = yield* acquire(
          Effect.tryPromise({
            try: () => openPostgres(database.url, poolSize),
            catch: (error) => new DatabaseStartError({ message: describe(error) }),
          }),
        )
        return { db, engine: "postgres", ready: checkReady(db) } satisfies DatabaseShape
      }),
    )
}
