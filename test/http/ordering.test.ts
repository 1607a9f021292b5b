/**
 * Guarantee 4: history never goes back in time. Without coalescing, an observation that
 * started earlier can finish later; it must never become the resource's latest version.
 * Answers are decided in the order their calls started, an answer waiting up to
 * `ORDER_WAIT_MS` for the earlier calls: an earlier call that ends within it is recorded
 * before the later one, and one that ends after it, once a later one was recorded, is stale.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, type TestDatabase } from "../support/databases.js"
import { etagHash, resourceOf, versionsOf } from "../support/history.js"
import { recordingsSince, recordingsSnapshot } from "../support/metrics.js"
import { startTidemark, type TestApp, underEachServing } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { deferred, waitFor } from "../support/waiting.js"

describe.each(underEachServing(databases))(
  "observations finishing out of order on $name, $serving",
  ({ fresh, serve }) => {
    let database: TestDatabase
    let upstream: UpstreamStandIn
    let tidemark: TestApp

    const valueSource = (retries: number) => ({
      url: `${upstream.url}/values/{name}`,
      params: { name: { type: "string" as const, pattern: "^[a-z-]+$" } },
      timeoutMs: 60_000,
      retries,
      coalesce: false,
    })

    beforeAll(async () => {
      database = await fresh()
      upstream = await startUpstream()
      tidemark = await serve(
        await startTidemark(database.target, {
          // One call per request, and a second source whose calls retry once.
          sources: { value: valueSource(0), retried: valueSource(1) },
        }),
      )
    })
    afterAll(async () => {
      await tidemark.close()
      await upstream.close()
      await database.drop()
    })

    /**
     * The first call to `/values/<name>` answers A once released; every later call answers B
     * at once. Resolves when the first call has reached the upstream, at a millisecond
     * strictly after its observation started, so the next request's observation is newer.
     */
    const slowThenFast = async (name: string) => {
      const releaseFirst = deferred()
      const firstArrived = deferred<number>()
      let calls = 0
      upstream.route(`/values/${name}`, async (_, response) => {
        calls++
        if (calls === 1) {
          firstArrived.resolve(Date.now())
          await releaseFirst.promise
          sendJson(response, { value: "A" })
        } else {
          sendJson(response, { value: "B" })
        }
      })
      const first = tidemark.request(`/v1/live/value?name=${name}`)
      const arrivedAt = await firstArrived.promise
      await waitFor("the clock to move past the first call", () => Date.now() > arrivedAt)
      return { first, releaseFirst: () => releaseFirst.resolve() }
    }

    it("keeps the later-started observation B as latest when the earlier one, A, finishes after B was recorded (B waited ORDER_WAIT_MS for A)", async () => {
      const before = await recordingsSnapshot(tidemark)
      const { first, releaseFirst } = await slowThenFast("after-recorded")
      const second = await tidemark.request("/v1/live/value?name=after-recorded")
      expect(await second.json()).toEqual({ value: "B" })
      const resource = resourceOf(second)
      await waitFor(
        "B to be recorded",
        async () => (await versionsOf(tidemark, resource)).length > 0,
      )

      releaseFirst()
      const firstResponse = await first
      expect(await firstResponse.json()).toEqual({ value: "A" })
      expect(Date.parse(firstResponse.headers.get("tidemark-observed-at") ?? "")).toBeLessThan(
        Date.parse(second.headers.get("tidemark-observed-at") ?? ""),
      )
      expect(await tidemark.settle()).toBe(true)

      const versions = await versionsOf(tidemark, resource)
      expect(versions.map((v) => v.hash)).toEqual([etagHash(second)])
      expect(versions[0]?.observedAt).toBe(second.headers.get("tidemark-observed-at"))
      expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 1, stale: 1 })
    })

    it("records A, then B, when the earlier-started A ends soon after B: answers are decided in the order their calls started", async () => {
      const before = await recordingsSnapshot(tidemark)
      const { first, releaseFirst } = await slowThenFast("in-call-order")
      const second = await tidemark.request("/v1/live/value?name=in-call-order")
      expect(await second.json()).toEqual({ value: "B" })
      releaseFirst()
      const firstResponse = await first
      expect(await firstResponse.json()).toEqual({ value: "A" })
      expect(await tidemark.settle()).toBe(true)

      const versions = await versionsOf(tidemark, resourceOf(second))
      const b = { hash: etagHash(second), observedAt: second.headers.get("tidemark-observed-at") }
      const a = {
        hash: etagHash(firstResponse),
        observedAt: firstResponse.headers.get("tidemark-observed-at"),
      }
      // Newest first: A's value is in the history, and B, started later, is the latest.
      expect(versions.map(({ hash, observedAt }) => ({ hash, observedAt }))).toEqual([b, a])
      expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 2, stale: 0 })
    })

    it("records both values, by when each was observed, when an earlier call's retry answers after a later call", async () => {
      const before = await recordingsSnapshot(tidemark)
      let calls = 0
      const firstRefused = deferred()
      // The first call's first attempt is refused at once; it retries after its backoff.
      upstream.route("/values/retry-overtaken", (_, response) => {
        calls++
        if (calls === 1) {
          firstRefused.resolve()
          sendJson(response, { error: "busy" }, 503)
        } else {
          sendJson(response, { value: calls === 2 ? "X1" : "X2" })
        }
      })
      const first = tidemark.request("/v1/live/retried?name=retry-overtaken")
      await firstRefused.promise
      const second = await tidemark.request("/v1/live/retried?name=retry-overtaken")
      const firstResponse = await first
      expect([firstResponse.status, second.status]).toEqual([200, 200])
      expect(await tidemark.settle()).toBe(true)

      const observed = (response: Response) => ({
        hash: etagHash(response),
        observedAt: response.headers.get("tidemark-observed-at"),
      })
      const [earlier, later] = [observed(firstResponse), observed(second)].sort(
        (a, b) => Date.parse(a.observedAt ?? "") - Date.parse(b.observedAt ?? ""),
      )
      expect(earlier?.hash).not.toBe(later?.hash)
      const versions = await versionsOf(tidemark, resourceOf(second))
      // Newest first: the value observed later is the latest, the other one came before it.
      expect(versions.map(({ hash, observedAt }) => ({ hash, observedAt }))).toEqual([
        later,
        earlier,
      ])
      expect(await recordingsSince(tidemark, before)).toMatchObject({ appended: 2, stale: 0 })
    })
  },
)
