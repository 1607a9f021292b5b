import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPglite, type TestDatabase } from "../support/databases.js"
import { bodyOf, startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

describe("the API token and the service routes", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp

  beforeAll(async () => {
    database = await freshPglite()
    upstream = await startUpstream()
    upstream.route("/thing", (_, response) => sendJson(response, { ok: 1 }))
    tidemark = await startTidemark(
      database.target,
      {
        sources: {
          thing: {
            description: "a thing",
            url: `${upstream.url}/thing`,
            params: { n: { type: "integer", default: 1 } },
            headers: { Authorization: "Bearer upstream-secret-value" },
          },
        },
      },
      { apiToken: Redacted.make("s3cret-token") },
    )
  })
  afterAll(async () => {
    await tidemark.close()
    await upstream.close()
    await database.drop()
  })

  it.each([
    "/v1/sources",
    "/v1/live/thing",
    "/v1/resources",
    "/v1/resources/x/versions",
    "/v1/unknown",
  ])("%s without the token is 401 unauthorized as problem+json", async (path) => {
    const response = await tidemark.request(path)
    expect(response.status).toBe(401)
    expect(response.headers.get("content-type")).toBe("application/problem+json")
    expect(response.headers.get("www-authenticate")).toBe("Bearer")
    expect(await response.json()).toMatchObject({ status: 401, code: "unauthorized" })
  })

  it("a wrong token, a token of another length and another scheme are refused", async () => {
    for (const authorization of [
      "Bearer s3cret-tokeN",
      "Bearer s3cret",
      "Basic s3cret-token",
      "s3cret-token",
    ]) {
      const response = await tidemark.request("/v1/sources", { headers: { authorization } })
      expect(response.status).toBe(401)
    }
    expect(upstream.requests).toHaveLength(0)
  })

  it("the right token opens /v1 and sends the source's secret header upstream", async () => {
    const response = await tidemark.request("/v1/live/thing", {
      headers: { authorization: "Bearer s3cret-token" },
    })
    expect(response.status).toBe(200)
    expect(upstream.requests.at(-1)?.headers.authorization).toBe("Bearer upstream-secret-value")
  })

  it("lists sources with their params and never their header values", async () => {
    const response = await tidemark.request("/v1/sources", {
      headers: { authorization: "Bearer s3cret-token" },
    })
    const text = await response.text()
    expect(text).not.toContain("upstream-secret-value")
    expect(JSON.parse(text)).toEqual({
      sources: [
        {
          id: "thing",
          description: "a thing",
          params: { n: { type: "integer", default: 1 } },
          select: "",
          ignore: [],
          timeoutMs: 5000,
          retries: 1,
          coalesce: true,
        },
      ],
    })
  })

  it("health, readiness and the page need no token", async () => {
    expect((await tidemark.request("/healthz")).status).toBe(200)
    const ready = await tidemark.request("/readyz")
    expect(ready.status).toBe(200)
    expect(await bodyOf(ready)).toEqual({ status: "ready" })
    const page = await tidemark.request("/")
    expect(page.status).toBe(200)
    expect(await page.text()).toContain("Tidemark")
  })
})
