/** The history's write side and the live path's read: the latest version, and the atomic append. */
import { Context, Effect, Either, Exit, Layer, Option } from "effect"
import type { Kysely } from "kysely"
import { batchedLookups } from "../core/batch.js"
import { canonicalJson } from "../core/canonical.js"
import type { Normalised } from "../core/params.js"
import { diff, type PatchOperation } from "../core/patch.js"
import { compiledOnce } from "../db/compiled.js"
import { Database, query } from "../db/Database.js"
import type { Tables } from "../db/schema.js"
import { DatabaseError } from "../Errors.js"
import { databaseErrors, updateNow } from "../metrics.js"
import { withSpanWhenTraced } from "../telemetry/span.js"
import {
  insertFirstVersion,
  insertVersion,
  type NewResource,
  type NewVersion,
  RESOURCE_PLACEHOLDERS,
  VERSION_PLACEHOLDERS,
} from "./statements.js"

export interface ResourceRef {
  readonly id: string
  readonly key: string
  readonly source: string
  readonly params: Normalised
}

export interface LatestVersion {
  readonly version: number
  readonly hash: string
  /** When its observation was made: no later version is older (guarantee 4). */
  readonly observedAt: Date | null
}

export interface Observation {
  readonly resource: ResourceRef
  readonly observedAt: Date
  readonly body: string
  readonly tracked: unknown
  readonly hash: string
}

/** A version this process wrote: what an append right after it builds on. */
export interface Written {
  readonly version: number
  /** Its tracked content, canonical JSON. */
  readonly tracked: string
}

export interface Appended {
  readonly _tag: "Appended"
  readonly version: number
  readonly changes: number
  readonly tracked: string
}

export type AppendOutcome =
  | Appended
  | { readonly _tag: "Unchanged"; readonly version: number; readonly observedAt: Date | null }
  | {
      readonly _tag: "Stale"
      readonly version: number
      readonly latestHash: string | null
      readonly latestObservedAt: Date | null
    }

/**
 * Latest-version reads in flight at most; the resources asked for meanwhile are read
 * together, up to `READ_KEYS_MAX` a statement, when one ends (`batchedLookups`). A burst of
 * new resources then costs a far database a few round trips, not one per resource each
 * holding a pooled connection.
 */
const READS_IN_FLIGHT = 2
const READ_KEYS_MAX = 500

const byId = <Row extends { readonly id: string }>(rows: ReadonlyArray<Row>) =>
  new Map(rows.map((row) => [row.id, row]))

/** A resource's row, as the first decision about it creates it. */
const resourceRow = (resource: ResourceRef) => ({
  id: resource.id,
  source: resource.source,
  key: resource.key,
  params: JSON.stringify(resource.params),
})

/** The first version's patch builds its content from nothing. */
const patchFrom = (previous: string | undefined, content: unknown): Array<PatchOperation> =>
  previous === undefined
    ? [{ op: "add", path: "", value: content }]
    : diff(JSON.parse(previous), content)

export class History extends Context.Tag("tidemark/History")<
  History,
  {
    /**
     * Starts reading the latest version now, without a fiber of its own; the effect
     * returned waits for the result. A read nobody waits for settles unnoticed.
     */
    readonly startLatest: (
      resourceId: string,
    ) => Effect.Effect<Effect.Effect<Option.Option<LatestVersion>, DatabaseError>>
    /**
     * `startLatest` outside any fiber and without its span, for an untraced request: the
     * read starts now, and the effect returned waits for it.
     */
    readonly unsafeStartLatest: (
      resourceId: string,
    ) => Effect.Effect<Option.Option<LatestVersion>, DatabaseError>
    /**
     * Appends the observation unless it is unchanged or stale. `after`, the version this
     * process knows to be the latest because it wrote it, or `"none"` when the history read
     * found no version, lets the append be one statement when that is still true.
     */
    readonly append: (
      observation: Observation,
      after: Written | "none" | undefined,
    ) => Effect.Effect<AppendOutcome, DatabaseError>
    /**
     * Appends `observations`, in order, as the versions right after `after` (the latest, as
     * far as this process knows, since it wrote it), in one statement: each must differ
     * from the one before it and be no older. All are appended or none: when `after` is no
     * longer the latest, or any of them is refused, it fails and the caller decides them
     * one by one.
     */
    readonly appendAll: (
      observations: ReadonlyArray<Observation>,
      after: Written,
    ) => Effect.Effect<ReadonlyArray<Appended>, unknown>
    /** `appendAll` outside any fiber: it rejects where that fails. */
    readonly unsafeAppendAll: (
      observations: ReadonlyArray<Observation>,
      after: Written,
    ) => Promise<ReadonlyArray<Appended>>
  }
