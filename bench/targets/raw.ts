/**
 * The raw proxy: a plain node:http server and node:http client with a keep-alive agent,
 * no framework, no database: the ceiling for a proxy in Node on this machine.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { nodeClient } from "./node-client.js"
import { listening, targetSettings } from "./settings.js"

const { port, upstreamUrl } = targetSettings()
const fetchQuote = nodeClient(upstreamUrl)

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://target")
  if (url.pathname === "/healthz") {
    response.writeHead(200, { "content-type": "application/json" })
    response.end('{"status":"ok"}')
    return
  }
  fetchQuote(url.searchParams.get("key") ?? "", (fetched) => {
    if (fetched === undefined) {
      response.writeHead(502)
      response.end()
      return
    }
    response.writeHead(fetched.status, {
      "content-type": fetched.contentType,
      "content-length": fetched.body.length,
    })
    response.end(fetched.body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(port, "127.0.0.1", () => listening(server.address() as AddressInfo))
