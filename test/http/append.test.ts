/**
 * The history's append, straight against each database: after a version this process
 * wrote, the next one is a single statement; whenever that version is no longer the
 * latest, or the observation is unchanged or stale, the database refuses the statement
 * and the locked decision takes over, with the same outcome as if it had decided alone.
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppConfig } from "../../src/Config.js"
import { canonicalJson, contentHash } from "../../src/core/canonical.js"
import { applyPatch } from "../../src/core/patch.js"
import { Database } from "../../src/db/Database.js"
import {
  type AppendOutcome,
  History,
  type Observation,
  type ResourceRef,
  type Written,
} from "../../src/history/History.js"
import { loggerLayer } from "../../src/Services.js"
import { databases, type TestDatabase } from "../support/databases.js"
import { defaultSettings } from "../support/tidemark.js"

const resource: ResourceRef = {
  id: "append-test-resource",
  key: "prices?symbol=TDMK",
  source: "prices",
  params: { symbol: "TDMK" },
}

const observed = (price: number, at: number): Observation => {
  const tracked = { symbol: "TDMK", price }
  return {
    resource,
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

describe.each(databases)("appending versions on $name", ({ fresh }) => {
  let database: TestDatabase
  let runtime: ManagedRuntime.ManagedRuntime<History | Database, unknown>

  beforeAll(async () => {
    database = await fresh()
    runtime = ManagedRuntime.make(
      History.layer.pipe(
        Layer.provideMerge(Database.layer),
        Layer.provide(AppConfig.make(defaultSettings(database.target))),
        Layer.provide(loggerLayer(defaultSettings(database.target), false)),
      ),
    )
  })
  afterAll(async () => {
    await runtime.dispose()
    await database.drop()
  })

  const append = (observation: Observation, after: Written | undefined) =>
    runtime.runPromise(Effect.flatMap(History, (history) => history.append(observation, after)))

  const stored = () =>
    runtime.runPromise(
      Effect.flatMap(Database, ({ db }) =>
        Effect.promise(() =>
          db
            .selectFrom("versions")
            .select(["version", "hash", "tracked", "patch"])
            .where("resource_id", "=", resource.id)
            .orderBy("version")
            .execute(),
        ),
      ),
    )

  it("appends after the version it wrote, and decides as if alone when that version is out of date or the content is unchanged or stale", async () => {
    const first = await append(observed(100, 1_000), undefined)
    expect(first).toMatchObject({ _tag: "Appended", version: 1 })

    // Right after the version it wrote.
    const second = await append(observed(101, 2_000), writtenBy(first))
    expect(second).toMatchObject({ _tag: "Appended", version: 2, changes: 1 })

    // Still believing version 1 is the latest: refused, then decided under the lock.
    const third = await append(observed(102, 3_000), writtenBy(first))
    expect(third).toMatchObject({ _tag: "Appended", version: 3, changes: 1 })

    // The same content as the latest: nothing written.
    expect(await append(observed(102, 4_000), writtenBy(third))).toEqual({
      _tag: "Unchanged",
      version: 3,
    })

    // Older than the latest observation: counted stale, nothing written.
    expect(await append(observed(103, 2_500), writtenBy(third))).toEqual({
      _tag: "Stale",
      version: 3,
      latestHash: contentHash({ symbol: "TDMK", price: 102 }),
    })

    const rows = await stored()
    expect(rows.map((row) => row.version)).toEqual([1, 2, 3])
    expect(rows.map((row) => row.hash)).toEqual(
      [100, 101, 102].map((price) => contentHash({ symbol: "TDMK", price })),
    )
    // Each stored patch turns the previous version's content into its own, whichever path wrote it.
    let content: unknown = null
    for (const row of rows) {
      content = applyPatch(content, row.patch)
      expect(canonicalJson(content)).toBe(row.tracked)
    }
  })
})
