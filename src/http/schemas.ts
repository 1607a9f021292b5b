/** The HTTP API's response bodies as Effect Schemas; the OpenAPI document is made from them. */
import { Schema } from "effect"
import type * as Params from "../core/params.js"
import type * as Browse from "../history/Browse.js"
import { problemCodes } from "./problem.js"
import { ResourceId } from "./queries.js"

const HASH = "[0-9a-f]{64}"
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const Integer = Schema.Number.pipe(Schema.int())
const VersionNumber = Integer.pipe(Schema.greaterThanOrEqualTo(1))
const Count = Integer.pipe(Schema.greaterThanOrEqualTo(0))

export const Hash = Schema.String.pipe(
  Schema.pattern(new RegExp(`^${HASH}$`), {
    description: "the SHA-256 of the canonical (RFC 8785) tracked content, in hex",
  }),
)

export const ETag = Schema.String.pipe(
  Schema.pattern(new RegExp(`^"${HASH}"$`), {
    description: "the quoted hash of the tracked content",
  }),
)

export const Instant = Schema.String.pipe(
  Schema.pattern(ISO_INSTANT, {
    description: "an ISO 8601 time in UTC",
    jsonSchema: { pattern: ISO_INSTANT.source, format: "date-time" },
  }),
)

/** Any JSON value: the upstream's body and the tracked content are not Tidemark's to shape. */
export const JsonValue = Schema.Unknown.annotations({
  identifier: "JsonValue",
  jsonSchema: {
    type: ["object", "array", "string", "number", "boolean", "null"],
    description: "any JSON value",
  },
})

const Pointer = Schema.String.annotations({ description: "a JSON Pointer (RFC 6901)" })

/** One RFC 6902 operation. */
export const PatchOperation = Schema.Union(
  Schema.Struct({ op: Schema.Literal("add"), path: Pointer, value: JsonValue }),
  Schema.Struct({ op: Schema.Literal("remove"), path: Pointer }),
  Schema.Struct({ op: Schema.Literal("replace"), path: Pointer, value: JsonValue }),
  Schema.Struct({ op: Schema.Literal("move"), from: Pointer, path: Pointer }),
  Schema.Struct({ op: Schema.Literal("copy"), from: Pointer, path: Pointer }),
  Schema.Struct({ op: Schema.Literal("test"), path: Pointer, value: JsonValue }),
).annotations({ identifier: "PatchOperation" })

export const JsonPatch = Schema.Array(PatchOperation).annotations({
  identifier: "JsonPatch",
  description: "RFC 6902 operations, applied in order",
})

const ParamValue = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)

export const ResourceSummary = Schema.Struct({
  id: ResourceId,
  source: Schema.String,
  key: Schema.String,
  params: Schema.Record({ key: Schema.String, value: ParamValue }),
  latestVersion: Count,
  latestHash: Schema.NullOr(Hash),
  latestObservedAt: Schema.NullOr(Instant),
  versionCount: Count,
}).annotations({ identifier: "ResourceSummary" })

export const VersionSummary = Schema.Struct({
  version: VersionNumber,
  hash: Hash,
  observedAt: Instant,
  changes: Count.annotations({ description: "how many operations the version's patch has" }),
}).annotations({ identifier: "VersionSummary" })

export const VersionDetail = Schema.Struct({
  version: VersionNumber,
  hash: Hash,
  observedAt: Instant,
  recordedAt: Instant,
  body: JsonValue,
  tracked: JsonValue,
  patch: JsonPatch,
}).annotations({ identifier: "VersionDetail" })

export const ResourceDetail = Schema.Struct({
  ...ResourceSummary.fields,
  latest: VersionDetail,
}).annotations({ identifier: "ResourceDetail" })

export const ResourcesPage = Schema.Struct({
  items: Schema.Array(ResourceSummary),
  nextCursor: Schema.NullOr(Schema.String),
}).annotations({ identifier: "ResourcesPage" })

