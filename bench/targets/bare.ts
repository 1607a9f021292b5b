/**
 * The bare proxy: Hono on @hono/node-server forwarding each request to the upstream with
 * `fetch`, no database. The same route shape as Tidemark's live route.
 */
import { serve } from "@hono/node-server"
import { Hono } from "hono"
import { listening, targetSettings } from "./settings.js"

const { port, upstreamUrl } = targetSettings()
const app = new Hono()

app.get("/healthz", (c) => c.json({ status: "ok" }))
app.get("/v1/live/:source", async (c) => {
  const key = c.req.query("key") ?? ""
  const upstream = await fetch(`${upstreamUrl}/q/${encodeURIComponent(key)}`)
  const body = await upstream.arrayBuffer()
  return new Response(body, {
    status: upstream.status,
    headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
  })
})

serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, listening)
