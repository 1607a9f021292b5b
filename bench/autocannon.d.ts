/** The part of autocannon's programmatic API that the load generator uses (it ships no types). */
declare module "autocannon" {
  import type { EventEmitter } from "node:events"

  interface RequestData {
    method?: string
    path?: string
    headers?: Record<string, string>
  }

  interface RequestSpec extends RequestData {
    setupRequest?: (request: RequestData, context: Record<string, unknown>) => RequestData
  }

  interface Options {
    url: string
    connections?: number
    duration?: number
    maxOverallRequests?: number
    /** Requests a second across all connections, at most. */
    overallRate?: number
    timeout?: number
    pipelining?: number
    requests?: ReadonlyArray<RequestSpec>
  }

  interface Result {
    readonly errors: number
    readonly timeouts: number
    readonly non2xx: number
    readonly resets: number
    readonly duration: number
    readonly "2xx": number
  }

  interface Instance extends EventEmitter {
    on(
      event: "response",
      listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void,
    ): this
    on(event: "done", listener: (result: Result) => void): this
    stop(): void
  }

  function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): Instance

  export default autocannon
}
