/**
 * `npm run demo`: Tidemark in front of a simulated market, with no internet needed.
 *
 * Starts the simulated market on 127.0.0.1, writes a sources file for it, starts Tidemark
 * as a child process, prints ready-to-copy curl commands, then asks Tidemark for every
 * resource every two seconds and prints a line each time a new version is recorded.
 *
 * Options: `--port <n>` (default $PORT or 3000), `--duration <seconds>` (default
 * $DEMO_DURATION_S, else until Ctrl+C). History goes to $DATABASE_URL when set, else to
 * embedded PGlite in $TIDEMARK_DATA_DIR (default ./data/demo, apart from ./data).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { isAbsolute, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { type Market, QUOTES, startMarket } from "./demo-market.js"

const POLL_INTERVAL_MS = 2000
const STARTUP_TIMEOUT_MS = 90_000
const REQUEST_TIMEOUT_MS = 5000
const CHILD_EXIT_TIMEOUT_MS = 15_000

const root = fileURLToPath(new URL("..", import.meta.url))

// ---------------------------------------------------------------------------------------------
// Options

const usage = `Usage: npm run demo -- [--port <n>] [--duration <seconds>]

  --port <n>            Tidemark's port (default: $PORT, else 3000)
  --duration <seconds>  stop by itself after this long (default: $DEMO_DURATION_S, else Ctrl+C)

History is kept in $DATABASE_URL when set, else in embedded PGlite at $TIDEMARK_DATA_DIR
(default ./data/demo). LOG_LEVEL (default warn here) and LOG_FORMAT are passed to Tidemark.`

const usageError = (message: string): never => {
  console.error(`demo: ${message}\n\n${usage}`)
  process.exit(2)
}

const parsed = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: "string" },
        duration: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error))
  }
})()
if (parsed.help === true) {
  console.log(usage)
  process.exit(0)
}

const port = (() => {
  const text = parsed.port ?? process.env.PORT ?? "3000"
  const value = Number(text)
  if (!/^[0-9]+$/.test(text) || value < 1 || value > 65535) {
    return usageError(`the port must be an integer from 1 to 65535, not '${text}'`)
  }
  return value
})()

const durationMs = (() => {
  const text = parsed.duration ?? process.env.DEMO_DURATION_S
  if (text === undefined || text === "") return undefined
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) {
    return usageError(`the duration must be a positive number of seconds, not '${text}'`)
  }
  return value * 1000
})()

const apiToken = process.env.TIDEMARK_API_TOKEN
const databaseUrl = process.env.DATABASE_URL
const dataDir =
  databaseUrl === undefined || databaseUrl === ""
    ? resolve(process.cwd(), process.env.TIDEMARK_DATA_DIR ?? join(root, "data", "demo"))
    : undefined

const base = `http://127.0.0.1:${port}`

// ---------------------------------------------------------------------------------------------
// Small helpers

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }
type JsonObject = { readonly [k: string]: Json }

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const stop = new AbortController()

const sleep = (ms: number) =>
  new Promise<void>((done) => {
    if (stop.signal.aborted) return done()
    const timer = setTimeout(finish, ms)
    function finish() {
      clearTimeout(timer)
      stop.signal.removeEventListener("abort", finish)
      done()
    }
    stop.signal.addEventListener("abort", finish, { once: true })
  })

const request = (path: string) =>
  fetch(`${base}${path}`, {
    headers: apiToken === undefined ? {} : { authorization: `Bearer ${apiToken}` },
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  })

const getJson = async (path: string): Promise<Json> => {
  const response = await request(path)
  if (!response.ok) throw new Error(`${path} answered ${response.status}`)
  return (await response.json()) as Json
}

const displayPath = (path: string) => {
  const inside = relative(root, path)
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path
}

const formatNumber = (value: number, decimals: number) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  })

const decimalsOf = (symbol: string) => QUOTES.find((q) => q.symbol === symbol)?.decimals ?? 2

// ---------------------------------------------------------------------------------------------
// The demo's resources

interface Watched {
  readonly label: string
  readonly source: string
  readonly livePath: string
  id: string | undefined
  version: number
  lastValue: number | undefined
  failure: string | undefined
}

const watched: Array<Watched> = [
  ...QUOTES.map((q) => ({
    label: `quote ${q.symbol}`,
    source: "quote",
    livePath: `/v1/live/quote?symbol=${q.symbol}`,
  })),
  { label: "rates EUR", source: "rates", livePath: "/v1/live/rates?base=EUR" },
].map((w) => ({ ...w, id: undefined, version: 0, lastValue: undefined, failure: undefined }))

const stats = { answers: 0, versions: 0 }

/** What a version holds, in a few words: the price, or the rates table. */
const describeVersion = (resource: Watched, body: Json): string => {
  if (!isObject(body)) return "no body"
  const price = body.price
  if (typeof price === "number" && typeof body.symbol === "string") {
    const previous = resource.lastValue
    resource.lastValue = price
    const change =
      previous === undefined || previous === 0
        ? ""
        : `, ${price >= previous ? "+" : ""}${(((price - previous) / previous) * 100).toFixed(2)}%`
    return `price ${formatNumber(price, decimalsOf(body.symbol))}${change}`
  }
  const data = body.data
  if (isObject(data) && isObject(data.rates)) {
    return Object.entries(data.rates)
      .map(([currency, rate]) => `${currency} ${String(rate)}`)
      .join(", ")
  }
  return "new content"
}

