/**
 * The naive implementation, as usually written: Hono + fetch + a pg pool; await the
 * upstream, then await the latest recorded version, compare, await the insert, then answer.
 * It tracks content exactly as Tidemark does (same select/ignore, same canonical hash).
 */
import { serve } from "@hono/node-server"
import { Hono } from "hono"
import pg from "pg"
import { canonicalJson } from "../../src/core/canonical.js"
import { parsePointer } from "../../src/core/pointer.js"
import { track } from "../../src/core/tracked.js"
import { listening, targetSettings } from "./settings.js"

const { port, upstreamUrl, databaseUrl } = targetSettings()
if (databaseUrl === undefined) throw new Error("DATABASE_URL is required")
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
pool.on("error", () => undefined)
await pool.query(`create table if not exists naive_versions (
  key text not null, version integer not null, hash text not null, tracked text not null,
  body text not null, observed_at timestamptz not null, recorded_at timestamptz not null default now())`)
await pool.query("create index if not exists naive_versions_key on naive_versions (key, version)")

const rule = { select: parsePointer(""), ignore: ["/serial", "/servedAt"].map(parsePointer) }
const app = new Hono()

app.get("/healthz", (c) => c.json({ status: "ok" }))
app.get("/v1/live/:source", async (c) => {
  const key = c.req.query("key") ?? ""
  const observedAt = new Date()
  const upstream = await fetch(`${upstreamUrl}/q/${encodeURIComponent(key)}`)
  const text = await upstream.text()
  const tracked = track(JSON.parse(text), rule)
  const latest = await pool.query<{ version: number; hash: string }>(
    "select version, hash from naive_versions where key = $1 order by version desc limit 1",
    [key],
  )
  const previous = latest.rows[0]
  if (previous?.hash !== tracked.hash) {
    await pool.query(
      `insert into naive_versions (key, version, hash, tracked, body, observed_at)
       values ($1, $2, $3, $4, $5, $6)`,
      [
        key,
        (previous?.version ?? 0) + 1,
        tracked.hash,
        canonicalJson(tracked.content),
        text,
        observedAt,
      ],
    )
  }
  return new Response(text, {
    status: upstream.status,
    headers: { "content-type": "application/json", etag: `"${tracked.hash}"` },
  })
})

serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, listening)
