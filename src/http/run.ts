import { Cause, type Effect, Exit, Option } from "effect"
import type { ApiError } from "../Errors.js"
import { makeProblem, problemFor, problemResponse } from "./problem.js"

/** Runs an effect of the application's services to completion; the HTTP edge's only way in. */
export type Runner<R> = <A, E>(
  effect: Effect.Effect<A, E, R>,
  signal?: AbortSignal,
) => Promise<Exit.Exit<A, E>>

export const internalError = () =>
  problemResponse(
    makeProblem(500, "internal_error", "Internal error", "the request failed unexpectedly"),
  )

/** Turns an exit into a response: success through `onSuccess`, expected errors through the problem table. */
export const respond = <A, E extends ApiError>(
  exit: Exit.Exit<A, E>,
  onSuccess: (value: A) => Response,
  onFailure?: (error: E) => void,
): Response => {
  if (Exit.isSuccess(exit)) return onSuccess(exit.value)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    onFailure?.(failure.value)
    const problem = problemFor(failure.value)
    return problemResponse(
      problem,
      failure.value._tag === "Unauthorized" ? { "www-authenticate": "Bearer" } : {},
    )
  }
  return internalError()
}
