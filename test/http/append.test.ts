/**
 * The history's append, straight against each database: after a version this process
 * wrote, the next one is a single statement; whenever that version is no longer the
 * latest, or the observation is unchanged or stale, the database refuses the statement
 * and the locked decision takes over, with the same outcome as if it had decided alone.
 */
import { Effect, Either, Layer, ManagedRuntime, Option } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppConfig } from "../../src/Config.js"
import { canonicalJson, contentHash } from "../../src/core/canonical.js"
import { applyPatch, type PatchOperation } from "../../src/core/patch.js"
import { Database } from "../../src/db/Database.js"
import {
  type AppendOutcome,
  History,
  type Observation,
  type ResourceRef,
  type Written,
} from "../../src/history/History.js"
import { loggerLayer } from "../../src/Services.js"
import { databases, freshPostgres, type TestDatabase } from "../support/databases.js"
import { defaultSettings } from "../support/tidemark.js"
import { waitFor } from "../support/waiting.js"

const resource: ResourceRef = {
  id: "append-test-resource",
  key: "prices?symbol=TDMK",
  source: "prices",
  params: { symbol: "TDMK" },
}

const observed = (price: number, at: number, of: ResourceRef = resource): Observation => {
  const tracked = { symbol: "TDMK", price }
  return {
    resource: of,
    observedAt: new Date(at),
    body: JSON.stringify({ ...tracked, servedAt: at }),
    tracked,
    hash: contentHash(tracked),
  }
}

const writtenBy = (outcome: AppendOutcome): Written => {
  if (outcome._tag !== "Appended") throw new Error(`expected an append, got ${outcome._tag}`)
  return { version: outcome.version, tracked: outcome.tracked }
}

const historyOn = (database: TestDatabase) =>
  ManagedRuntime.make(
    History.layer.pipe(
      Layer.provideMerge(Database.layer),
      Layer.provide(AppConfig.make(defaultSettings(database.target))),
      Layer.provide(loggerLayer(defaultSettings(database.target), false)),
    ),
  )

type HistoryRuntime = ReturnType<typeof historyOn>

const appendWith =
  (runtime: HistoryRuntime) => (observation: Observation, after: Written | "none" | undefined) =>
    runtime.runPromise(Effect.flatMap(History, (history) => history.append(observation, after)))

const storedWith =
  (runtime: HistoryRuntime, of: ResourceRef = resource) =>
  () =>
    runtime.runPromise(
      Effect.flatMap(Database, ({ db }) =>
        Effect.promise(() =>
          db
            .selectFrom("versions")
            .select(["version", "hash", "tracked", "patch"])
            .where("resource_id", "=", of.id)
            .orderBy("version")
            .execute(),
        ),
      ),
    )

/** Each stored patch turns the previous version's content into its own. */
const expectPatchesChain = (
  rows: ReadonlyArray<{ readonly tracked: string; readonly patch: ReadonlyArray<PatchOperation> }>,
) => {
  let content: unknown = null
  for (const row of rows) {
    content = applyPatch(content, row.patch)
    expect(canonicalJson(content)).toBe(row.tracked)
  }
}

