/**
 * The appends' statements, built for one row: compiled once by the history
 * (`compiledOnce`), and each use gives them its row's values.
 */
import type { Kysely } from "kysely"
import type { Tables } from "../db/schema.js"

/** A version's row as it is inserted. */
export interface NewVersion {
  readonly resource_id: string
  readonly version: number
  readonly hash: string
  readonly observed_at: Date
  readonly body: string
  readonly tracked: string
  /** JSON text of the RFC 6902 operations from the version before. */
  readonly patch: string
  readonly patch_ops: number
}

/** A new resource's row and its first version, inserted by one statement. */
export interface NewResource extends Omit<NewVersion, "resource_id"> {
  readonly id: string
  readonly source: string
  readonly key: string
  /** JSON text of the resource's normalised parameters. */
  readonly params: string
}

export const insertVersion = (db: Kysely<Tables>, row: NewVersion) =>
  db.insertInto("versions").values(row)

/**
 * The resource's row, created by the statement itself, and its first version (the trigger
 * sees the row the statement created). When the row already exists nothing is inserted:
 * no row is returned.
 */
export const insertFirstVersion = (db: Kysely<Tables>, row: NewResource) =>
  db
    .with("created", (db) =>
      db
        .insertInto("resources")
        .values({ id: row.id, source: row.source, key: row.key, params: row.params })
        .onConflict((oc) => oc.doNothing())
        .returning("id"),
    )
    .insertInto("versions")
    .columns([
      "resource_id",
      "version",
      "hash",
      "observed_at",
      "body",
      "tracked",
      "patch",
      "patch_ops",
    ])
    .expression((eb) =>
      eb
        .selectFrom("created")
        .select([
          "created.id",
          eb.cast<number>(eb.val(row.version), "integer").as("version"),
          eb.cast<string>(eb.val(row.hash), "text").as("hash"),
          eb.cast<Date>(eb.val(row.observed_at), "timestamptz").as("observed_at"),
          eb.cast<string>(eb.val(row.body), "text").as("body"),
          eb.cast<string>(eb.val(row.tracked), "text").as("tracked"),
          eb.cast<string>(eb.val(row.patch), "jsonb").as("patch"),
          eb.cast<number>(eb.val(row.patch_ops), "integer").as("patch_ops"),
        ]),
    )
    .returning("version")

/** Values of their own, which `compiledOnce` traces the compiled parameters back to. */
export const VERSION_PLACEHOLDERS: NewVersion = {
  resource_id: "$resource_id",
  version: -1,
  hash: "$hash",
  observed_at: new Date(0),
  body: "$body",
  tracked: "$tracked",
  patch: "$patch",
  patch_ops: -2,
}

const { resource_id: _resourceId, ...VERSION_FIELDS } = VERSION_PLACEHOLDERS

export const RESOURCE_PLACEHOLDERS: NewResource = {
  id: "$id",
  source: "$source",
  key: "$key",
  params: "$params",
  ...VERSION_FIELDS,
}
