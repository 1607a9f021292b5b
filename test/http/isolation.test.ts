/**
 * Guarantees 7 and 8: a hanging upstream holds up only its own requests, and pending
 * recordings stay within TIDEMARK_RECORDER_QUEUE_MAX while every request is still answered.
 */
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, freshPostgres, POSTGRES_URL, type TestDatabase } from "../support/databases.js"
import { resourceOf, versionsOf } from "../support/history.js"
import { pendingRecordings, recordingsSince, recordingsSnapshot } from "../support/metrics.js"
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js"
import { servings, startTidemark, type TestApp, underEachServing } from "../support/tidemark.js"
import { delay, sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { deferred, waitFor } from "../support/waiting.js"

const ids = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`)

/** Requests whose settling is observable, so a test can ask which are still pending. */
const tracked = (requests: ReadonlyArray<Response | Promise<Response>>) => {
  let settled = 0
  const all = Promise.all(
    requests.map((request) =>
      Promise.resolve(request).finally(() => {
        settled++
      }),
    ),
  )
  return { all, settled: () => settled }
}

describe.each(underEachServing(databases))(
  "one hanging upstream among others on $name, $serving",
  ({ fresh, serve }) => {
    let database: TestDatabase
    let upstream: UpstreamStandIn
    let tidemark: TestApp

    beforeAll(async () => {
      database = await fresh()
      upstream = await startUpstream()
      const id = { type: "string", pattern: "^[a-z0-9]+$" } as const
      // The hanging calls would time out long before the suite's timeout: if the fast requests
      // waited for them, the slow ones would have settled (504) before the fast ones finished.
      const patient = { timeoutMs: 20_000, retries: 0 }
      tidemark = await serve(
        await startTidemark(database.target, {
          sources: {
            slow: { url: `${upstream.url}/slow/{id}`, params: { id }, ...patient },
            fast: { url: `${upstream.url}/fast/{id}`, params: { id } },
            feed: { url: `${upstream.url}/feed/{id}`, params: { id }, ...patient },
          },
        }),
      )
    })
    afterAll(async () => {
      await tidemark.close()
      await upstream.close()
      await database.drop()
    })

    /** Routes each id under `prefix` to an answer naming it, sent once `gate` (if any) opens. */
    const answering = (prefix: string, names: ReadonlyArray<string>, gate?: Promise<void>) => {
      for (const name of names) {
        upstream.route(`${prefix}/${name}`, async (_, response) => {
          if (gate !== undefined) await gate
          sendJson(response, { name })
        })
      }
    }
    const callsUnder = (prefix: string, names: ReadonlyArray<string>) =>
      names.reduce((sum, name) => sum + upstream.callsTo(`${prefix}/${name}`), 0)

    const expectAnswered = async (
      responses: ReadonlyArray<Response>,
      names: ReadonlyArray<string>,
    ) => {
      expect(responses.map((r) => r.status)).toEqual(names.map(() => 200))
      expect(await Promise.all(responses.map((r) => r.json()))).toEqual(
        names.map((name) => ({ name })),
      )
    }

    it("answers every request to another source while one source's upstream hangs", async () => {
      const gate = deferred()
      const stuck = ids("s", 5)
      const quick = ids("q", 20)
      answering("/slow", stuck, gate.promise)
      answering("/fast", quick)
      const slow = tracked(stuck.map((name) => tidemark.request(`/v1/live/slow?id=${name}`)))
      try {
        await waitFor(
          "every slow call to reach the upstream",
          () => callsUnder("/slow", stuck) === stuck.length,
        )
        const fast = await Promise.all(
          quick.map((name) => tidemark.request(`/v1/live/fast?id=${name}`)),
        )
        expect(slow.settled()).toBe(0)
        await expectAnswered(fast, quick)
      } finally {
        gate.resolve()
      }
      await expectAnswered(await slow.all, stuck)
      expect(await tidemark.settle()).toBe(true)
    })

    it("answers every request for other resources of a source while one of its resources hangs", async () => {
      const gate = deferred()
      const quick = ids("r", 20)
      answering("/feed", ["stuck"], gate.promise)
      answering("/feed", quick)
      const slow = tracked([1, 2, 3].map(() => tidemark.request("/v1/live/feed?id=stuck")))
      try {
        await waitFor(
          "the stuck call to reach the upstream",
          () => upstream.callsTo("/feed/stuck") > 0,
        )
        const fast = await Promise.all(
          quick.map((name) => tidemark.request(`/v1/live/feed?id=${name}`)),
        )
        expect(slow.settled()).toBe(0)
        await expectAnswered(fast, quick)
      } finally {
        gate.resolve()
      }
      await expectAnswered(await slow.all, ["stuck", "stuck", "stuck"])
      expect(upstream.callsTo("/feed/stuck")).toBe(1)
      expect(await tidemark.settle()).toBe(true)
    })
  },
)

describe.each(servings)(
  "the recorder queue bound, PostgreSQL slowed by a proxy, $name",
  ({ serve }) => {
    const BOUND = 3
    const BURST = 12
    let database: TestDatabase
    let proxy: TcpProxy
    let upstream: UpstreamStandIn
    let tidemark: TestApp

    beforeAll(async () => {
      database = await freshPostgres()
      const target = new URL(POSTGRES_URL)
      proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port) })
      upstream = await startUpstream()
      tidemark = await serve(
        await startTidemark(
          { _tag: "Postgres", url: Redacted.make(proxy.through(database.env.DATABASE_URL ?? "")) },
          {
            sources: {
              item: {
                url: `${upstream.url}/items/{id}`,
                params: { id: { type: "string", pattern: "^[a-z0-9]+$" } },
              },
            },
          },
          { recorderQueueMax: BOUND },
        ),
      )
    })
    afterAll(async () => {
      proxy.setDelay(0)
      await tidemark.close()
      await proxy.close()
      await upstream.close()
      await database.drop()
    })

    it(`answers a burst of ${BURST} with 200, holds at most ${BOUND} recordings and drops and counts the rest`, async () => {
      const names = ids("b", BURST)
      const gate = deferred()
      let arrived = 0
      for (const name of names) {
        upstream.route(`/items/${name}`, async (_, response) => {
          arrived++
          await gate.promise
          sendJson(response, { name })
        })
      }
      const before = await recordingsSnapshot(tidemark)
      proxy.setDelay(150)

      let sampling = true
      let mostPending = 0
      const sampler = (async () => {
        for (let i = 0; sampling && i < 20_000; i++) {
          mostPending = Math.max(mostPending, await pendingRecordings(tidemark))
          await delay(5)
        }
      })()
      const burst = Promise.all(names.map((name) => tidemark.request(`/v1/live/item?id=${name}`)))
      let pendingWhileUpstreamHeld = -1
      try {
        await waitFor("every call of the burst to reach the upstream", () => arrived === BURST)
        // No recording can finish before its upstream answers, so every one of them is counted here.
        pendingWhileUpstreamHeld = await pendingRecordings(tidemark)
      } finally {
        gate.resolve()
      }
      const responses = await burst
      expect(responses.map((r) => r.status)).toEqual(names.map(() => 200))
      expect(await Promise.all(responses.map((r) => r.json()))).toEqual(
        names.map((name) => ({ name })),
      )
      expect(await tidemark.settle()).toBe(true)
      sampling = false
      await sampler

      expect(pendingWhileUpstreamHeld).toBe(BOUND)
      expect(mostPending).toBe(BOUND)
      expect(await pendingRecordings(tidemark)).toBe(0)
      expect(await recordingsSince(tidemark, before)).toMatchObject({
        appended: BOUND,
        dropped: BURST - BOUND,
        failed: 0,
      })
      const recorded = await Promise.all(responses.map((r) => versionsOf(tidemark, resourceOf(r))))
      expect(recorded.map((versions) => versions.length).sort()).toEqual([
        ...Array.from({ length: BURST - BOUND }, () => 0),
        ...Array.from({ length: BOUND }, () => 1),
      ])

      proxy.setDelay(0)
      upstream.route("/items/after", (_, response) => sendJson(response, { name: "after" }))
      const after = await tidemark.request("/v1/live/item?id=after")
      expect(after.status).toBe(200)
      expect(await tidemark.settle()).toBe(true)
      expect(await versionsOf(tidemark, resourceOf(after))).toHaveLength(1)
      expect(await recordingsSince(tidemark, before)).toMatchObject({
        appended: BOUND + 1,
        dropped: BURST - BOUND,
      })
    })
  },
)
