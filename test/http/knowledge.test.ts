/**
 * What a resource's last decision learned is kept while the resource is idle, so the next
 * request need not read the history: it must be what the last decision learned, not an
 * earlier one, or a return to an earlier value would go unrecorded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, type TestDatabase } from "../support/databases.js"
import { etagHash, resourceOf, versionsOf } from "../support/history.js"
import { startTidemark, type TestApp } from "../support/tidemark.js"
import { delay, sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

describe.each(databases)("knowledge kept between requests on $name", ({ fresh }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  /** Answers in turn: each call takes the next value and answers after its delay. */
  const script: Array<{ readonly value: string; readonly afterMs: number }> = []

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
    upstream.route("/v", async (_, response) => {
      const next = script.shift() ?? { value: "none", afterMs: 0 }
      await delay(next.afterMs)
      sendJson(response, { value: next.value })
    })
    tidemark = await startTidemark(database.target, {
      sources: { v: { url: `${upstream.url}/v`, coalesce: false } },
    })
  })
  afterAll(async () => {
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  it("records A again after A and B were decided by one lane, then left idle", async () => {
    // Two calls in flight at once: A answers and is decided first, B after it.
    script.push({ value: "A", afterMs: 20 }, { value: "B", afterMs: 120 })
    const [a, b] = await Promise.all([
      tidemark.request("/v1/live/v"),
      delay(5).then(() => tidemark.request("/v1/live/v")),
    ])
    expect(await a.json()).toEqual({ value: "A" })
    expect(await b.json()).toEqual({ value: "B" })
    expect(await tidemark.settle()).toBe(true)

    script.push({ value: "A", afterMs: 0 })
    const again = await tidemark.request("/v1/live/v")
    expect(await again.json()).toEqual({ value: "A" })
    expect(await tidemark.settle()).toBe(true)

    const hashes = (await versionsOf(tidemark, resourceOf(again))).map((version) => version.hash)
    expect(hashes).toEqual([etagHash(again), etagHash(b), etagHash(a)])
  })
})
