/** A real HTTP upstream on 127.0.0.1 whose answers each test programs. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net"

export type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>

export interface UpstreamStandIn {
  readonly url: string
  readonly port: number
  /** Every request received, in order of arrival. */
  readonly requests: Array<{
    readonly method: string
    readonly url: string
    readonly headers: IncomingMessage["headers"]
  }>
  /** Answers requests whose path (without query) is `path`. */
  readonly route: (path: string, handler: Handler) => void
  readonly callsTo: (path: string) => number
  readonly close: () => Promise<void>
}

export const sendJson = (response: ServerResponse, value: unknown, status = 200) => {
  const body = typeof value === "string" ? value : JSON.stringify(value)
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  })
  response.end(body)
}

/** Declares a body over Tidemark's 5 MiB bound and sends one byte of it, then waits. */
export const declareHugeBody: Handler = (_, response) => {
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": String(6 * 1024 * 1024),
  })
  response.on("error", () => undefined)
  response.write("[")
}

/** Streams a JSON array of 6 MiB, over Tidemark's 5 MiB bound, without declaring its length. */
export const streamHugeBody: Handler = (_, response) => {
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  response.writeHead(200, { "content-type": "application/json" })
  response.write("[")
  let sent = 0
  const pump = () => {
    while (sent < 6 * 1024 * 1024) {
      sent += chunk.length
      if (!response.write(chunk)) {
        response.once("drain", pump)
        return
      }
    }
    response.end("]")
  }
  response.on("error", () => undefined)
  pump()
}

/** A 200 whose body is not JSON. */
export const sendText: Handler = (_, response) => {
  response.writeHead(200, { "content-type": "text/plain" })
  response.end("this is not { json")
}

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
export const closedPort = async (): Promise<number> => {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A 302 to `location`. */
export const redirectTo =
  (location: string): Handler =>
  (_, response) => {
    response.writeHead(302, { location })
    response.end()
  }

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const startUpstream = async (): Promise<UpstreamStandIn> => {
  const routes = new Map<string, Handler>()
  const requests: UpstreamStandIn["requests"] = []
  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    requests.push({
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
    })
    const path = (request.url ?? "/").split("?")[0] ?? "/"
    const handler = routes.get(path)
    if (handler === undefined) {
      sendJson(response, { error: "no such route", path }, 404)
      return
    }
    Promise.resolve(handler(request, response)).catch(() => {
      if (!response.headersSent) sendJson(response, { error: "handler failed" }, 500)
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    route: (path, handler) => routes.set(path, handler),
    callsTo: (path) => requests.filter((r) => (r.url.split("?")[0] ?? "") === path).length,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
