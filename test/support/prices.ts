/** A price source whose upstream changes on every call, and how its history is checked. */
import type { Agent } from "node:http"
import { expect } from "vitest"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { get, type TidemarkProcess } from "./server.js"
import { bodyOf } from "./tidemark.js"
import { sendJson, type UpstreamStandIn } from "./upstream.js"

export interface Answer {
  readonly pair: string
  readonly resource: string
  readonly amount: number
}

export interface Answered {
  readonly resource: string
  readonly amounts: Array<number>
}

export const sourcesOf = (upstream: UpstreamStandIn): SourcesDocument => ({
  sources: {
    price: {
      description: "a price that changes on every call",
      url: `${upstream.url}/prices/{pair}`,
      params: { pair: { type: "string", pattern: "^[A-Z0-9]{1,8}$" } },
      select: "/data",
      // A request held in flight by a test must not time out, however slow the machine.
      timeoutMs: 60_000,
      retries: 0,
    },
  },
})

/** The upstream answers every call with an amount it never gave before. */
export const changingOnEveryCall = (upstream: UpstreamStandIn, pairs: ReadonlyArray<string>) => {
  let calls = 0
  for (const pair of pairs) {
    upstream.route(`/prices/${pair}`, (_, response) => {
      calls++
      sendJson(response, { data: { pair, amount: calls }, generated_at: Date.now() })
    })
  }
}

export const live = async (
  server: TidemarkProcess,
  pair: string,
  agent: Agent,
): Promise<Answer> => {
  const response = await get(`${server.url}/v1/live/price?pair=${pair}`, agent)
  expect(response.status).toBe(200)
  const body = JSON.parse(response.body) as { data: { amount: number } }
  return { pair, resource: String(response.headers["tidemark-resource"]), amount: body.data.amount }
}

export const recordAnswer = (answered: Map<string, Answered>, answer: Answer) => {
  const known = answered.get(answer.pair) ?? { resource: answer.resource, amounts: [] }
  known.amounts.push(answer.amount)
  answered.set(answer.pair, known)
}

/** Each resource's answered amounts, in answer order, are exactly its versions 1, 2, … */
export const expectHistory = async (server: TidemarkProcess, answered: Map<string, Answered>) => {
  for (const [pair, { resource, amounts }] of answered) {
    const listed = await fetch(`${server.url}/v1/resources/${resource}/versions?limit=500`)
    expect(listed.status).toBe(200)
    const { items } = await bodyOf<{ items: Array<{ version: number }> }>(listed)
    expect(items.map((item) => item.version)).toEqual(amounts.map((_, i) => amounts.length - i))
    for (const [index, amount] of amounts.entries()) {
      const version = await fetch(`${server.url}/v1/resources/${resource}/versions/${index + 1}`)
      expect(await bodyOf(version)).toMatchObject({ tracked: { pair, amount } })
    }
  }
}
