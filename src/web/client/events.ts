/**
 * Server-sent events read with fetch, so the bearer token can be sent (EventSource cannot
 * send headers). `watchResource` reconnects after drops until it is stopped.
 */
import { isAbort, type Problem, ProblemError, request } from "./api.js"
import type { VersionEvent } from "./types.js"

export interface SseMessage {
  readonly event: string
  readonly data: string
}

/** Parses an event stream (WHATWG HTML §9.2) and calls `onMessage` per dispatched event. */
export const readEventStream = async (
  body: ReadableStream<Uint8Array>,
  onMessage: (message: SseMessage) => void,
): Promise<void> => {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  let event = ""
  let data: Array<string> = []
  const line = (text: string) => {
    if (text === "") {
      if (data.length > 0)
        onMessage({ event: event === "" ? "message" : event, data: data.join("\n") })
      event = ""
      data = []
      return
    }
    if (text.startsWith(":")) return
    const colon = text.indexOf(":")
    const field = colon === -1 ? text : text.slice(0, colon)
    const value = colon === -1 ? "" : text.slice(colon + 1).replace(/^ /, "")
    if (field === "event") event = value
    else if (field === "data") data.push(value)
  }
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true })
    for (;;) {
      const end = /\r\n|\r|\n/.exec(buffer)
      // A lone CR at the end may be the first half of a CRLF still on its way.
      if (end === null || (end[0] === "\r" && end.index === buffer.length - 1)) break
      line(buffer.slice(0, end.index))
      buffer = buffer.slice(end.index + end[0].length)
    }
  }
}

export interface ResourceWatch {
  readonly onReady: (latestVersion: number) => void
  readonly onVersion: (event: VersionEvent) => void
  readonly onState: (state: "connecting" | "open" | "retrying", problem?: Problem) => void
  /** An answer that retrying will not fix (401, 404, 400): watching stops. */
  readonly onFatal: (problem: Problem) => void
}

const asVersionEvent = (data: Record<string, unknown>): VersionEvent | undefined =>
  typeof data.resourceId === "string" &&
  typeof data.version === "number" &&
  typeof data.hash === "string" &&
  typeof data.observedAt === "string"
    ? {
        resourceId: data.resourceId,
        version: data.version,
        hash: data.hash,
        observedAt: data.observedAt,
        changes: typeof data.changes === "number" ? data.changes : 0,
      }
    : undefined

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 15_000] as const

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener("abort", () => {
      clearTimeout(timer)
      resolve()
    })
  })

/** Opens the resource's event stream; returns the function that closes it for good. */
export const watchResource = (id: string, watch: ResourceWatch): (() => void) => {
  const stopped = new AbortController()
  const run = async () => {
    for (let attempt = 0; !stopped.signal.aborted; attempt++) {
      watch.onState("connecting")
      let problem: Problem | undefined
      try {
        const response = await request(
          `/v1/resources/${encodeURIComponent(id)}/events`,
          stopped.signal,
          "text/event-stream",
        )
        if (response.body === null) throw new Error("the event stream has no body")
        await readEventStream(response.body, (message) => {
          const data = JSON.parse(message.data) as Record<string, unknown>
          if (message.event === "ready") {
            attempt = 0
            watch.onState("open")
            watch.onReady(typeof data.version === "number" ? data.version : 0)
          } else if (message.event === "version") {
            const event = asVersionEvent(data)
            if (event !== undefined) watch.onVersion(event)
          }
        })
      } catch (error) {
        if (isAbort(error) || stopped.signal.aborted) return
        if (error instanceof ProblemError) {
          problem = error.problem
          if (problem.status >= 400 && problem.status < 500) {
            watch.onFatal(problem)
            return
          }
        }
      }
      if (stopped.signal.aborted) return
      watch.onState("retrying", problem)
      await wait(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)] ?? 15_000, stopped.signal)
    }
  }
  void run()
  return () => stopped.abort()
}
