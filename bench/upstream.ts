/**
 * The upstream stand-in, run as its own process: `GET /q/:key` answers a JSON quote whose
 * tracked part changes every `changeEvery` requests for that key, with volatile fields
 * (`serial`, `servedAt`) different on every answer, after `latencyMs`. It counts what it
 * served per key, so the distinct values served are known exactly afterwards.
 *
 * Control: `POST /control?latencyMs=&changeEvery=` sets the behaviour;
 * `GET /served?prefix=` lists the requests served per key starting with `prefix`.
 */
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

let latencyMs = 20
let changeEvery = 50
let serial = 0
const served = new Map<string, number>()

/** The tracked part of the quote for one generation of a key: a pure function of both. */
const trackedPart = (key: string, generation: number) => {
  const price = 100 + ((generation * 7919) % 10_000) / 100
  return JSON.stringify({
    key,
    generation,
    quote: {
      currency: "USD",
      price,
      bid: Math.round((price - 0.05) * 100) / 100,
      ask: Math.round((price + 0.05) * 100) / 100,
      volume: 1000 + ((generation * 104_729) % 100_000),
    },
    levels: [1, 2, 3, 4, 5].map((level) => ({
      level,
      size: ((generation + level) * 37) % 500,
      price: Math.round((price + level / 10) * 100) / 100,
    })),
  })
}

const cache = new Map<string, string>()
const bodyStart = (key: string, generation: number) => {
  const id = `${key}\u0000${generation}`
  let text = cache.get(id)
  if (text === undefined) {
    if (cache.size > 50_000) cache.clear()
    // The tracked object without its closing brace, so the volatile fields can follow.
    text = trackedPart(key, generation).slice(0, -1)
    cache.set(id, text)
  }
  return text
}

const answer = (response: ServerResponse, key: string, generation: number) => {
  serial++
  const body = `${bodyStart(key, generation)},"serial":${serial},"servedAt":${Date.now()}}`
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  })
  response.end(body)
}

const sendJson = (response: ServerResponse, status: number, value: unknown) => {
  const body = JSON.stringify(value)
  response.writeHead(status, { "content-type": "application/json" })
  response.end(body)
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://upstream")
  if (url.pathname.startsWith("/q/")) {
    const key = decodeURIComponent(url.pathname.slice(3))
    const count = (served.get(key) ?? 0) + 1
    served.set(key, count)
    const generation = Math.floor((count - 1) / changeEvery)
    setTimeout(answer, latencyMs, response, key, generation)
    return
  }
  if (url.pathname === "/control" && request.method === "POST") {
    latencyMs = Number(url.searchParams.get("latencyMs") ?? latencyMs)
    changeEvery = Number(url.searchParams.get("changeEvery") ?? changeEvery)
    sendJson(response, 200, { latencyMs, changeEvery })
    return
  }
  if (url.pathname === "/served") {
    const prefix = url.searchParams.get("prefix") ?? ""
    const keys: Record<string, number> = {}
    for (const [key, count] of served) if (key.startsWith(prefix)) keys[key] = count
    sendJson(response, 200, { changeEvery, keys })
    return
  }
  sendJson(response, 404, { error: "no such route" })
})
server.keepAliveTimeout = 60_000

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`)
})
process.on("SIGTERM", () => process.exit(0))