export const VersionsPage = Schema.Struct({
  items: Schema.Array(VersionSummary),
  nextBefore: Schema.NullOr(VersionNumber),
}).annotations({ identifier: "VersionsPage" })

export const SeriesPoint = Schema.Struct({
  version: VersionNumber,
  observedAt: Instant,
  value: Schema.Number,
}).annotations({ identifier: "SeriesPoint" })

export const Series = Schema.Struct({
  path: Pointer,
  points: Schema.Array(SeriesPoint),
}).annotations({ identifier: "Series" })

export const ParamSpec = Schema.Struct({
  type: Schema.Literal("string", "number", "integer", "boolean"),
  description: Schema.optional(Schema.String),
  pattern: Schema.optional(Schema.String),
  enum: Schema.optional(Schema.Array(ParamValue)),
  minimum: Schema.optional(Schema.Number),
  maximum: Schema.optional(Schema.Number),
  default: Schema.optional(ParamValue),
}).annotations({ identifier: "ParamSpec" })

export const SourceListing = Schema.Struct({
  id: Schema.String,
  description: Schema.String,
  params: Schema.Record({ key: Schema.String, value: ParamSpec }),
  select: Pointer,
  ignore: Schema.Array(Pointer),
  timeoutMs: Integer,
  retries: Count,
  coalesce: Schema.Boolean,
}).annotations({ identifier: "Source" })

export const SourcesListing = Schema.Struct({ sources: Schema.Array(SourceListing) }).annotations({
  identifier: "Sources",
})

export const Health = Schema.Struct({ status: Schema.Literal("ok") }).annotations({
  identifier: "Health",
})
export const Ready = Schema.Struct({ status: Schema.Literal("ready") }).annotations({
  identifier: "Ready",
})
export const NotReady = Schema.Struct({ status: Schema.Literal("unavailable") }).annotations({
  identifier: "NotReady",
})

export const PrometheusText = Schema.String.annotations({
  description: "metrics in Prometheus' text exposition format 0.0.4",
})

export const OpenApiDocument = Schema.Struct(
  { openapi: Schema.Literal("3.1.0") },
  Schema.Record({ key: Schema.String, value: JsonValue }),
).annotations({ identifier: "OpenApiDocument" })

export const ProblemCode = Schema.Literal(...problemCodes)

/** The members some problems add, as the problem table's `extra` writes them. */
const problemExtensions = {
  upstreamStatus: Schema.optionalWith(Integer, { exact: true }),
  limitBytes: Schema.optionalWith(Integer, { exact: true }),
}
export type ProblemExtensions = Schema.Struct.Type<typeof problemExtensions>

export const Problem = Schema.Struct({
  type: Schema.TemplateLiteral("urn:tidemark:problem:", ProblemCode).annotations({
    title: "problem type",
    description: "a URN naming the problem's code",
  }),
  title: Schema.String,
  status: Integer.pipe(Schema.between(400, 599)),
  detail: Schema.String,
  code: ProblemCode,
  ...problemExtensions,
}).annotations({ identifier: "Problem", description: "an RFC 9457 problem" })

export type Problem = typeof Problem.Type

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Assert<T extends true> = T

/**
 * Fails to compile when the history's types and these schemas part ways. A patch is compared
 * without fast-json-patch's private `_get` operation, which it never produces in a diff.
 */
export type SchemasMatchTheCode = [
  Assert<Same<Browse.ResourceSummary, typeof ResourceSummary.Type>>,
  Assert<Same<Browse.VersionSummary, typeof VersionSummary.Type>>,
  Assert<Same<Omit<Browse.VersionDetail, "patch">, Omit<typeof VersionDetail.Type, "patch">>>,
  Assert<
    Same<
      Exclude<Browse.VersionDetail["patch"][number], { readonly op: "_get" }>,
      typeof PatchOperation.Type
    >
  >,
  Assert<Same<Browse.SeriesPoint, typeof SeriesPoint.Type>>,
  Assert<Same<Params.ParamSpec, typeof ParamSpec.Type>>,
]
