import { Cause, type Context, type Effect, Exit, Option, Runtime, type Tracer } from "effect"
import type { ApiError } from "../Errors.js"
import { underSpan } from "../telemetry/span.js"
import { internalErrorProblem, makeProblem, problemFor, problemResponse } from "./problem.js"

export interface RunOptions {
  /** Interrupts the effect when it aborts (the client went away). */
  readonly signal?: AbortSignal | undefined
  /** The request's span: the effect's spans are its children, its log lines carry its trace id. */
  readonly span?: Tracer.Span | undefined
}

/** Runs an effect of the application's services to completion: the HTTP edge's way in. */
export interface Runner<R> {
  <A, E>(effect: Effect.Effect<A, E, R>, options?: RunOptions): Promise<Exit.Exit<A, E>>
  /** The services themselves, for the one path that calls a service outside any fiber. */
  readonly context: Context.Context<R>
}

/**
 * A runner bound to one request; `signal` replaces the request's own abort signal, and
 * `null` runs the effect to its end even if the client leaves (making the request's signal
 * costs more than some routes' whole work).
 */
export type RequestRunner<R> = <A, E>(
  effect: Effect.Effect<A, E, R>,
  signal?: AbortSignal | null,
) => Promise<Exit.Exit<A, E>>

export const makeRunner = <R>(runtime: Runtime.Runtime<R>): Runner<R> =>
  Object.assign(
    <A, E>(effect: Effect.Effect<A, E, R>, options: RunOptions = {}) =>
      Runtime.runPromiseExit(runtime)(
        underSpan(effect, options.span),
        options.signal === undefined ? undefined : { signal: options.signal },
      ),
    { context: runtime.context },
  )

/** The problem for a failure no route expected (a defect). */
export const unexpectedProblem = () => {
  const { status, code, title } = internalErrorProblem
  return makeProblem(status, code, title, "the request failed unexpectedly")
}

export const internalError = () => problemResponse(unexpectedProblem())

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
