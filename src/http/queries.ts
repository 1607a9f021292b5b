/** Route inputs, decoded with Effect Schema; a mismatch is an `invalid_request`. */
import { Effect, ParseResult, Schema } from "effect"
import { isValidPointer } from "../core/pointer.js"
import { InvalidRequest } from "../Errors.js"

const PageLimit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500))
const VersionNumber = Schema.NumberFromString.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1))

export const ResourcesQuery = Schema.Struct({
  source: Schema.optional(Schema.String.pipe(Schema.maxLength(64))),
  limit: Schema.optionalWith(PageLimit, { default: () => 50 }),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(256))),
})

export const VersionsQuery = Schema.Struct({
  limit: Schema.optionalWith(PageLimit, { default: () => 50 }),
  before: Schema.optional(VersionNumber),
})

export const SeriesQuery = Schema.Struct({
  path: Schema.String.pipe(
    Schema.maxLength(1024),
    Schema.filter((text) => isValidPointer(text) || "must be a JSON Pointer such as /price"),
  ),
  limit: Schema.optionalWith(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000)), {
    default: () => 500,
  }),
})

export const DiffQuery = Schema.Struct({ from: VersionNumber, to: VersionNumber })

export const ResourceId = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,64}$/))

export const VersionPath = Schema.Struct({ id: ResourceId, n: VersionNumber })

export const decodeInput = <A, I>(schema: Schema.Schema<A, I>, input: unknown, what: string) =>
  Schema.decodeUnknown(schema, { onExcessProperty: "error", errors: "first" })(input).pipe(
    Effect.mapError((error) => {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
      const where =
        issue === undefined || issue.path.length === 0 ? what : `${what} '${issue.path.join(".")}'`
      return new InvalidRequest({ detail: `${where}: ${issue?.message ?? error.message}` })
    }),
  )

/** Cursors are opaque to clients: the last id of a page, base64url-encoded. */
export const encodeCursor = (id: string) => Buffer.from(id, "utf8").toString("base64url")
export const decodeCursor = (cursor: string) => Buffer.from(cursor, "base64url").toString("utf8")
