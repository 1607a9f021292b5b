import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databases, type TestDatabase } from "../support/databases.js"
import { bodyOf, startTidemark, type TestApp, underEachServing } from "../support/tidemark.js"
import {
  closedPort,
  declareHugeBody,
  redirectTo,
  sendJson,
  sendText,
  startUpstream,
  streamHugeBody,
  type UpstreamStandIn,
} from "../support/upstream.js"

interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  upstreamStatus?: number
}

describe.each(underEachServing(databases))(
  "upstream failures and bad input on $name, $serving",
  ({ fresh, serve }) => {
    let database: TestDatabase
    let upstream: UpstreamStandIn
    let tidemark: TestApp
    let hangingRequests = 0

    beforeAll(async () => {
      database = await fresh()
      upstream = await startUpstream()
      const deadPort = await closedPort()
      const plain = (path: string, extra: Record<string, unknown> = {}) => ({
        url: `${upstream.url}${path}`,
        retries: 0,
        timeoutMs: 2000,
        ...extra,
      })
      tidemark = await serve(
        await startTidemark(database.target, {
          sources: {
            hanging: plain("/hang", { timeoutMs: 300 }),
            failing: plain("/fail"),
            flaky: plain("/flaky", { retries: 2 }),
            missing: plain("/gone", { retries: 3 }),
            text: plain("/text"),
            surrogate: plain("/surrogate"),
            huge: plain("/huge"),
            hugeDeclared: plain("/huge-declared"),
            redirecting: plain("/redirect"),
            unreachable: { url: `http://127.0.0.1:${deadPort}/nothing`, retries: 0 },
            items: {
              url: `${upstream.url}/items/{name}`,
              params: {
                name: { type: "string" },
                limit: { type: "integer", minimum: 1, maximum: 10, default: 5 },
                kind: { type: "string", enum: ["a", "b"], default: "a" },
                fresh: { type: "boolean", default: false },
              },
            },
          },
        }),
      )
      upstream.route("/hang", () => {
        hangingRequests++
      })
      upstream.route("/fail", (_, response) => sendJson(response, { error: "boom" }, 500))
      let flakyCalls = 0
      upstream.route("/flaky", (_, response) => {
        flakyCalls++
        if (flakyCalls <= 2) sendJson(response, { error: "busy" }, 503)
        else sendJson(response, { ok: true })
      })
      upstream.route("/gone", (_, response) => sendJson(response, { error: "not here" }, 404))
      upstream.route("/surrogate", (_, response) => sendJson(response, '{"name": "\\ud800"}'))
      upstream.route("/text", sendText)
      upstream.route("/huge", streamHugeBody)
      upstream.route("/huge-declared", declareHugeBody)
      upstream.route("/redirect", redirectTo(`${upstream.url}/elsewhere`))
      upstream.route("/elsewhere", (_, response) => sendJson(response, { hijacked: true }))
    })

    afterAll(async () => {
      await tidemark.close()
      await upstream.close()
      await database.drop()
    })

    const expectProblem = async (path: string, status: number, code: string) => {
      const response = await tidemark.request(path)
      expect(response.status).toBe(status)
      expect(response.headers.get("content-type")).toBe("application/problem+json")
      const problem = await bodyOf<Problem>(response)
      expect(problem).toMatchObject({ status, code, type: `urn:tidemark:problem:${code}` })
      expect(problem.title.length).toBeGreaterThan(0)
      expect(problem.detail.length).toBeGreaterThan(0)
      return problem
    }

    const recordedResources = async () => {
      await tidemark.settle()
      return (
        await bodyOf<{ items: Array<{ source: string }> }>(
          await tidemark.request("/v1/resources?limit=500"),
        )
      ).items
    }

    it("a hanging upstream gives 504 upstream_timeout once its timeout has passed", async () => {
      const problem = await expectProblem("/v1/live/hanging", 504, "upstream_timeout")
      expect(problem.detail).toContain("300 ms")
      expect(hangingRequests).toBe(1)
    })

    it("an upstream 500 gives 502 upstream_status with the upstream's status, without retrying", async () => {
      const problem = await expectProblem("/v1/live/failing", 502, "upstream_status")
      expect(problem.upstreamStatus).toBe(500)
      expect(upstream.callsTo("/fail")).toBe(1)
    })

    it("503s are retried up to the source's retries and then succeed", async () => {
      const response = await tidemark.request("/v1/live/flaky")
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true })
      expect(upstream.callsTo("/flaky")).toBe(3)
    })

    it("4xx answers are never retried", async () => {
      const problem = await expectProblem("/v1/live/missing", 502, "upstream_status")
      expect(problem.upstreamStatus).toBe(404)
      expect(upstream.callsTo("/gone")).toBe(1)
    })

    it("a body that is not JSON gives 502 upstream_invalid_json", async () => {
      await expectProblem("/v1/live/text", 502, "upstream_invalid_json")
    })

    it("JSON without a canonical form (a lone surrogate) gives 502 upstream_invalid_json", async () => {
      await expectProblem("/v1/live/surrogate", 502, "upstream_invalid_json")
    })

    it("a streamed body over 5 MiB gives 502 upstream_too_large", async () => {
      await expectProblem("/v1/live/huge", 502, "upstream_too_large")
    })

    it("a declared Content-Length over 5 MiB gives 502 upstream_too_large before reading the body", async () => {
      await expectProblem("/v1/live/hugeDeclared", 502, "upstream_too_large")
    })

    it("a redirect is not followed and gives 502 upstream_redirect", async () => {
      const problem = await expectProblem("/v1/live/redirecting", 502, "upstream_redirect")
      expect(problem.upstreamStatus).toBe(302)
      expect(upstream.callsTo("/elsewhere")).toBe(0)
    })

    it("an unreachable upstream gives 502 upstream_unreachable", async () => {
      await expectProblem("/v1/live/unreachable", 502, "upstream_unreachable")
    })

    it("no failed upstream answer is ever recorded as a version", async () => {
      const sources = (await recordedResources()).map((resource) => resource.source)
      for (const failing of [
        "hanging",
        "failing",
        "missing",
        "text",
        "surrogate",
        "huge",
        "hugeDeclared",
        "redirecting",
        "unreachable",
      ]) {
        expect(sources).not.toContain(failing)
      }
      expect(sources).toContain("flaky")
    })

    it("an unknown source is 404 not_found", async () => {
      await expectProblem("/v1/live/nope", 404, "not_found")
    })

    it.each([
      ["a missing required param", "/v1/live/items", "'name' is required"],
      ["an unknown param", "/v1/live/items?name=x&colour=red", "'colour'"],
      ["a repeated param", "/v1/live/items?name=x&name=y", "more than once"],
      ["an integer that is not one", "/v1/live/items?name=x&limit=2.5", "'limit'"],
      ["a number out of range", "/v1/live/items?name=x&limit=11", "at most 10"],
      ["a value outside the enum", "/v1/live/items?name=x&kind=c", "'kind'"],
      ["a boolean that is not one", "/v1/live/items?name=x&fresh=yes", "'fresh'"],
      ["a value over 1024 characters", `/v1/live/items?name=${"x".repeat(1025)}`, "1024"],
    ])("%s is 400 invalid_request and never reaches upstream", async (_, path, detail) => {
      const before = upstream.requests.length
      const problem = await expectProblem(path, 400, "invalid_request")
      expect(problem.detail).toContain(detail)
      expect(upstream.requests.length).toBe(before)
    })

    it.each([
      ["..", "%2E%2E"],
      [".", "."],
    ])("a path value of %j is refused, never sent upstream", async (_, encoded) => {
      const before = upstream.requests.length
      await expectProblem(`/v1/live/items?name=${encoded}`, 400, "invalid_request")
      expect(upstream.requests.length).toBe(before)
    })

    it.each([
      ["%2e%2e", "%252e%252e"],
      ["a/../../admin", "a%2F..%2F..%2Fadmin"],
      ["%2F", "%252F"],
      ["@evil.example", "%40evil.example"],
      ["a\\b", "a%5Cb"],
      ["a\r\nHost: evil", "a%0D%0AHost%3A%20evil"],
      ["x?admin=1#top", "x%3Fadmin%3D1%23top"],
    ])(
      "a path value of %j stays one path segment on the upstream's host",
      async (value, encoded) => {
        upstream.route(`/items/${encodeURIComponent(value)}`, (_, response) =>
          sendJson(response, { value }),
        )
        const before = upstream.requests.length
        const response = await tidemark.request(`/v1/live/items?name=${encoded}`)
        expect(response.status).toBe(200)
        expect(await response.json()).toEqual({ value })
        const sent = upstream.requests.slice(before)
        expect(sent).toHaveLength(1)
        const path = (sent[0]?.url ?? "").split("?")[0] ?? ""
        const segments = path.split("/")
        expect(segments).toHaveLength(3)
        expect(segments[1]).toBe("items")
        expect(decodeURIComponent(segments[2] ?? "")).toBe(value)
        expect(sent[0]?.headers.host).toBe(`127.0.0.1:${upstream.port}`)
      },
    )
  },
)
