/** The history's read side, as the resource routes show it. */
import { Context, Effect, Layer } from "effect"
import type { PatchOperation } from "../core/patch.js"
import { diff } from "../core/patch.js"
import { type Pointer, resolvePointer } from "../core/pointer.js"
import { Database, query } from "../db/Database.js"
import type { ResourceRow } from "../db/schema.js"
import { type DatabaseError, ResourceNotFound, VersionNotFound } from "../Errors.js"

export interface ResourceSummary {
  readonly id: string
  readonly source: string
  readonly key: string
  readonly params: Readonly<Record<string, string | number | boolean>>
  readonly latestVersion: number
  readonly latestHash: string | null
  readonly latestObservedAt: string | null
  readonly versionCount: number
}

export interface VersionSummary {
  readonly version: number
  readonly hash: string
  readonly observedAt: string
  readonly changes: number
}

export interface VersionDetail {
  readonly version: number
  readonly hash: string
  readonly observedAt: string
  readonly recordedAt: string
  readonly body: unknown
  readonly tracked: unknown
  readonly patch: ReadonlyArray<PatchOperation>
}

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly next: string | null
}

type NotFound = ResourceNotFound | VersionNotFound

export interface SeriesPoint {
  readonly version: number
  readonly observedAt: string
  readonly value: number
}

const NUMERIC_TEXT = /^\s*-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*$/

/** A number, or a string that spells one (prices often come as "64210.50"). */
const numericValue = (value: unknown): number | undefined => {
  if (typeof value === "number") return value
  if (typeof value === "string" && NUMERIC_TEXT.test(value)) return Number(value)
  return undefined
}

export interface BrowseShape {
  readonly resources: (options: {
    readonly source?: string | undefined
    readonly limit: number
    readonly after?: string | undefined
  }) => Effect.Effect<Page<ResourceSummary>, DatabaseError>
  readonly resource: (
    id: string,
  ) => Effect.Effect<ResourceSummary & { readonly latest: VersionDetail }, DatabaseError | NotFound>
  readonly versions: (
    id: string,
    options: { readonly limit: number; readonly before?: number | undefined },
  ) => Effect.Effect<Page<VersionSummary>, DatabaseError | ResourceNotFound>
  readonly version: (
    id: string,
    version: number,
  ) => Effect.Effect<VersionDetail, DatabaseError | NotFound>
  /** The numeric values at `pointer` across the latest `limit` versions, oldest first. */
  readonly series: (
    id: string,
    pointer: Pointer,
    limit: number,
  ) => Effect.Effect<ReadonlyArray<SeriesPoint>, DatabaseError | ResourceNotFound>
  /** The latest version number, 0 when nothing is recorded. */
  readonly latestVersion: (id: string) => Effect.Effect<number, DatabaseError>
  readonly diff: (
    id: string,
    from: number,
    to: number,
  ) => Effect.Effect<Array<PatchOperation>, DatabaseError | NotFound>
}

const summary = (row: ResourceRow): ResourceSummary => ({
  id: row.id,
  source: row.source,
  key: row.key,
  params: row.params,
  latestVersion: row.latest_version,
  latestHash: row.latest_hash,
  latestObservedAt: row.latest_observed_at?.toISOString() ?? null,
  versionCount: row.latest_version,
})

export class Browse extends Context.Tag("tidemark/Browse")<Browse, BrowseShape>() {
  static readonly layer = Layer.effect(
    Browse,
    Effect.gen(function* () {
      const { db } = yield* Database

      const findResource = (id: string) =>
        query("browse.resource", () =>
          db
            .selectFrom("resources")
            .selectAll()
            .where("id", "=", id)
            .where("latest_version", ">", 0)
            .executeTakeFirst(),
        ).pipe(
          Effect.flatMap((row) =>
            row === undefined
              ? Effect.fail(new ResourceNotFound({ resourceId: id }))
              : Effect.succeed(row),
          ),
        )

      const version = (id: string, n: number) =>
        query("browse.version", () =>
          db
            .selectFrom("versions")
            .selectAll()
            .where("resource_id", "=", id)
            .where("version", "=", n)
            .executeTakeFirst(),
        ).pipe(
          Effect.flatMap((row) =>
            row === undefined
              ? findResource(id).pipe(
                  Effect.zipRight(Effect.fail(new VersionNotFound({ resourceId: id, version: n }))),
                )
              : Effect.succeed({
                  version: row.version,
                  hash: row.hash,
                  observedAt: row.observed_at.toISOString(),
                  recordedAt: row.recorded_at.toISOString(),
                  body: JSON.parse(row.body) as unknown,
                  tracked: JSON.parse(row.tracked) as unknown,
                  patch: row.patch,
                } satisfies VersionDetail),
          ),
        )

      const resources: BrowseShape["resources"] = ({ source, limit, after }) =>
        query("browse.resources", () => {
          let select = db.selectFrom("resources").selectAll().where("latest_version", ">", 0)
          if (source !== undefined) select = select.where("source", "=", source)
          if (after !== undefined) select = select.where("id", ">", after)
          return select
            .orderBy("id")
            .limit(limit + 1)
            .execute()
        }).pipe(
          Effect.map((rows) => ({
            items: rows.slice(0, limit).map(summary),
            next: rows.length > limit ? (rows[limit - 1]?.id ?? null) : null,
          })),
        )

      const versions: BrowseShape["versions"] = (id, { limit, before }) =>
        findResource(id).pipe(
          Effect.zipRight(
            query("browse.versions", () => {
              let select = db
                .selectFrom("versions")
                .select(["version", "hash", "observed_at", "patch_ops"])
                .where("resource_id", "=", id)
              if (before !== undefined) select = select.where("version", "<", before)
              return select
                .orderBy("version", "desc")
                .limit(limit + 1)
                .execute()
            }),
          ),
          Effect.map((rows) => ({
            items: rows.slice(0, limit).map((row) => ({
              version: row.version,
              hash: row.hash,
              observedAt: row.observed_at.toISOString(),
              changes: row.patch_ops,
            })),
            next: rows.length > limit ? String(rows[limit - 1]?.version) : null,
          })),
        )

      const series: BrowseShape["series"] = (id, pointer, limit) =>
        findResource(id).pipe(
          Effect.zipRight(
            query("browse.series", () =>
              db
                .selectFrom("versions")
                .select(["version", "observed_at", "tracked"])
                .where("resource_id", "=", id)
                .orderBy("version", "desc")
                .limit(limit)
                .execute(),
            ),
          ),
          Effect.map((rows) =>
            rows.toReversed().flatMap((row) => {
              const value = numericValue(resolvePointer(JSON.parse(row.tracked), pointer))
              return value === undefined
                ? []
                : [{ version: row.version, observedAt: row.observed_at.toISOString(), value }]
            }),
          ),
        )

      const latestVersion = (id: string) =>
        query("browse.latestVersion", () =>
          db
            .selectFrom("resources")
            .select("latest_version")
            .where("id", "=", id)
            .executeTakeFirst(),
        ).pipe(Effect.map((row) => row?.latest_version ?? 0))

      return {
        series,
        latestVersion,
        resources,
        resource: (id) =>
          findResource(id).pipe(
            Effect.flatMap((row) =>
              version(id, row.latest_version).pipe(
                Effect.map((latest) => ({ ...summary(row), latest })),
              ),
            ),
          ),
        versions,
        version,
        diff: (id, from, to) =>
          Effect.all([version(id, from), version(id, to)]).pipe(
            Effect.map(([a, b]) => diff(a.tracked, b.tracked)),
          ),
      } satisfies BrowseShape
    }),
  )
}
