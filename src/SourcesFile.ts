/** The sources file: its schema, and the checks that turn it into ready-to-use sources. */
import { Config, Effect, Either, ParseResult, Redacted, Schema } from "effect"
import type { ParamSpec } from "./core/params.js"
import { parseValue, violation } from "./core/params.js"
import { isValidPointer, parsePointer } from "./core/pointer.js"
import type { TrackingRule } from "./core/tracked.js"
import { parseTemplate, type UrlTemplate } from "./core/url.js"

const ParamValueSchema = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)

const ParamSpecSchema = Schema.Struct({
  type: Schema.Literal("string", "number", "integer", "boolean").annotations({
    message: (issue) => ({
      message: `Expected one of "string", "number", "integer", "boolean", actual ${JSON.stringify(issue.actual)}`,
      override: true,
    }),
  }),
  description: Schema.optional(Schema.String),
  pattern: Schema.optional(Schema.String),
  enum: Schema.optional(Schema.Array(ParamValueSchema).pipe(Schema.minItems(1))),
  minimum: Schema.optional(Schema.Number),
  maximum: Schema.optional(Schema.Number),
  default: Schema.optional(ParamValueSchema),
})

const PositiveInt = Schema.Int.pipe(Schema.positive())

const SourceSpecSchema = Schema.Struct({
  description: Schema.optional(Schema.String),
  url: Schema.String,
  params: Schema.optional(Schema.Record({ key: Schema.String, value: ParamSpecSchema })),
  query: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  select: Schema.optional(Schema.String),
  ignore: Schema.optional(Schema.Array(Schema.String)),
  timeoutMs: Schema.optional(PositiveInt.pipe(Schema.lessThanOrEqualTo(600_000))),
  retries: Schema.optional(Schema.Int.pipe(Schema.between(0, 10))),
  coalesce: Schema.optional(Schema.Boolean),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
})

const SourceId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, {
    message: () => "a source id is 1-64 letters, digits, '-' or '_'",
  }),
)

export const SourcesFileSchema = Schema.Struct({
  sources: Schema.Record({ key: SourceId, value: SourceSpecSchema }),
})

export type SourcesDocument = typeof SourcesFileSchema.Encoded

export interface Source {
  readonly id: string
  readonly description: string
  readonly params: Readonly<Record<string, ParamSpec>>
  readonly url: UrlTemplate
  readonly select: string
  readonly ignore: ReadonlyArray<string>
  readonly tracking: TrackingRule
  readonly timeoutMs: number
  readonly retries: number
  readonly coalesce: boolean
  readonly headers: Readonly<Record<string, Redacted.Redacted<string>>>
}

export class SourcesFileError extends Schema.TaggedError<SourcesFileError>()("SourcesFileError", {
  message: Schema.String,
}) {}

const fail = (path: ReadonlyArray<PropertyKey>, message: string) =>
  new SourcesFileError({ message: `${path.map(String).join(".")}: ${message}` })

const formatParseError = (error: ParseResult.ParseError): SourcesFileError => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return first === undefined ? fail(["sources"], error.message) : fail(first.path, first.message)
}

const checkParam = (path: ReadonlyArray<string>, spec: ParamSpec): SourcesFileError | undefined => {
  if (spec.pattern !== undefined) {
    try {
      new RegExp(spec.pattern, "u")
    } catch {
      return fail([...path, "pattern"], "is not a valid regular expression")
    }
  }
  if (spec.minimum !== undefined && spec.maximum !== undefined && spec.minimum > spec.maximum) {
    return fail([...path, "minimum"], "is greater than maximum")
  }
  for (const [index, value] of (spec.enum ?? []).entries()) {
    const parsed = parseValue(spec, String(value))
    if (Array.isArray(parsed) || parsed !== value)
      return fail([...path, "enum", String(index)], `is not a ${spec.type}`)
  }
  if (spec.default !== undefined) {
    const parsed = parseValue(spec, String(spec.default))
    if (Array.isArray(parsed) || parsed !== spec.default)
      return fail([...path, "default"], `is not a ${spec.type}`)
    const problem = violation(spec, spec.default)
    if (problem !== undefined) return fail([...path, "default"], problem)
  }
  return undefined
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g

const resolveHeader = (path: ReadonlyArray<string>, template: string) =>
  Effect.forEach([...template.matchAll(ENV_REF)], (match) => {
    const name = match[1] ?? ""
    return Config.redacted(name).pipe(
      Effect.map((value) => [match[0], Redacted.value(value)] as const),
      Effect.mapError(() => fail(path, `environment variable ${name} is not set`)),
    )
  }).pipe(
    Effect.map((pairs) =>
      Redacted.make(
        pairs.reduce((text, [reference, value]) => text.replace(reference, () => value), template),
      ),
    ),
  )

const buildSource = (id: string, spec: typeof SourceSpecSchema.Type) =>
  Effect.gen(function* () {
    const path = ["sources", id]
    const params = spec.params ?? {}
    for (const [name, param] of Object.entries(params)) {
      const problem = checkParam([...path, "params", name], param)
      if (problem !== undefined) return yield* problem
    }
    const template = parseTemplate(spec.url, Object.keys(params), spec.query ?? {})
    if (!template.ok) return yield* fail([...path, "url"], template.reason)
    const select = spec.select ?? ""
    if (!isValidPointer(select)) return yield* fail([...path, "select"], "is not a JSON Pointer")
    const ignore = spec.ignore ?? []
    for (const [index, pointer] of ignore.entries()) {
      if (!isValidPointer(pointer))
        return yield* fail([...path, "ignore", String(index)], "is not a JSON Pointer")
    }
    const headers: Record<string, Redacted.Redacted<string>> = {}
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      headers[name] = yield* resolveHeader([...path, "headers", name], value)
    }
    const source: Source = {
      id,
      description: spec.description ?? "",
      params,
      url: template.template,
      select,
      ignore,
      tracking: { select: parsePointer(select), ignore: ignore.map(parsePointer) },
      timeoutMs: spec.timeoutMs ?? 5000,
      retries: spec.retries ?? 1,
      coalesce: spec.coalesce ?? true,
      headers,
    }
    return source
  })

/** Decodes and checks a parsed sources document; the error names the JSON path at fault. */
export const decodeSources = (document: unknown) =>
  Effect.gen(function* () {
    const decoded = Schema.decodeUnknownEither(SourcesFileSchema, {
      onExcessProperty: "error",
      errors: "first",
    })(document)
    if (Either.isLeft(decoded)) return yield* formatParseError(decoded.left)
    const sources: Array<Source> = []
    for (const [id, spec] of Object.entries(decoded.right.sources)) {
      sources.push(yield* buildSource(id, spec))
    }
    return sources
  })

/** Parses the sources file's text; `origin` names it in the error. */
export const parseSourcesText = (text: string, origin: string) =>
  Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) =>
      new SourcesFileError({
        message: `${origin}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      }),
  }).pipe(Effect.flatMap(decodeSources))
