/**
 * What the web page's end-to-end suites run against: a programmable quotes upstream, the
 * real server as a child process on PGlite with an API token, and one Chromium page.
 */
import { rmSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { expect } from "vitest"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { type ConsoleWatch, launchBrowser, watchConsole } from "./browser.js"
import { freshPgliteDir } from "./databases.js"
import { startServer, stopAll, type TidemarkProcess } from "./server.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "./upstream.js"
import { waitFor } from "./waiting.js"

export const TOKEN = "page-test-token"
/** How long a page may take to show what a step waits for. */
export const WAIT = { timeout: 15_000 }

export interface Level {
  readonly price: number
  readonly size: number
}

export interface Quote {
  readonly price: string
  readonly volume: number
  readonly book: { readonly bid: Level; readonly ask: Level }
  readonly venues: ReadonlyArray<string>
  readonly halted?: boolean
}

export const quote = (price: string, changes: Partial<Quote> = {}): Quote => ({
  price,
  volume: 1200,
  book: { bid: { price: 99.5, size: 3 }, ask: { price: 100.5, size: 5 } },
  venues: ["XNAS", "XNYS"],
  ...changes,
})

const sourcesFor = (upstream: UpstreamStandIn): SourcesDocument => ({
  sources: {
    market: {
      description: "Quote of a listed symbol",
      url: `${upstream.url}/quotes/{symbol}`,
      params: {
        symbol: {
          type: "string",
          pattern: "^[A-Z]{1,6}$",
          default: "ACME",
          description: "Ticker symbol",
        },
        currency: { type: "string", enum: ["USD", "EUR"], default: "USD" },
      },
      select: "/quote",
      ignore: ["/updatedAt"],
      // One retry covers a kept-alive connection that the upstream closes as it is reused.
      retries: 1,
    },
    weather: {
      description: "Current conditions at a coordinate",
      url: `${upstream.url}/forecast`,
      params: {
        latitude: { type: "number", minimum: -90, maximum: 90 },
        longitude: { type: "number", minimum: -180, maximum: 180 },
        units: { type: "string", enum: ["celsius", "fahrenheit"], default: "celsius" },
      },
      select: "/current",
      retries: 1,
    },
    outage: {
      description: "An upstream having a bad day",
      url: `${upstream.url}/outage`,
      retries: 0,
    },
  },
})

export interface PageStack {
  readonly upstream: UpstreamStandIn
  readonly server: TidemarkProcess
  readonly page: Page
  readonly browserConsole: ConsoleWatch
  /** The last body the upstream sent for each symbol, exactly as sent. */
  readonly sent: ReadonlyMap<string, string>
  /** What the upstream answers for `symbol` from now on. */
  readonly setQuote: (symbol: string, next: Quote) => void
  /** A GET to Tidemark from another client, with the token. */
  readonly api: (path: string) => Promise<Response>
  /** A live request for `symbol` from another client; resolves with the resource id once `version` is recorded. */
  readonly observe: (symbol: string, version: number) => Promise<string>
  /** One version per quote, in order; resolves with the resource id. */
  readonly history: (symbol: string, quotes: ReadonlyArray<Quote>) => Promise<string>
  readonly close: () => Promise<void>
}

export const startPageStack = async (
  options: { readonly tokenInSession?: boolean } = {},
): Promise<PageStack> => {
  const upstream = await startUpstream()
  const quotes = new Map<string, Quote>()
  const sent = new Map<string, string>()
  upstream.route("/forecast", (_, response) =>
    sendJson(response, {
      latitude: 52.52,
      longitude: 13.41,
      current: { temperature_2m: 11.4, wind_speed_10m: 9.7 },
    }),
  )
  upstream.route("/outage", (_, response) => sendJson(response, { error: "maintenance" }, 500))
  const setQuote = (symbol: string, next: Quote) => {
    if (!quotes.has(symbol)) {
      upstream.route(`/quotes/${symbol}`, (request, response) => {
        const currency = new URL(request.url ?? "/", upstream.url).searchParams.get("currency")
        const body = JSON.stringify({
          quote: { symbol, currency, ...quotes.get(symbol), updatedAt: new Date().toISOString() },
          generatedAt: Date.now(),
        })
        sent.set(symbol, body)
        sendJson(response, body)
      })
    }
    quotes.set(symbol, next)
  }
  setQuote("ACME", quote("101.50"))

  const dataDir = freshPgliteDir()
  let browser: Browser | undefined
  const close = async () => {
    await browser?.close()
    await stopAll()
    await upstream.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const [server, launched] = await Promise.all([
      startServer({
        env: { TIDEMARK_DATA_DIR: dataDir, TIDEMARK_API_TOKEN: TOKEN, LOG_LEVEL: "warn" },
        sources: sourcesFor(upstream),
      }),
      launchBrowser(),
    ])
    browser = launched
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    if (options.tokenInSession === true) {
      await page.addInitScript(
        `sessionStorage.setItem("tidemark.apiToken", ${JSON.stringify(TOKEN)})`,
      )
    }
    const browserConsole = watchConsole(page)

    const api = (path: string) =>
      fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })

    const observe = async (symbol: string, version: number) => {
      const response = await api(`/v1/live/market?symbol=${symbol}`)
      const body = await response.text()
      expect(response.status, body).toBe(200)
      const id = response.headers.get("tidemark-resource") ?? ""
      await waitFor(`version ${version} of ${symbol}`, async () => {
        const resource = await api(`/v1/resources/${id}`)
        if (resource.status !== 200) return false
        return ((await resource.json()) as { latestVersion: number }).latestVersion === version
      })
      return id
    }

    const history = async (symbol: string, versions: ReadonlyArray<Quote>) => {
      let id = ""
      for (const [index, next] of versions.entries()) {
        setQuote(symbol, next)
        id = await observe(symbol, index + 1)
      }
      return id
    }

    return { upstream, server, page, browserConsole, sent, setQuote, api, observe, history, close }
  } catch (error) {
    await close()
    throw error
  }
}
