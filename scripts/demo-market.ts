/**
 * A small simulated market for the demo, served on 127.0.0.1 with node:http.
 *
 * - `GET /v1/quotes/{symbol}`: a spot quote. Each symbol's price takes one step of a seeded
 *   random walk every few seconds, so answers in between are unchanged (apart from the
 *   volatile `generated_at` and `request_id`, which change on every request).
 * - `GET /v1/rates?base=EUR`: a small exchange-rate table that changes every ten seconds or so.
 */
import { randomUUID } from "node:crypto"
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

interface Walk {
  readonly periodMs: number
  readonly volatility: number
  readonly decimals: number
  readonly random: () => number
  tick: number
  price: number
}

export interface QuoteSpec {
  readonly symbol: string
  readonly currency: string
  readonly start: number
  readonly periodMs: number
  readonly volatility: number
  readonly decimals: number
}

export const QUOTES: ReadonlyArray<QuoteSpec> = [
  {
    symbol: "BTC-USD",
    currency: "USD",
    start: 64210.5,
    periodMs: 2000,
    volatility: 0.002,
    decimals: 2,
  },
  {
    symbol: "ETH-USD",
    currency: "USD",
    start: 3120.45,
    periodMs: 4000,
    volatility: 0.003,
    decimals: 2,
  },
  {
    symbol: "EUR-USD",
    currency: "USD",
    start: 1.0842,
    periodMs: 6000,
    volatility: 0.0006,
    decimals: 5,
  },
]

export const RATE_BASES = ["EUR", "USD", "GBP"] as const

const EUR_RATES: Readonly<Record<string, number>> = {
  USD: 1.0842,
  GBP: 0.8571,
  JPY: 163.12,
  CHF: 0.9612,
}
const RATES_PERIOD_MS = 10_000

/** mulberry32: a tiny seeded generator, so every run walks the same way. */
const seeded = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const seedOf = (text: string) => {
  let hash = 0x811c9dc5
  for (const char of text) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193)
  return hash >>> 0
}

const round = (value: number, decimals: number) => {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

const sendJson = (response: ServerResponse, status: number, value: unknown) => {
  const body = JSON.stringify(value, null, 2)
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  })
  response.end(body)
}

export interface Market {
  readonly url: string
  readonly close: () => Promise<void>
}

export const startMarket = async (): Promise<Market> => {
  const startedAt = Date.now()
  const ticksSinceStart = (periodMs: number) => Math.floor((Date.now() - startedAt) / periodMs)

  const walks = new Map<string, Walk & { readonly spec: QuoteSpec }>()
  for (const spec of QUOTES) {
    walks.set(spec.symbol, {
      spec,
      periodMs: spec.periodMs,
      volatility: spec.volatility,
      decimals: spec.decimals,
      random: seeded(seedOf(spec.symbol)),
      tick: 0,
      price: spec.start,
    })
  }

  /** Catches a walk up with the clock: one step per elapsed period. */
  const priceOf = (walk: Walk) => {
    const target = ticksSinceStart(walk.periodMs)
    while (walk.tick < target) {
      walk.tick += 1
      const step = (walk.random() * 2 - 1) * walk.volatility
      walk.price = round(walk.price * (1 + step), walk.decimals)
    }
    return walk.price
  }

  const rates = {
    random: seeded(seedOf("rates")),
    tick: 0,
    table: { ...EUR_RATES } as Record<string, number>,
    asOf: new Date(startedAt).toISOString(),
  }

  /** The EUR table: every ten seconds one or two currencies move a little. */
  const eurRates = () => {
    const target = ticksSinceStart(RATES_PERIOD_MS)
    while (rates.tick < target) {
      rates.tick += 1
      const currencies = Object.keys(rates.table)
      const moving = new Set([currencies[Math.floor(rates.random() * currencies.length)]])
      if (rates.random() < 0.5)
        moving.add(currencies[Math.floor(rates.random() * currencies.length)])
      for (const currency of moving) {
        if (currency === undefined) continue
        const rate = rates.table[currency] ?? 1
        const step = (rates.random() * 2 - 1) * 0.002
        rates.table[currency] = round(rate * (1 + step), currency === "JPY" ? 2 : 4)
      }
      rates.asOf = new Date(startedAt + rates.tick * RATES_PERIOD_MS).toISOString()
    }
    return rates.table
  }

  /** Cross rates from the EUR table for another base currency. */
  const ratesFor = (base: string): Record<string, number> => {
    const table = eurRates()
    if (base === "EUR") return { ...table }
    const baseRate = table[base] ?? 1
    const result: Record<string, number> = { EUR: round(1 / baseRate, 4) }
    for (const [currency, rate] of Object.entries(table)) {
      if (currency !== base) result[currency] = round(rate / baseRate, currency === "JPY" ? 2 : 4)
    }
    return result
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://market.invalid")
    const volatile = { generated_at: new Date().toISOString(), request_id: randomUUID() }
    if (request.method !== "GET") {
      sendJson(response, 405, { error: "method not allowed" })
      return
    }
    const quote = /^\/v1\/quotes\/([^/]+)$/.exec(url.pathname)
    if (quote !== null) {
      const symbol = decodeURIComponent(quote[1] ?? "")
      const walk = walks.get(symbol)
      if (walk === undefined) {
        sendJson(response, 404, { error: "unknown symbol", symbol, ...volatile })
        return
      }
      sendJson(response, 200, {
        symbol,
        price: priceOf(walk),
        currency: walk.spec.currency,
        ...volatile,
      })
      return
    }
    if (url.pathname === "/v1/rates") {
      const base = url.searchParams.get("base") ?? "EUR"
      if (!(RATE_BASES as ReadonlyArray<string>).includes(base)) {
        sendJson(response, 400, { error: "unsupported base currency", base, ...volatile })
        return
      }
      const table = ratesFor(base)
      sendJson(response, 200, {
        success: true,
        data: { base, as_of: rates.asOf, rates: table, fetched_at: volatile.generated_at },
        meta: { ...volatile, provider: "simulated market" },
      })
      return
    }
    sendJson(response, 404, { error: "no such route", path: url.pathname })
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