describe.each(databases)("appending versions on $name", ({ fresh }) => {
  let database: TestDatabase
  let runtime: HistoryRuntime

  beforeAll(async () => {
    database = await fresh()
    runtime = historyOn(database)
  })
  afterAll(async () => {
    await runtime.dispose()
    await database.drop()
  })

  const append = (observation: Observation, after: Written | "none" | undefined) =>
    appendWith(runtime)(observation, after)
  const stored = () => storedWith(runtime)()

  it("appends after the version it wrote, and decides as if alone when that version is out of date or the content is unchanged or stale", async () => {
    const first = await append(observed(100, 1_000), undefined)
    expect(first).toMatchObject({ _tag: "Appended", version: 1 })

    // Right after the version it wrote.
    const second = await append(observed(101, 2_000), writtenBy(first))
    expect(second).toMatchObject({ _tag: "Appended", version: 2, changes: 1 })

    // Still believing version 1 is the latest: refused, then decided under the lock.
    const third = await append(observed(102, 3_000), writtenBy(first))
    expect(third).toMatchObject({ _tag: "Appended", version: 3, changes: 1 })

    // The same content as the latest: nothing written; the latest's observation time is told.
    expect(await append(observed(102, 4_000), writtenBy(third))).toEqual({
      _tag: "Unchanged",
      version: 3,
      observedAt: new Date(3_000),
    })

    // Older than the latest observation: counted stale, nothing written.
    expect(await append(observed(103, 2_500), writtenBy(third))).toEqual({
      _tag: "Stale",
      version: 3,
      latestHash: contentHash({ symbol: "TDMK", price: 102 }),
      latestObservedAt: new Date(3_000),
    })

    const rows = await stored()
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3])
    expect(rows.map((row) => row.hash)).toEqual(
      [100, 101, 102].map((price) => contentHash({ symbol: "TDMK", price })),
    )
    // Whichever path wrote them.
    expectPatchesChain(rows)
  })

  it("writes the first version of a resource believed new, and decides as if alone when the resource exists after all", async () => {
    const fresh: ResourceRef = { ...resource, id: "append-test-new", key: "prices?symbol=NEW" }
    expect(await append(observed(100, 1_000, fresh), "none")).toMatchObject({
      _tag: "Appended",
      version: 1,
    })
    // Believed new, but it exists: refused, then decided under the lock.
    expect(await append(observed(101, 2_000, fresh), "none")).toMatchObject({
      _tag: "Appended",
      version: 2,
      changes: 1,
    })
    expect(await append(observed(101, 3_000, fresh), "none")).toMatchObject({
      _tag: "Unchanged",
      version: 2,
    })
    const rows = await storedWith(runtime, fresh)()
    expect(rows.map((row) => row.version)).toEqual([1, 2])
    expectPatchesChain(rows)
  })

  it("appends several changes in one statement after the version it wrote, and none when any is refused", async () => {
    const appendAll = (observations: ReadonlyArray<Observation>, after: Written) =>
      runtime.runPromise(
        Effect.flatMap(History, (history) => Effect.either(history.appendAll(observations, after))),
      )
    const latest = (await stored()).at(-1)
    if (latest === undefined) throw new Error("the case above stores versions first")
    const after: Written = { version: latest.version, tracked: latest.tracked }

    // Version 3 is the latest: three changes become 4, 5 and 6, each patched from the one before.
    const appended = await appendAll(
      [observed(110, 5_000), observed(111, 6_000), observed(110, 7_000)],
      after,
    )
    expect(Either.getOrThrow(appended)).toEqual([
      expect.objectContaining({ _tag: "Appended", version: 4, changes: 1 }),
      expect.objectContaining({ _tag: "Appended", version: 5, changes: 1 }),
      expect.objectContaining({ _tag: "Appended", version: 6, changes: 1 }),
    ])

    // After a version that is no longer the latest, after a stale one, or with a repeat inside:
    // refused, and nothing of it written.
    const sixth = { version: 6, tracked: canonicalJson({ symbol: "TDMK", price: 110 }) }
    for (const [observations, base] of [
      [[observed(120, 8_000), observed(121, 9_000)], after],
      [[observed(120, 8_000), observed(121, 6_500)], sixth],
      [[observed(120, 8_000), observed(120, 9_000)], sixth],
    ] as const) {
      expect(Either.isLeft(await appendAll(observations, base))).toBe(true)
    }

    const rows = await stored()
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6])
    expect(rows.slice(3).map((row) => row.hash)).toEqual(
      [110, 111, 110].map((price) => contentHash({ symbol: "TDMK", price })),
    )
    expectPatchesChain(rows)
  })

  it("reads the latest version of many resources at once, several to a statement, each its own", async () => {
    const others = Array.from({ length: 12 }, (_, i) => ({
      ...resource,
      id: `append-test-read-${i}`,
      key: `prices?symbol=R${i}`,
    }))
    // Every other one has versions: i + 1 of them, the last observed at (i + 1) seconds.
    for (const [i, other] of others.entries()) {
      if (i % 2 === 1) continue
      let after: Written | "none" = "none"
      for (let n = 0; n <= i; n++)
        after = writtenBy(await append(observed(n, (n + 1) * 1000, other), after))
    }
    // Two reads run at once at most: the others wait and go together in one statement.
    // The first round's reads start in a fiber with their span, the second's without.
    const read = (id: string, index: number) =>
      runtime.runPromise(
        Effect.flatMap(History, (history) =>
          index < others.length
            ? Effect.flatten(history.startLatest(id))
            : history.unsafeStartLatest(id),
        ),
      )
    const latest = await Promise.all(
      [...others, ...others].map((other, index) => read(other.id, index)),
    )
    latest.forEach((found, index) => {
      const i = index % others.length
      expect(Option.getOrNull(found)).toEqual(
        i % 2 === 1
          ? null
          : {
              version: i + 1,
              hash: contentHash({ symbol: "TDMK", price: i }),
              observedAt: new Date((i + 1) * 1000),
            },
      )
    })
  })
})

describe("the locked decision on PostgreSQL while another writer commits", () => {
  let database: TestDatabase
  let runtime: HistoryRuntime
  let other: pg.Client

  beforeAll(async () => {
    database = await freshPostgres()
    runtime = historyOn(database)
    other = new pg.Client({ connectionString: database.env.DATABASE_URL })
    await other.connect()
  })
  afterAll(async () => {
    await other.end()
    await runtime.dispose()
    await database.drop()
  })

  it("builds on the version committed while it waited for the resource's lock", async () => {
    const append = appendWith(runtime)
    await append(observed(100, 1_000), undefined)

    // Another writer appends version 2 and holds its transaction open.
    const b = { symbol: "TDMK", price: 101 }
    await other.query("begin")
    await other.query(
      `insert into versions (resource_id, version, hash, observed_at, body, tracked, patch, patch_ops)
       values ($1, 2, $2, $3, $4, $5, $6, 1)`,
      [
        resource.id,
        contentHash(b),
        new Date(2_000),
        JSON.stringify(b),
        canonicalJson(b),
        JSON.stringify([{ op: "replace", path: "/price", value: 101 }]),
      ],
    )
    // This process, not knowing of it, decides under the lock: it waits for that transaction.
    const third = append(observed(102, 3_000), undefined)
    await waitFor("the decision to wait for the resource's lock", async () => {
      const waiting = await other.query<{ count: number }>(
        "select count(*)::int as count from pg_locks where not granted",
      )
      return (waiting.rows[0]?.count ?? 0) > 0
    })
    await other.query("commit")

    expect(await third).toMatchObject({ _tag: "Appended", version: 3, changes: 1 })
    const rows = await storedWith(runtime)()
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3])
    // From the other writer's version 2, not from nothing.
    expect(rows[2]?.patch).toEqual([{ op: "replace", path: "/price", value: 102 }])
    expectPatchesChain(rows)
  })
})
