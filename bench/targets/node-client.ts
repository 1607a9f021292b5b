/**
 * The upstream call of the targets built on node:http's client: one GET with a keep-alive
 * agent, the body gathered in plain callbacks. The raw proxy and hono-node share it, so
 * they differ only in what serves the request.
 */
import { Agent, get } from "node:http"

export interface Fetched {
  readonly status: number
  readonly contentType: string
  readonly body: Buffer
}

export const nodeClient = (upstreamUrl: string) => {
  const upstream = new URL(upstreamUrl)
  const agent = new Agent({ keepAlive: true })
  /** Fetches the quote for `key`; `done` gets undefined when the upstream cannot be reached. */
  return (key: string, done: (fetched: Fetched | undefined) => void) => {
    get(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: `/q/${encodeURIComponent(key)}`,
        agent,
      },
      (answer) => {
        const chunks: Array<Buffer> = []
        answer.on("data", (chunk: Buffer) => chunks.push(chunk))
        answer.on("end", () =>
          done({
            status: answer.statusCode ?? 502,
            contentType: answer.headers["content-type"] ?? "application/json",
            body: Buffer.concat(chunks),
          }),
        )
      },
    ).on("error", () => done(undefined))
  }
}
