/**
 * Hono on @hono/node-server forwarding with node:http and a keep-alive agent, no
 * database: the fixed stack's own floor, what any service built on it pays per request.
 */
import { Agent, get } from "node:http"
import { serve } from "@hono/node-server"
import { Hono } from "hono"
import { listening, targetSettings } from "./settings.js"

const { port, upstreamUrl } = targetSettings()
const upstream = new URL(upstreamUrl)
const agent = new Agent({ keepAlive: true })
const app = new Hono()

const forward = (key: string) =>
  new Promise<Response>((resolve) => {
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
          resolve(
            new Response(Buffer.concat(chunks), {
              status: answer.statusCode ?? 502,
              headers: { "content-type": answer.headers["content-type"] ?? "application/json" },
            }),
          ),
        )
      },
    ).on("error", () => resolve(new Response(null, { status: 502 })))
  })

app.get("/healthz", (c) => c.json({ status: "ok" }))
app.get("/v1/live/:source", (c) => forward(c.req.query("key") ?? ""))

serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, listening)
