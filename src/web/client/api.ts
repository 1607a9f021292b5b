/** Calls to Tidemark's API: the bearer token, JSON reads, and problems (RFC 9457) as errors. */

export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: string
  readonly upstreamStatus?: number | undefined
}

export class ProblemError extends Error {
  readonly problem: Problem
  constructor(problem: Problem) {
    super(`${problem.title}: ${problem.detail}`)
    this.problem = problem
  }
}

const TOKEN_KEY = "tidemark.apiToken"
/** Where the token lives when session storage is switched off. */
let memoryToken = ""

export const readToken = (): string => {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? ""
  } catch {
    return ""
  }
}

export const saveToken = (token: string) => {
  try {
    if (token === "") sessionStorage.removeItem(TOKEN_KEY)
    else sessionStorage.setItem(TOKEN_KEY, token)
  } catch {
    // Storage can be switched off; the token then lasts until the page is reloaded.
  }
  memoryToken = token
}

export const authHeaders = (): Record<string, string> => {
  const token = readToken() || memoryToken
  return token === "" ? {} : { authorization: `Bearer ${token}` }
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value : undefined

/** The problem an error answer describes; never blank, whatever the body holds. */
export const problemOf = async (response: Response): Promise<Problem> => {
  const body = await response.text().catch(() => "")
  let parsed: Record<string, unknown> | undefined
  try {
    parsed = asRecord(JSON.parse(body))
  } catch {
    parsed = undefined
  }
  const statusText = `${response.status}${response.statusText === "" ? "" : ` ${response.statusText}`}`
  const upstreamStatus = parsed?.upstreamStatus
  return {
    type: text(parsed?.type) ?? "about:blank",
    title: text(parsed?.title) ?? `The server answered ${statusText}`,
    status: response.status,
    detail:
      text(parsed?.detail) ??
      (parsed === undefined && body.trim() !== "" ? body.slice(0, 500) : "No detail was given."),
    code: text(parsed?.code) ?? `http_${response.status}`,
    upstreamStatus: typeof upstreamStatus === "number" ? upstreamStatus : undefined,
  }
}

export const isAbort = (error: unknown) =>
  error instanceof DOMException && error.name === "AbortError"

/** A GET to the API with the token; a failed answer or network error becomes a ProblemError. */
export const request = async (
  path: string,
  signal?: AbortSignal | undefined,
  accept = "application/json",
): Promise<Response> => {
  let response: Response
  try {
    response = await fetch(path, {
      headers: { accept, ...authHeaders() },
      ...(signal === undefined ? {} : { signal }),
    })
  } catch (error) {
    if (isAbort(error)) throw error
    throw new ProblemError({
      type: "about:blank",
      title: "Tidemark could not be reached",
      status: 0,
      detail: error instanceof Error ? error.message : String(error),
      code: "network_error",
    })
  }
  if (!response.ok) throw new ProblemError(await problemOf(response))
  return response
}

export const getJson = async <A>(path: string, signal?: AbortSignal): Promise<A> =>
  (await (await request(path, signal)).json()) as A

/** Turns anything thrown into a problem to show. */
export const toProblem = (error: unknown): Problem =>
  error instanceof ProblemError
    ? error.problem
    : {
        type: "about:blank",
        title: "Something went wrong in the page",
        status: 0,
        detail: error instanceof Error ? error.message : String(error),
        code: "client_error",
      }
