/** The one table from error tag to HTTP status and problem code (RFC 9457 problem+json). */
import { Array as Arr } from "effect"
import type { ApiError } from "../Errors.js"
import type { Problem, ProblemExtensions } from "./schemas.js"

export type { Problem } from "./schemas.js"

type Entry<E> = {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail: (error: E) => string
  readonly extra?: (error: E) => ProblemExtensions
}

type Table = { readonly [Tag in ApiError["_tag"]]: Entry<Extract<ApiError, { _tag: Tag }>> }

const table = {
  SourceNotFound: {
    status: 404,
    code: "not_found",
    title: "Unknown source",
    detail: (e) => `no source is named '${e.source}'`,
  },
  ResourceNotFound: {
    status: 404,
    code: "not_found",
    title: "Unknown resource",
    detail: (e) => `no resource has the id '${e.resourceId}'`,
  },
  VersionNotFound: {
    status: 404,
    code: "not_found",
    title: "Unknown version",
    detail: (e) => `resource '${e.resourceId}' has no version ${e.version}`,
  },
  InvalidRequest: {
    status: 400,
    code: "invalid_request",
    title: "Invalid request",
    detail: (e) => e.detail,
  },
  Unauthorized: {
    status: 401,
    code: "unauthorized",
    title: "Unauthorized",
    detail: () => "this route needs 'Authorization: Bearer <token>' with the configured token",
  },
  UpstreamTimeout: {
    status: 504,
    code: "upstream_timeout",
    title: "Upstream timed out",
    detail: (e) => `source '${e.source}' did not answer within ${e.timeoutMs} ms`,
  },
  UpstreamUnreachable: {
    status: 502,
    code: "upstream_unreachable",
    title: "Upstream unreachable",
    detail: (e) => `source '${e.source}' could not be reached: ${e.reason}`,
  },
  UpstreamStatus: {
    status: 502,
    code: "upstream_status",
    title: "Upstream answered with an error",
    detail: (e) => `source '${e.source}' answered ${e.status}`,
    extra: (e) => ({ upstreamStatus: e.status }),
  },
  UpstreamInvalidJson: {
    status: 502,
    code: "upstream_invalid_json",
    title: "Upstream answer is not JSON",
    detail: (e) => `source '${e.source}' answered with a body that is not JSON`,
  },
  UpstreamTooLarge: {
    status: 502,
    code: "upstream_too_large",
    title: "Upstream answer too large",
    detail: (e) => `source '${e.source}' answered with more than ${e.limitBytes} bytes`,
    extra: (e) => ({ limitBytes: e.limitBytes }),
  },
  UpstreamRedirect: {
    status: 502,
    code: "upstream_redirect",
    title: "Upstream redirected",
    detail: (e) =>
      `source '${e.source}' answered with a redirect (${e.status}), which is not followed`,
    extra: (e) => ({ upstreamStatus: e.status }),
  },
  DatabaseError: {
    status: 503,
    code: "database_unavailable",
    title: "Database unavailable",
    detail: () => "the history database did not answer; try again shortly",
  },
} as const satisfies Table

/** What a defect answers: not an expected error, so not in the table. */
export const internalErrorProblem = {
  status: 500,
  code: "internal_error",
  title: "Internal error",
} as const

export type ProblemCode =
  | (typeof table)[keyof typeof table]["code"]
  | (typeof internalErrorProblem)["code"]

const entries = Arr.append(Object.values(table), internalErrorProblem)

/** Every problem code an answer can carry, each once. */
export const problemCodes = Arr.dedupe(Arr.map(entries, (entry) => entry.code))

/** The problem codes answered with `status`. */
export const problemCodesWithStatus = (status: number): ReadonlyArray<ProblemCode> =>
  Arr.dedupe(entries.filter((entry) => entry.status === status).map((entry) => entry.code))

export const problemType = <const Code extends ProblemCode>(code: Code) =>
  `urn:tidemark:problem:${code}` as const

export const makeProblem = (
  status: number,
  code: ProblemCode,
  title: string,
  detail: string,
  extra: ProblemExtensions = {},
): Problem => ({
  type: problemType(code),
  title,
  status,
  detail,
  code,
  ...extra,
})

const byTag: Table = table

export const problemFor = <E extends ApiError>(error: E): Problem => {
  const entry = byTag[error._tag] as Entry<E>
  const code: ProblemCode = table[error._tag].code
  return makeProblem(entry.status, code, entry.title, entry.detail(error), entry.extra?.(error))
}

export const problemResponse = (problem: Problem, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  })