/** One live request: the answer comes straight from the upstream; recording happens behind it. */
const observe = async (resource: Watched) => {
  try {
    const response = await request(resource.livePath)
    await response.arrayBuffer()
    if (response.ok) {
      stats.answers += 1
      resource.id = response.headers.get("tidemark-resource") ?? resource.id
      if (resource.failure !== undefined) console.log(`${resource.label}: answering again`)
      resource.failure = undefined
    } else if (resource.failure !== String(response.status)) {
      resource.failure = String(response.status)
      console.log(`${resource.label}: live answer ${response.status}`)
    }
  } catch (error) {
    if (stop.signal.aborted) return
    const message = error instanceof Error ? error.message : String(error)
    if (resource.failure !== message)
      console.log(`${resource.label}: live request failed (${message})`)
    resource.failure = message
  }
}

/** The tracked resources' latest version numbers, by id, from `GET /v1/resources`. */
const latestVersions = async (): Promise<Map<string, number>> => {
  const latest = new Map<string, number>()
  for (const source of new Set(watched.map((w) => w.source))) {
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`
      const page = await getJson(`/v1/resources?source=${source}&limit=500${query}`)
      if (!isObject(page) || !Array.isArray(page.items)) throw new Error("unexpected resource list")
      for (const item of page.items as ReadonlyArray<Json>) {
        if (isObject(item) && typeof item.id === "string" && typeof item.latestVersion === "number")
          latest.set(item.id, item.latestVersion)
      }
      cursor = typeof page.nextCursor === "string" ? page.nextCursor : null
    } while (cursor !== null)
  }
  return latest
}

/** Prints one line per resource whose latest version moved since the last look. */
const reportNewVersions = async () => {
  const latest = await latestVersions()
  for (const resource of watched) {
    if (resource.id === undefined) continue
    const version = latest.get(resource.id) ?? 0
    if (version <= resource.version) continue
    resource.version = version
    stats.versions += 1
    const detail = await getJson(`/v1/resources/${resource.id}/versions/${version}`)
    const body = isObject(detail) ? (detail.body ?? null) : null
    console.log(`${resource.label} → version ${version} (${describeVersion(resource, body)})`)
  }
}

/** Every couple of seconds: ask for each resource live, then look for new versions. */
const poll = async (alreadyAsked: boolean) => {
  let ask = !alreadyAsked
  while (!stop.signal.aborted) {
    const started = Date.now()
    if (ask) await Promise.all(watched.map(observe))
    ask = true
    // Recording happens in the background, after the answer: give it a moment.
    await sleep(400)
    if (stop.signal.aborted) return
    try {
      await reportNewVersions()
    } catch (error) {
      if (stop.signal.aborted) return
      console.log(`could not read the history (${error instanceof Error ? error.message : error})`)
    }
    await sleep(POLL_INTERVAL_MS - (Date.now() - started))
  }
}

// ---------------------------------------------------------------------------------------------
// The guide

const printGuide = (market: Market, existing: Map<string, number>) => {
  const auth = apiToken === undefined ? "" : ` -H "Authorization: Bearer $TIDEMARK_API_TOKEN"`
  const btc = watched[0]
  const id = btc?.id ?? "<resource id>"
  const history =
    dataDir === undefined
      ? databaseUrl?.startsWith("memory:")
        ? "in memory, gone when the demo stops"
        : "in PostgreSQL at DATABASE_URL"
      : `in ${displayPath(dataDir)}, embedded PGlite`
  const known = [...existing.values()]
  const sofar =
    known.length === 0
      ? ""
      : `\n  It already holds ${known.length} of these resources, ${known.reduce((a, b) => a + b, 0)} versions in all.`
  console.log(`
Tidemark demo
  simulated market  ${market.url}  (quotes ${QUOTES.map((q) => q.symbol).join(", ")}; rates)
  Tidemark          ${base}  (history ${history})${sofar}

Open ${base}/ in a browser, or try:

  # a live answer, straight from the upstream (ETag, Tidemark-Resource headers)
  curl -i${auth} '${base}/v1/live/quote?symbol=BTC-USD'
  curl${auth} '${base}/v1/live/rates?base=EUR'

  # the tracked resources, with their latest version numbers
  curl${auth} '${base}/v1/resources'

  # the versions of BTC-USD, newest first; one version with its full upstream body
  curl${auth} '${base}/v1/resources/${id}/versions'
  curl${auth} '${base}/v1/resources/${id}/versions/1'

  # what changed between two versions, as a JSON Patch
  curl${auth} '${base}/v1/resources/${id}/diff?from=1&to=2'

The market moves every few seconds. generated_at and request_id change on every answer but
are ignored, so an unchanged price writes nothing. Tidemark's own warnings and errors show
here (LOG_LEVEL=info shows every request). ${durationMs === undefined ? "Press Ctrl+C to stop." : `Stopping by itself after ${durationMs / 1000} s.`}

Asking for each resource every ${POLL_INTERVAL_MS / 1000} s; new versions:
`)
}

// ---------------------------------------------------------------------------------------------
// Start, run, stop

const workDir = mkdtempSync(join(tmpdir(), "tidemark-demo-"))
const removeWorkDir = () => rmSync(workDir, { recursive: true, force: true })
process.on("exit", removeWorkDir)

let market: Market | undefined
let child: ChildProcess | undefined
let childExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined
let stopping: Promise<never> | undefined

const childRunning = () =>
  child !== undefined && child.exitCode === null && child.signalCode === null

/** Signals Tidemark by its pid, if it is still there. */
const signalChild = (signal: NodeJS.Signals) => {
  const pid = child?.pid
  if (pid === undefined || !childRunning()) return
  try {
    process.kill(pid, signal)
  } catch {
    // it has just exited
  }
}

/** Stops everything in order: polling, Tidemark, the market, the temp dir; then exits. */
const shutdown = (reason: string, code: number): Promise<never> => {
  stopping ??= (async () => {
    stop.abort()
    let exitCode = code
    if (childExit !== undefined && childRunning()) {
      console.log(`\n${reason}: stopping Tidemark…`)
      signalChild("SIGTERM")
      const forced = setTimeout(() => {
        console.error(`demo: Tidemark did not stop within ${CHILD_EXIT_TIMEOUT_MS} ms; killing it`)
        signalChild("SIGKILL")
      }, CHILD_EXIT_TIMEOUT_MS)
      const exit = await childExit
      clearTimeout(forced)
      if (exit.code !== 0 && exit.code !== null) {
        console.error(`demo: Tidemark exited with code ${exit.code} while stopping`)
        exitCode = exitCode === 0 ? 1 : exitCode
      }
    } else if (code === 0) {
      console.log(`\n${reason}: stopping…`)
    }
    await market?.close()
    removeWorkDir()
    if (stats.answers > 0) {
      console.log(
        `Done: ${stats.answers} live answers made ${stats.versions} new versions; the others were unchanged and wrote nothing.`,
      )
    }
    process.exit(exitCode)
  })()
  return stopping
}

let interrupts = 0
const onSignal = (signal: NodeJS.Signals) => {
  interrupts += 1
  if (interrupts > 1) {
    signalChild("SIGKILL")
    removeWorkDir()
    process.exit(130)
  }
  void shutdown(signal, 0)
}
process.on("SIGINT", onSignal)
process.on("SIGTERM", onSignal)

/** Whether nothing listens on the port yet, so the health check cannot reach someone else. */
const portIsFree = () =>
  new Promise<boolean>((done) => {
    const probe = createServer()
    probe.once("error", () => done(false))
    probe.listen(port, "127.0.0.1", () => probe.close(() => done(true)))
  })

const waitForHealth = async () => {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (Date.now() < deadline && !stop.signal.aborted) {
    try {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      if (response.ok) return true
    } catch {
      // not listening yet
    }
    await sleep(250)
  }
  return false
}

const main = async () => {
  const startedAt = Date.now()
  if (durationMs !== undefined) {
    setTimeout(
      () => void shutdown(`${durationMs / 1000} s are up`, 0),
      Math.max(0, durationMs - (Date.now() - startedAt)),
    ).unref()
  }

  if (!(await portIsFree())) {
    console.error(`demo: port ${port} on 127.0.0.1 is in use; choose another with --port <n>`)
    await shutdown("port in use", 1)
  }
  market = await startMarket()
  const sourcesPath = join(workDir, "demo.sources.json")
  writeFileSync(
    sourcesPath,
    `${JSON.stringify(
      {
        sources: {
          quote: {
            description: "Spot quote of a symbol on the simulated market",
            url: `${market.url}/v1/quotes/{symbol}`,
            params: {
              symbol: {
                type: "string",
                description: "a pair such as BTC-USD",
                pattern: "^[A-Z]{3,5}-[A-Z]{3}$",
              },
            },
            ignore: ["/generated_at", "/request_id"],
            timeoutMs: 2000,
            retries: 1,
          },
          rates: {
            description: "Exchange rates for a base currency on the simulated market",
            url: `${market.url}/v1/rates`,
            params: {
              base: { type: "string", enum: ["EUR", "USD", "GBP"], default: "EUR" },
            },
            select: "/data",
            ignore: ["/fetched_at"],
            timeoutMs: 2000,
            retries: 1,
          },
        },
      },
      null,
      2,
    )}\n`,
  )

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    TIDEMARK_SOURCES: sourcesPath,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  }
  if (dataDir === undefined) delete env.TIDEMARK_DATA_DIR
  else {
    delete env.DATABASE_URL
    env.TIDEMARK_DATA_DIR = dataDir
  }

  console.log(`Starting Tidemark on ${base}…`)
  const started = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "pipe"],
  })
  child = started
  childExit = new Promise((done) => {
    started.once("exit", (code, signal) => done({ code, signal }))
  })
  started.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk))
  started.once("error", (error) => {
    console.error(`demo: could not start Tidemark: ${error.message}`)
    void shutdown("start-up failed", 1)
  })
  void childExit.then(({ code, signal }) => {
    if (stopping !== undefined) return
    console.error(
      `demo: Tidemark exited on its own (${code === null ? `signal ${signal}` : `code ${code}`}); its error output is above.`,
    )
    void shutdown("Tidemark stopped", code === 0 || code === null ? 1 : code)
  })

  if (!(await waitForHealth())) {
    if (stopping === undefined) {
      console.error(`demo: Tidemark did not answer ${base}/healthz within ${STARTUP_TIMEOUT_MS} ms`)
      await shutdown("start-up timed out", 1)
    }
    return
  }

  const existing = await latestVersions()
  for (const resource of watched) {
    await observe(resource)
    if (resource.id !== undefined) resource.version = existing.get(resource.id) ?? 0
  }
  if (stop.signal.aborted) return
  printGuide(market, new Map([...existing].filter(([id]) => watched.some((w) => w.id === id))))
  await poll(true)
}

main().catch((error: unknown) => {
  if (stopping !== undefined) return
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`)
  void shutdown("error", 1)
})
