/** Route inputs decoded and documented from one schema, and the pieces of the OpenAPI document. */
import { JSONSchema, Predicate, Schema, Struct } from "effect"
import { type DescribeRouteOptions, resolver, validator } from "hono-openapi"
import { InvalidRequest } from "../Errors.js"
import { problemCodesWithStatus, problemFor, problemResponse } from "./problem.js"
import { Problem } from "./schemas.js"

/** Unknown query params are refused, not ignored: a typo must not silently change an answer. */
const DECODE = { onExcessProperty: "error", errors: "first" } as const

const LABELS = { param: "path", query: "query" } as const

type PathSegment = PropertyKey | { readonly key: PropertyKey }

type Issue = {
  readonly message: string
  readonly path?: ReadonlyArray<PathSegment> | undefined
}

/** Names the field at fault and the reason, as the live route does for its params. */
const invalidInput = (what: string, issues: ReadonlyArray<Issue>, given: unknown) => {
  const [issue] = issues
  const path = (issue?.path ?? []).map((segment) =>
    String(typeof segment === "object" ? segment.key : segment),
  )
  const [name] = path
  const repeated =
    path.length === 1 &&
    name !== undefined &&
    Predicate.hasProperty(given, name) &&
    Array.isArray(given[name])
  const where = path.length === 0 ? what : `${what} '${path.join(".")}'`
  const reason = repeated ? "is given more than once" : (issue?.message ?? "is invalid")
  return problemResponse(problemFor(new InvalidRequest({ detail: `${where}: ${reason}` })))
}

/** A validator that decodes a route's path or query with `schema` and documents it from the same. */
export const input = <Target extends keyof typeof LABELS, A, I>(
  target: Target,
  schema: Schema.Schema<A, I>,
) =>
  validator(target, Schema.standardSchemaV1(schema, DECODE), (result) =>
    result.success ? undefined : invalidInput(LABELS[target], result.error, result.data),
  )

type Parameter = Exclude<NonNullable<DescribeRouteOptions["parameters"]>[number], { $ref: string }>
type SchemaObject = NonNullable<Parameter["schema"]>

/** A schema object for places that take one directly (headers, hand-made parameters). */
export const jsonSchemaOf = <A, I>(schema: Schema.Schema<A, I>): SchemaObject =>
  Struct.omit(JSONSchema.make(schema), "$schema")

export const content = <A, I>(mediaType: string, schema: Schema.Schema<A, I>) => ({
  [mediaType]: { schema: resolver(Schema.standardSchemaV1(schema)) },
})

export const jsonResponse = <A, I>(description: string, schema: Schema.Schema<A, I>) => ({
  description,
  content: content("application/json", schema),
})

const problemContent = content("application/problem+json", Problem)

/** A problem+json response, naming the codes it can carry. */
const problem = (status: number) => ({
  description: `a problem: ${problemCodesWithStatus(status)
    .map((code) => `\`${code}\``)
    .join(", ")}`,
  content: problemContent,
})

export const problems = (...statuses: ReadonlyArray<number>) =>
  Object.fromEntries(statuses.map((status) => [String(status), problem(status)]))

const BEARER = "bearer"

const TAGS = [
  { name: "live", description: "the upstream's answer, now" },
  { name: "history", description: "the recorded versions of each resource" },
  { name: "sources", description: "what can be asked for" },
  { name: "service", description: "health, readiness, metrics and this document" },
]

/** The 401 of a route behind a bearer token, with the challenge it sends. */
export const unauthorized = {
  401: {
    ...problem(401),
    headers: { "WWW-Authenticate": { required: true, schema: { type: "string" as const } } },
  },
}

/**
 * Who may call what. With the API token set, the document requires the bearer token everywhere
 * and the open routes say they are open; otherwise only a guarded /metrics requires it.
 * (Per-route requirements are not merged into /v1's routes: hono-openapi would repeat them.)
 */
export const access = (apiTokenSet: boolean) => ({
  open: apiTokenSet ? { security: [] } : {},
  guarded: apiTokenSet ? {} : { security: [{ [BEARER]: [] }] },
})

export const documentation = (
  version: string,
  { schemes, everywhere }: { readonly schemes: boolean; readonly everywhere: boolean },
) => ({
  openapi: "3.1.0",
  info: {
    title: "Tidemark",
    version,
    description:
      "Live answers from third-party JSON APIs at upstream latency, with a versioned, diffable history of how each answer changed.",
  },
  tags: TAGS,
  ...(everywhere ? { security: [{ [BEARER]: [] }] } : {}),
  ...(schemes
    ? {
        components: {
          securitySchemes: {
            [BEARER]: {
              type: "http" as const,
              scheme: "bearer",
              description:
                "`Authorization: Bearer <TIDEMARK_API_TOKEN>`; `/metrics` takes `TIDEMARK_METRICS_TOKEN` instead when that is set",
            },
          },
        },
      }
    : {}),
})