>() {
  static readonly layer = Layer.effect(
    History,
    Effect.gen(function* () {
      const { db } = yield* Database

      const latestColumns = ["id", "latest_version", "latest_hash", "latest_observed_at"] as const
      // Compiled once: a lone resource's read, the usual case, changes only its parameter.
      const latestStatement = compiledOnce(
        ({ id }: { readonly id: string }) =>
          db.selectFrom("resources").select(latestColumns).where("id", "=", id),
        { id: "$id" },
      )
      const latestOf = batchedLookups(
        async (ids: ReadonlyArray<string>) => {
          const [id] = ids
          if (ids.length === 1 && id !== undefined) {
            return byId((await db.executeQuery(latestStatement({ id }))).rows)
          }
          return byId(
            await db.selectFrom("resources").select(latestColumns).where("id", "in", ids).execute(),
          )
        },
        { inFlight: READS_IN_FLIGHT, maxKeys: READ_KEYS_MAX },
      )

      /** The read, started now; `ended` hears how it ended (its span, when traced). */
      const latestRead = (
        resourceId: string,
        ended: (exit: Exit.Exit<void, DatabaseError>) => void,
      ) =>
        latestOf(resourceId).then(
          (row) => {
            ended(Exit.void)
            return Either.right(
              row === undefined || row.latest_hash === null
                ? Option.none<LatestVersion>()
                : Option.some<LatestVersion>({
                    version: row.latest_version,
                    hash: row.latest_hash,
                    observedAt: row.latest_observed_at,
                  }),
            )
          },
          (cause: unknown) => {
            const error = new DatabaseError({ operation: "history.latest", cause })
            ended(Exit.fail(error))
            // Counted as it happens: nobody may wait for this read any more.
            updateNow(databaseErrors, 1)
            return Either.left(error)
          },
        )

      const waitFor = (
        settled: Promise<Either.Either<Option.Option<LatestVersion>, DatabaseError>>,
      ) => Effect.promise(() => settled).pipe(Effect.flatten)

      const startLatest = (resourceId: string) =>
        Effect.gen(function* () {
          // Made by hand, since the read runs outside any fiber: it ends when the read does.
          const span = yield* Effect.makeSpan("History.latest", { captureStackTrace: false })
          const clock = yield* Effect.clock
          return waitFor(
            latestRead(resourceId, (exit) => span.end(clock.unsafeCurrentTimeNanos(), exit)),
          )
        })

      const unsafeStartLatest = (resourceId: string) =>
        waitFor(latestRead(resourceId, () => undefined))

      /** The row of the version after `previous` (its tracked content, none for a first version). */
      const versionRow = (
        observation: Observation,
        version: number,
        previous: string | undefined,
      ) => {
        const patch = patchFrom(previous, observation.tracked)
        const tracked = canonicalJson(observation.tracked)
        const row = {
          resource_id: observation.resource.id,
          version,
          hash: observation.hash,
          observed_at: observation.observedAt,
          body: observation.body,
          tracked,
          patch: JSON.stringify(patch),
          patch_ops: patch.length,
        }
        const appended: Appended = { _tag: "Appended", version, changes: patch.length, tracked }
        return { row, appended }
      }

      // Compiled once: an append gives them its row's values.
      const versionStatement = compiledOnce(
        (row: NewVersion) => insertVersion(db, row),
        VERSION_PLACEHOLDERS,
      )
      const firstStatement = compiledOnce(
        (row: NewResource) => insertFirstVersion(db, row),
        RESOURCE_PLACEHOLDERS,
      )

      /** Inserts the version after `previous` (its tracked content, none for a first version). */
      const insertNext = async (
        executor: Kysely<Tables>,
        observation: Observation,
        version: number,
        previous: string | undefined,
      ): Promise<Appended> => {
        const { row, appended } = versionRow(observation, version, previous)
        await executor.executeQuery(versionStatement(row))
        return appended
      }

      // Decides inside one transaction that holds the resource's row lock, so concurrent
      // writers in any number of processes see each other's versions before deciding.
      const decideAndAppend = (observation: Observation) =>
        query("history.append", () =>
          db.transaction().execute(async (trx): Promise<AppendOutcome> => {
            const { resource } = observation
            // One round trip, usually: the resource row created if new, locked either way (the
            // no-op update takes the row lock), with its latest version's tracked content.
            const current = await trx
              .insertInto("resources")
              .values(resourceRow(resource))
              .onConflict((oc) =>
                oc
                  .column("id")
                  .doUpdateSet((eb) => ({ latest_version: eb.ref("resources.latest_version") })),
              )
              .returning((eb) => [
                "latest_version",
                "latest_hash",
                "latest_observed_at",
                eb
                  .selectFrom("versions")
                  .select("versions.tracked")
                  .whereRef("versions.resource_id", "=", "resources.id")
                  .whereRef("versions.version", "=", "resources.latest_version")
                  .as("latest_tracked"),
              ])
              .executeTakeFirstOrThrow()
            if (current.latest_hash === observation.hash) {
              return {
                _tag: "Unchanged",
                version: current.latest_version,
                observedAt: current.latest_observed_at,
              }
            }
            if (
              current.latest_observed_at !== null &&
              observation.observedAt < current.latest_observed_at
            ) {
              return {
                _tag: "Stale",
                version: current.latest_version,
                latestHash: current.latest_hash,
                latestObservedAt: current.latest_observed_at,
              }
            }
            // The subquery reads with the statement's snapshot: when another writer's version
            // committed while this statement waited for the lock, the row carries its number
            // but the snapshot does not have it yet. A new statement does.
            const previous =
              current.latest_version === 0
                ? undefined
                : (current.latest_tracked ??
                  (
                    await trx
                      .selectFrom("versions")
                      .select("tracked")
                      .where("resource_id", "=", resource.id)
                      .where("version", "=", current.latest_version)
                      .executeTakeFirstOrThrow()
                  ).tracked)
            return insertNext(trx, observation, current.latest_version + 1, previous)
          }),
        )

      // One statement for a resource new as far as this process knows: its row and its first
      // version. When the row already exists nothing is inserted and the locked decision
      // takes over.
      const appendFirst = (observation: Observation) =>
        Effect.tryPromise(async () => {
          const { resource } = observation
          const { row, appended } = versionRow(observation, 1, undefined)
          const { resource_id, ...version } = row
          const inserted = await db.executeQuery(
            firstStatement({ ...resourceRow(resource), ...version }),
          )
          if (inserted.rows.length === 0) throw new Error(`resource ${resource_id} exists`)
          return appended
        })

      // One statement, no transaction: the version after the one this process wrote last.
      // The trigger refuses it unless that is still the latest, this observation is not
      // older and its content differs; then the transaction above decides.
      const appendAfter = (observation: Observation, after: Written) =>
        Effect.tryPromise(() => insertNext(db, observation, after.version + 1, after.tracked))

      const append = (observation: Observation, after: Written | "none" | undefined) =>
        (after === undefined
          ? decideAndAppend(observation)
          : (after === "none" ? appendFirst(observation) : appendAfter(observation, after)).pipe(
              Effect.catchAll(() => decideAndAppend(observation)),
            )
        ).pipe(withSpanWhenTraced("History.append"))

      // One statement of several rows: the trigger checks each row against the one before it,
      // since a row's trigger sees what the previous rows' triggers changed.
      const unsafeAppendAll = async (observations: ReadonlyArray<Observation>, after: Written) => {
        let previous = after.tracked
        const made = observations.map((observation, index) => {
          const next = versionRow(observation, after.version + 1 + index, previous)
          previous = next.appended.tracked
          return next
        })
        const [lone] = made
        await (made.length === 1 && lone !== undefined
          ? db.executeQuery(versionStatement(lone.row))
          : db
              .insertInto("versions")
              .values(made.map(({ row }) => row))
              .execute())
        return made.map(({ appended }) => appended)
      }

      const appendAll = (observations: ReadonlyArray<Observation>, after: Written) =>
        Effect.tryPromise(() => unsafeAppendAll(observations, after)).pipe(
          withSpanWhenTraced("History.append"),
        )

      return { startLatest, unsafeStartLatest, append, appendAll, unsafeAppendAll }
    }),
  )
}
