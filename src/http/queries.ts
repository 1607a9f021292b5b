/**
 * Route inputs as Effect Schemas: the routes' validators decode with them and the OpenAPI
 * document describes the parameters from them. A mismatch is an `invalid_request`.
 */
import { JSONSchema, Schema, Struct } from "effect"
import { MAX_PARAM_LENGTH } from "../core/params.js"
import { isValidPointer } from "../core/pointer.js"

/**
 * A number written as text in a path or query string. JSON Schema describes a transformation
 * by its encoded side (a string); clients need the number it must be, so it is documented so.
 */
const numberText = (schema: Schema.Schema<number, string>) =>
  schema.annotations({
    jsonSchema: Struct.omit(JSONSchema.make(Schema.typeSchema(schema)), "$schema"),
  })

const withDefault = (schema: Schema.Schema<number, string>, value: number) =>
  Schema.optionalWith(schema, { default: () => value }).annotations({ default: value })

const PageLimit = numberText(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500)))
const VersionNumber = numberText(
  Schema.NumberFromString.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1)),
)

export const ResourcesQuery = Schema.Struct({
  source: Schema.optional(Schema.String.pipe(Schema.maxLength(64))),
  limit: withDefault(PageLimit, 50),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(256))),
})

export const VersionsQuery = Schema.Struct({
  limit: withDefault(PageLimit, 50),
  before: Schema.optional(VersionNumber),
})

export const SeriesQuery = Schema.Struct({
  path: Schema.String.pipe(
    Schema.maxLength(1024),
    Schema.filter((text) => isValidPointer(text) || "must be a JSON Pointer such as /price"),
  ),
  limit: withDefault(
    numberText(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))),
    500,
  ),
})

export const DiffQuery = Schema.Struct({ from: VersionNumber, to: VersionNumber })

export const ResourceId = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/))

export const ResourcePath = Schema.Struct({ id: ResourceId })

export const VersionPath = Schema.Struct({ id: ResourceId, n: VersionNumber })

/**
 * The live route's params. Each source declares its own (`GET /v1/sources`), and they are
 * checked against that declaration, so this schema only documents their common shape.
 */
export const LiveParams = Schema.Record({
  key: Schema.String,
  value: Schema.String.pipe(Schema.maxLength(MAX_PARAM_LENGTH)),
})

/** Cursors are opaque to clients: the last id of a page, base64url-encoded. */
export const encodeCursor = (id: string) => Buffer.from(id, "utf8").toString("base64url")
export const decodeCursor = (cursor: string) => Buffer.from(cursor, "base64url").toString("utf8")
