/**
 * `coalesce`: concurrent live requests for the same resource share one upstream call when
 * it is on (the default), and each make their own when it is off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { coalescedRequests } from "../../src/metrics.js"
import { databases, type TestDatabase } from "../support/databases.js"
import { etagHash, resourceOf, versionsOf } from "../support/history.js"
import { counterValue, recordingsSince, recordingsSnapshot } from "../support/metrics.js"
import { startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { deferred, waitFor } from "../support/waiting.js"

const N = 20

describe.each(databases)("coalescing live requests on $name", ({ fresh }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
    const pair = { type: "string", pattern: "^[A-Z]{3}-[A-Z]{3}$" } as const
    tidemark = await startTidemark(database.target, {
      sources: {
        shared: { url: `${upstream.url}/shared/{pair}`, params: { pair }, timeoutMs: 60_000 },
        solo: {
          url: `${upstream.url}/solo/{pair}`,
          params: { pair },
          timeoutMs: 60_000,
          coalesce: false,
        },
        place: {
          url: `${upstream.url}/place`,
          params: {
            latitude: { type: "number", minimum: -90, maximum: 90 },
            longitude: { type: "number", minimum: -180, maximum: 180 },
          },
          timeoutMs: 60_000,
        },
      },
    })
  })
  afterAll(async () => {
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  /** An upstream path that answers `body` to every call once released. */
  const held = (path: string, body: string) => {
    const gate = deferred()
    upstream.route(path, async (_, response) => {
      await gate.promise
      sendJson(response, body)
    })
    return gate
  }

  const coalescedSoFar = () => counterValue(tidemark, coalescedRequests)

  /** Sends `paths` at once; releases the upstream when `ready` holds, or gives up waiting. */
  const burst = async (
    paths: ReadonlyArray<string>,
    gates: ReadonlyArray<{ resolve: () => void }>,
    ready: () => Promise<boolean> | boolean,
  ) => {
    const answers = Promise.all(paths.map((path) => tidemark.request(path)))
    try {
      await waitFor("every request to be waiting on the upstream", ready)
    } finally {
      for (const gate of gates) gate.resolve()
    }
    return answers
  }

  const expectSameAnswer = async (responses: ReadonlyArray<Response>, body: string) => {
    const etags = new Set(responses.map((r) => r.headers.get("etag")))
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200))
    expect(await Promise.all(responses.map((r) => r.text()))).toEqual(responses.map(() => body))
    expect(etags.size).toBe(1)
    expect([...etags][0]).toMatch(/^"[0-9a-f]{64}"$/)
  }

  it(`makes one upstream call for ${N} concurrent identical requests, all answered alike, one version recorded`, async () => {
    const body = '{"price":"1.0841"}'
    const gate = held("/shared/EUR-USD", body)
    const coalescedBefore = await coalescedSoFar()
    const before = await recordingsSnapshot(tidemark)
    const paths = Array.from({ length: N }, () => "/v1/live/shared?pair=EUR-USD")
    const responses = await burst(
      paths,
      [gate],
      async () => (await coalescedSoFar()) - coalescedBefore >= N - 1,
    )

    expect(upstream.callsTo("/shared/EUR-USD")).toBe(1)
    await expectSameAnswer(responses, body)
    expect(await tidemark.settle()).toBe(true)
    const first = responses[0] ?? new Response()
    expect((await versionsOf(tidemark, resourceOf(first))).map((v) => v.hash)).toEqual([
      etagHash(first),
    ])
    expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 1, unchanged: 0 })
  })

  it("shares one call among spellings of the same resource (parameter order, number forms)", async () => {
    const body = '{"temperature":21.5}'
    const gate = held("/place", body)
    const coalescedBefore = await coalescedSoFar()
    const spellings = [
      "/v1/live/place?latitude=52.52&longitude=13.41",
      "/v1/live/place?longitude=13.41&latitude=52.52",
      "/v1/live/place?latitude=52.520&longitude=13.410",
      "/v1/live/place?latitude=5252e-2&longitude=1341e-2",
    ]
    const responses = await burst(
      spellings,
      [gate],
      async () => (await coalescedSoFar()) - coalescedBefore >= spellings.length - 1,
    )

    expect(upstream.callsTo("/place")).toBe(1)
    await expectSameAnswer(responses, body)
    expect(new Set(responses.map(resourceOf)).size).toBe(1)
    expect(await tidemark.settle()).toBe(true)
  })

  it(`makes ${N} upstream calls for ${N} concurrent identical requests when coalesce is false, still one version`, async () => {
    const body = '{"price":"0.8567"}'
    const gate = held("/solo/EUR-GBP", body)
    const coalescedBefore = await coalescedSoFar()
    const before = await recordingsSnapshot(tidemark)
    const paths = Array.from({ length: N }, () => "/v1/live/solo?pair=EUR-GBP")
    const responses = await burst(paths, [gate], () => upstream.callsTo("/solo/EUR-GBP") >= N)

    expect(upstream.callsTo("/solo/EUR-GBP")).toBe(N)
    expect(await coalescedSoFar()).toBe(coalescedBefore)
    await expectSameAnswer(responses, body)
    expect(await tidemark.settle()).toBe(true)
    const first = responses[0] ?? new Response()
    expect((await versionsOf(tidemark, resourceOf(first))).map((v) => v.hash)).toEqual([
      etagHash(first),
    ])
    expect(await recordingsSince(tidemark, before)).toMatchObject({
      appended: 1,
      unchanged: N - 1,
      stale: 0,
    })
  })

  it("does not coalesce requests for different params: one call and one version per resource", async () => {
    const bodies = { "USD-JPY": '{"price":"151.2"}', "USD-CHF": '{"price":"0.9012"}' } as const
    const pairs = ["USD-JPY", "USD-CHF"] as const
    const gates = pairs.map((pair) => held(`/shared/${pair}`, bodies[pair]))
    const coalescedBefore = await coalescedSoFar()
    const paths = Array.from(
      { length: N },
      (_, i) => `/v1/live/shared?pair=${pairs[i % pairs.length]}`,
    )
    const responses = await burst(
      paths,
      gates,
      async () => (await coalescedSoFar()) - coalescedBefore >= N - pairs.length,
    )

    for (const pair of pairs) expect(upstream.callsTo(`/shared/${pair}`)).toBe(1)
    for (const [index, pair] of pairs.entries()) {
      const group = responses.filter((_, i) => i % pairs.length === index)
      expect(group).toHaveLength(N / pairs.length)
      await expectSameAnswer(group, bodies[pair])
    }
    const resources = pairs.map((_, index) => resourceOf(responses[index] ?? new Response()))
    expect(new Set(resources).size).toBe(pairs.length)
    expect(await tidemark.settle()).toBe(true)
    for (const resource of resources) {
      expect(await versionsOf(tidemark, resource)).toHaveLength(1)
    }
  })
})
