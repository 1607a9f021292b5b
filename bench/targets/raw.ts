/**
 * The raw proxy: a plain node:http server and node:http client with a keep-alive agent,
 * no framework, no database: the ceiling for a proxy in Node on this machine.
 */
import { Agent, createServer, get } from "node:http"
import type { AddressInfo } from "node:net"
import { listening, targetSettings } from "./settings.js"

const { port, upstreamUrl } = targetSettings()
const upstream = new URL(upstreamUrl)
const agent = new Agent({ keepAlive: true })

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://target")
  if (url.pathname === "/healthz") {
    response.writeHead(200, { "content-type": "application/json" })
    response.end('{"status":"ok"}')
    return
  }
  const key = url.searchParams.get("key") ?? ""
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
      answer.on("end", () => {
        const body = Buffer.concat(chunks)
        response.writeHead(answer.statusCode ?? 502, {
          "content-type": answer.headers["content-type"] ?? "application/json",
          "content-length": body.length,
        })
        response.end(body)
      })
    },
  ).on("error", () => {
    response.writeHead(502)
    response.end()
  })
})
server.keepAliveTimeout = 60_000
server.listen(port, "127.0.0.1", () => listening(server.address() as AddressInfo))
