/**
 * Hono on @hono/node-server forwarding with node:http and a keep-alive agent, no
 * database: the fixed stack's own floor, what any service built on it pays per request.
 */
import { serve } from "@hono/node-server"
import { Hono } from "hono"
import { nodeClient } from "./node-client.js"
import { listening, targetSettings } from "./settings.js"

const { port, upstreamUrl } = targetSettings()
const fetchQuote = nodeClient(upstreamUrl)
const app = new Hono()

const forward = (key: string) =>
  new Promise<Response>((resolve) =>
    fetchQuote(key, (fetched) =>
      resolve(
        fetched === undefined
          ? new Response(null, { status: 502 })
          : new Response(fetched.body, {
              status: fetched.status,
              headers: { "content-type": fetched.contentType },
            }),
      ),
    ),
  )

app.get("/healthz", (c) => c.json({ status: "ok" }))
app.get("/v1/live/:source", (c) => forward(c.req.query("key") ?? ""))

serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, listening)
