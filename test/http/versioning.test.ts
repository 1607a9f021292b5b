import { applyPatch } from "fast-json-patch"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { canonicalJson } from "../../src/core/canonical.js"
import type { PatchOperation } from "../../src/core/patch.js"
import { databases, type TestDatabase } from "../support/databases.js"
import { bodyOf, startTidemark, type TestApp, underEachServing } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

interface VersionDetail {
  version: number
  hash: string
  observedAt: string
  body: unknown
  tracked: unknown
  patch: PatchOperation[]
}
interface VersionsPage {
  items: Array<{ version: number; hash: string; observedAt: string; changes: number }>
  nextBefore: number | null
}

describe.each(underEachServing(databases))("versions on $name, $serving", ({ fresh, serve }) => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  const served = new Map<string, unknown>()
  let calls = 0

  beforeAll(async () => {
    database = await fresh()
    upstream = await startUpstream()
    tidemark = await serve(
      await startTidemark(database.target, {
        sources: {
          weather: {
            url: `${upstream.url}/weather`,
            params: {
              latitude: { type: "number", minimum: -90, maximum: 90 },
              longitude: { type: "number", minimum: -180, maximum: 180 },
            },
            ignore: ["/generationtime_ms", "/current/time", "/readings/*/at"],
          },
          quote: {
            url: `${upstream.url}/quote/{symbol}`,
            params: { symbol: { type: "string", pattern: "^[A-Z]+$" } },
            select: "/data",
          },
        },
      }),
    )
    upstream.route("/weather", (request, response) => {
      calls++
      const query = new URL(request.url ?? "/", upstream.url).searchParams
      const body = served.get(`${query.get("latitude")},${query.get("longitude")}`)
      sendJson(response, {
        ...(body as object),
        generationtime_ms: Math.random(),
        current: { ...(body as { current: object }).current, time: calls },
      })
    })
    upstream.route("/quote/ABC", (_, response) => sendJson(response, served.get("ABC")))
  })

  afterAll(async () => {
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  const live = async (path: string) => {
    const response = await tidemark.request(path)
    expect(response.status).toBe(200)
    await tidemark.settle()
    return response.headers.get("tidemark-resource") ?? ""
  }

  const versionsOf = async (id: string, query = "") =>
    bodyOf<VersionsPage>(await tidemark.request(`/v1/resources/${id}/versions${query}`))

  const versionOf = async (id: string, n: number) =>
    bodyOf<VersionDetail>(await tidemark.request(`/v1/resources/${id}/versions/${n}`))

  it("records one version per distinct tracked content, contiguously, ignoring volatile fields", async () => {
    const contents = [
      { current: { temperature: 10, wind: 3 }, readings: [{ at: 1, v: 1 }] },
      { current: { temperature: 10, wind: 3 }, readings: [{ at: 2, v: 1 }] },
      { current: { temperature: 11, wind: 3 }, readings: [{ at: 3, v: 1 }] },
      { current: { temperature: 11, wind: 3 }, readings: [{ at: 4, v: 1 }] },
      { current: { wind: 4, temperature: 11 }, readings: [{ at: 5, v: 2 }] },
      { readings: [{ v: 2, at: 6 }], current: { temperature: 11, wind: 4 } },
    ]
    let id = ""
    for (const content of contents) {
      served.set("52.52,13.41", content)
      id = await live("/v1/live/weather?latitude=52.52&longitude=13.41")
    }
    const page = await versionsOf(id)
    expect(page.items.map((item) => item.version)).toEqual([3, 2, 1])
    const tracked = await Promise.all([1, 2, 3].map((n) => versionOf(id, n)))
    expect(
      tracked.map((v) => (v.tracked as { current: { temperature: number } }).current.temperature),
    ).toEqual([10, 11, 11])
    for (const version of tracked) {
      expect(version.tracked).not.toHaveProperty("generationtime_ms")
      expect(version.body).toHaveProperty("generationtime_ms")
    }
  })

  it("applying each stored patch to the previous version's tracked content gives the next", async () => {
    const id = await live("/v1/live/weather?latitude=52.52&longitude=13.41")
    const page = await versionsOf(id)
    const versions = await Promise.all(page.items.map((item) => versionOf(id, item.version)))
    versions.sort((a, b) => a.version - b.version)
    let previous: unknown = null
    for (const version of versions) {
      const next = applyPatch(
        structuredClone({ root: previous }),
        version.patch.map((op) => ({ ...op, path: `/root${op.path}` })),
        true,
        false,
      ).newDocument.root
      expect(canonicalJson(next)).toBe(canonicalJson(version.tracked))
      expect(page.items.find((item) => item.version === version.version)?.changes).toBe(
        version.patch.length,
      )
      previous = version.tracked
    }
  })

  it("A then B then A gives three versions", async () => {
    for (const price of ["1.00", "2.00", "1.00"]) {
      served.set("ABC", { data: { price }, meta: { at: Math.random() } })
      await live("/v1/live/quote?symbol=ABC")
    }
    served.set("ABC", { data: { price: "1.00" }, meta: { at: Math.random() } })
    const id = await live("/v1/live/quote?symbol=ABC")
    const page = await versionsOf(id)
    expect(page.items.map((item) => item.version)).toEqual([3, 2, 1])
    const prices = await Promise.all(
      [1, 2, 3].map(async (n) => ((await versionOf(id, n)).tracked as { price: string }).price),
    )
    expect(prices).toEqual(["1.00", "2.00", "1.00"])
  })

  it("the same params in another order or spelling are the same resource", async () => {
    served.set("52.52,13.41", { current: { temperature: 11, wind: 4 }, readings: [] })
    const a = await live("/v1/live/weather?latitude=52.52&longitude=13.41")
    const b = await live("/v1/live/weather?longitude=13.410&latitude=52.520")
    const c = await live("/v1/live/weather?latitude=5.252e1&longitude=13.41")
    expect(b).toBe(a)
    expect(c).toBe(a)
    const resource = await bodyOf<{ key: string; params: unknown }>(
      await tidemark.request(`/v1/resources/${a}`),
    )
    expect(resource.key).toBe("weather?latitude=52.52&longitude=13.41")
    expect(resource.params).toEqual({ latitude: 52.52, longitude: 13.41 })
  })

  it("the ETag is the tracked content's hash, equal for equal content", async () => {
    served.set("ABC", { data: { price: "7.00" }, meta: { at: 1 } })
    const first = await tidemark.request("/v1/live/quote?symbol=ABC")
    served.set("ABC", { meta: { at: 2 }, data: { price: "7.00" } })
    const second = await tidemark.request("/v1/live/quote?symbol=ABC")
    await tidemark.settle()
    expect(first.headers.get("etag")).toBe(second.headers.get("etag"))
    const id = first.headers.get("tidemark-resource") ?? ""
    const resource = await bodyOf<{ latestHash: string; latest: { hash: string } }>(
      await tidemark.request(`/v1/resources/${id}`),
    )
    expect(first.headers.get("etag")).toBe(`"${resource.latestHash}"`)
  })

  it("pages versions newest first with limit and before", async () => {
    const id =
      (await tidemark.request("/v1/live/quote?symbol=ABC")).headers.get("tidemark-resource") ?? ""
    await tidemark.settle()
    const all = await versionsOf(id)
    const first = await versionsOf(id, "?limit=2")
    expect(first.items.map((item) => item.version)).toEqual(
      all.items.slice(0, 2).map((item) => item.version),
    )
    expect(first.nextBefore).toBe(first.items[1]?.version)
    const rest = await versionsOf(id, `?limit=2&before=${first.nextBefore}`)
    expect([...first.items, ...rest.items].map((item) => item.version)).toEqual(
      all.items.slice(0, first.items.length + rest.items.length).map((item) => item.version),
    )
  })

  it("diff between two versions is the RFC 6902 patch between their tracked contents", async () => {
    const id =
      (await tidemark.request("/v1/live/quote?symbol=ABC")).headers.get("tidemark-resource") ?? ""
    await tidemark.settle()
    const response = await tidemark.request(`/v1/resources/${id}/diff?from=1&to=2`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([{ op: "replace", path: "/price", value: "2.00" }])
    const back = await bodyOf(await tidemark.request(`/v1/resources/${id}/diff?from=2&to=1`))
    expect(back).toEqual([{ op: "replace", path: "/price", value: "1.00" }])
  })

  it("series gives the numeric values at a path across versions, oldest first, numeric strings included", async () => {
    const id =
      (await tidemark.request("/v1/live/quote?symbol=ABC")).headers.get("tidemark-resource") ?? ""
    await tidemark.settle()
    const series = await bodyOf<{
      path: string
      points: Array<{ version: number; value: number }>
    }>(await tidemark.request(`/v1/resources/${id}/series?path=/price`))
    expect(series.path).toBe("/price")
    expect(series.points.map((point) => [point.version, point.value])).toEqual([
      [1, 1],
      [2, 2],
      [3, 1],
      [4, 7],
    ])
    const last = await bodyOf<{ points: Array<{ version: number }> }>(
      await tidemark.request(`/v1/resources/${id}/series?path=/price&limit=2`),
    )
    expect(last.points.map((point) => point.version)).toEqual([3, 4])
    const none = await bodyOf<{ points: unknown[] }>(
      await tidemark.request(`/v1/resources/${id}/series?path=/missing`),
    )
    expect(none.points).toEqual([])
    const bad = await tidemark.request(`/v1/resources/${id}/series?path=price`)
    expect(bad.status).toBe(400)
  })

  it("lists tracked resources, filtered by source, paged with a cursor", async () => {
    const all = await bodyOf<{
      items: Array<{ id: string; source: string; latestVersion: number; versionCount: number }>
    }>(await tidemark.request("/v1/resources"))
    expect(all.items.map((item) => item.source).sort()).toEqual(["quote", "weather"])
    for (const item of all.items) expect(item.versionCount).toBe(item.latestVersion)
    const quotes = await bodyOf<{ items: Array<{ source: string }> }>(
      await tidemark.request("/v1/resources?source=quote"),
    )
    expect(quotes.items.map((item) => item.source)).toEqual(["quote"])
    const first = await bodyOf<{ items: Array<{ id: string }>; nextCursor: string | null }>(
      await tidemark.request("/v1/resources?limit=1"),
    )
    expect(first.items).toHaveLength(1)
    expect(first.nextCursor).not.toBeNull()
    const second = await bodyOf<{ items: Array<{ id: string }>; nextCursor: string | null }>(
      await tidemark.request(`/v1/resources?limit=1&cursor=${first.nextCursor}`),
    )
    expect(second.items).toHaveLength(1)
    expect(second.nextCursor).toBeNull()
    expect([first.items[0]?.id, second.items[0]?.id].sort()).toEqual(
      all.items.map((item) => item.id).sort(),
    )
  })

  it.each([
    ["/v1/resources/unknownresource", 404, "not_found"],
    ["/v1/resources/unknownresource/versions", 404, "not_found"],
    ["/v1/resources/unknownresource/versions/1", 404, "not_found"],
    ["/v1/resources?limit=0", 400, "invalid_request"],
    ["/v1/resources?limit=501", 400, "invalid_request"],
    ["/v1/resources?limit=abc", 400, "invalid_request"],
    ["/v1/resources?colour=red", 400, "invalid_request"],
    ["/v1/resources/unknownresource/diff?from=1", 400, "invalid_request"],
    ["/v1/resources/bad%20id", 400, "invalid_request"],
    ["/v1/nothing-here", 404, "not_found"],
  ])("%s answers %i %s as problem+json", async (path, status, code) => {
    const response = await tidemark.request(path)
    expect(response.status).toBe(status)
    expect(response.headers.get("content-type")).toBe("application/problem+json")
    expect(await response.json()).toMatchObject({ status, code })
  })

  it("an unknown version of a known resource is 404 not_found", async () => {
    const id =
      (await tidemark.request("/v1/live/quote?symbol=ABC")).headers.get("tidemark-resource") ?? ""
    await tidemark.settle()
    for (const path of [
      `/v1/resources/${id}/versions/99`,
      `/v1/resources/${id}/diff?from=1&to=99`,
    ]) {
      const response = await tidemark.request(path)
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ code: "not_found" })
    }
  })
})
