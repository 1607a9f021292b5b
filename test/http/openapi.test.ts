import { Validator } from "@seriousme/openapi-schema-validator"
import { Ajv2020 } from "ajv/dist/2020.js"
import addFormats from "ajv-formats"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import packageJson from "../../package.json" with { type: "json" }
import { freshPglite, type TestDatabase } from "../support/databases.js"
import { bodyOf, startTidemark, type TestApp } from "../support/tidemark.js"
import { closedPort, sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"

interface Parameter {
  readonly in: string
  readonly name: string
  readonly required?: boolean
  readonly schema?: Record<string, unknown>
}
interface ResponseDoc {
  readonly description: string
  readonly headers?: Record<string, { readonly required?: boolean }>
  readonly content?: Record<string, { readonly schema: unknown }>
}
interface Operation {
  readonly operationId: string
  readonly summary: string
  readonly tags: ReadonlyArray<string>
  readonly parameters?: ReadonlyArray<Parameter>
  readonly security?: ReadonlyArray<Record<string, ReadonlyArray<string>>>
  readonly responses: Record<string, ResponseDoc>
}
interface OpenApi {
  readonly openapi: string
  readonly info: { readonly title: string; readonly version: string }
  readonly security?: ReadonlyArray<Record<string, ReadonlyArray<string>>>
  readonly paths: Record<string, { readonly get: Operation }>
  readonly components: {
    readonly schemas: Record<string, { readonly properties: Record<string, { enum?: unknown[] }> }>
    readonly securitySchemes?: Record<string, unknown>
  }
}

/** The problem codes and their statuses, as the README's table promises them. */
const PROBLEMS = [
  ["not_found", 404],
  ["invalid_request", 400],
  ["unauthorized", 401],
  ["upstream_timeout", 504],
  ["upstream_unreachable", 502],
  ["upstream_status", 502],
  ["upstream_invalid_json", 502],
  ["upstream_too_large", 502],
  ["upstream_redirect", 502],
  ["database_unavailable", 503],
  ["internal_error", 500],
] as const

const API_PATHS = [
  "/healthz",
  "/readyz",
  "/metrics",
  "/openapi.json",
  "/v1/sources",
  "/v1/live/{source}",
  "/v1/resources",
  "/v1/resources/{id}",
  "/v1/resources/{id}/versions",
  "/v1/resources/{id}/versions/{n}",
  "/v1/resources/{id}/series",
  "/v1/resources/{id}/diff",
  "/v1/resources/{id}/events",
]

/** The page's routes serve HTML to browsers and are not part of the API. */
const WEB_PAGE = ["/", "/resources/{id}"]

const TOKEN = "openapi-test-token"
const signedIn = { headers: { authorization: `Bearer ${TOKEN}` } }

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
const pointerTo = (...segments: ReadonlyArray<string>) =>
  segments
    .map((segment) => `/${encodeURIComponent(segment.replaceAll("~", "~0").replaceAll("/", "~1"))}`)
    .join("")

const documentOf = async (tidemark: TestApp) => {
  const response = await tidemark.request("/openapi.json")
  expect(response.status).toBe(200)
  return bodyOf<OpenApi>(response)
}

/** Checks real answers against the document: status, headers, content type and body. */
const conformance = (document: OpenApi) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  ajv.addSchema(document, "openapi.json")
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${escapeRegExp(template).replace(/\\\{[^}]+\\\}/g, "[^/]+")}$`),
  }))
  const expectValid = (where: string, pointer: string, value: unknown) => {
    const validate = ajv.compile({ $ref: `openapi.json#${pointer}` })
    expect(validate(value), `${where}: ${JSON.stringify(validate.errors)}`).toBe(true)
  }
  return async (response: Response, path: string) => {
    const pathname = new URL(path, "http://tidemark.test").pathname
    const template = templates.find((candidate) => candidate.pattern.test(pathname))?.template
    if (template === undefined) throw new Error(`no documented path matches ${pathname}`)
    const status = String(response.status)
    const documented = document.paths[template]?.get.responses[status]
    if (documented === undefined)
      throw new Error(`GET ${template} answered ${status}, undocumented`)
    const at = (...segments: ReadonlyArray<string>) =>
      pointerTo("paths", template, "get", "responses", status, ...segments)
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      const value = response.headers.get(name)
      if (header.required) expect(value, `${path}: header ${name}`).not.toBeNull()
      if (value !== null)
        expectValid(`${path}: header ${name}`, at("headers", name, "schema"), value)
    }
    if (documented.content === undefined) {
      expect(await response.text(), `${path}: a ${status} has no body`).toBe("")
      return undefined
    }
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? ""
    expect(Object.keys(documented.content), `${path}: content type`).toContain(mediaType)
    if (mediaType === "text/event-stream") {
      await response.body?.cancel()
      return undefined
    }
    const text = await response.text()
    const body: unknown = mediaType.endsWith("json") ? JSON.parse(text) : text
    expectValid(`${path}: body`, at("content", mediaType, "schema"), body)
    return body
  }
}

describe("the OpenAPI document", () => {
  let database: TestDatabase
  let bare: TestDatabase
  let upstream: UpstreamStandIn
  let tidemark: TestApp
  let untokened: TestApp
  let document: OpenApi
  let conforms: ReturnType<typeof conformance>
  const prices = new Map<string, string>()

  beforeAll(async () => {
    database = await freshPglite()
    bare = await freshPglite()
    upstream = await startUpstream()
    const deadPort = await closedPort()
    const sources = {
      price: {
        description: "a price",
        url: `${upstream.url}/prices/{pair}`,
        params: { pair: { type: "string" as const, pattern: "^[A-Z]{3}-[A-Z]{3}$" } },
        select: "/data",
        ignore: ["/generated_at"],
      },
      slow: { url: `${upstream.url}/slow`, timeoutMs: 200, retries: 0 },
      failing: { url: `${upstream.url}/fail`, retries: 0 },
      text: { url: `${upstream.url}/text`, retries: 0 },
      unreachable: { url: `http://127.0.0.1:${deadPort}/nothing`, retries: 0 },
    }
    upstream.route("/slow", () => undefined)
    upstream.route("/fail", (_, response) => sendJson(response, { error: "boom" }, 500))
    upstream.route("/text", (_, response) => {
      response.writeHead(200, { "content-type": "text/plain" })
      response.end("not { json")
    })
    for (const pair of ["EUR-USD", "GBP-USD"]) {
      upstream.route(`/prices/${pair}`, (_, response) =>
        sendJson(response, { data: { amount: prices.get(pair) ?? "1.00" }, generated_at: 1 }),
      )
    }
    tidemark = await startTidemark(database.target, { sources }, { apiToken: Redacted.make(TOKEN) })
    untokened = await startTidemark(bare.target, { sources })
    document = await documentOf(tidemark)
    conforms = conformance(document)
  })
  afterAll(async () => {
    await tidemark.close()
    await untokened.close()
    await upstream.close()
    await database.drop()
    await bare.drop()
  })

  /** A request's body once it has conformed to the document, typed as the test expects it. */
  const get = async <T = unknown>(path: string, init: RequestInit = signedIn) =>
    (await conforms(await tidemark.request(path, init), path)) as T

  it("is a valid OpenAPI 3.1 document, served without the token", async () => {
    const served = await tidemark.request("/openapi.json")
    expect(served.headers.get("content-type")).toMatch(/^application\/json/)
    const result = await new Validator().validate(await bodyOf(served))
    expect(result).toEqual({ valid: true })
    expect(document.openapi).toBe("3.1.0")
    expect(document.info).toMatchObject({ title: "Tidemark", version: packageJson.version })
  })

  it("describes every route of the API, each with an id, a summary and a tag", () => {
    expect(Object.keys(document.paths).sort()).toEqual([...API_PATHS].sort())
    const routes = tidemark.app.routes
      .filter((route) => route.method === "GET")
      .map((route) => route.path.replace(/:([^/]+)/g, "{$1}"))
      .filter((path) => !WEB_PAGE.includes(path) && !path.startsWith("/assets/"))
    for (const path of routes) expect(API_PATHS).toContain(path)
    const operations = Object.values(document.paths).map((item) => item.get)
    expect(new Set(operations.map((operation) => operation.operationId)).size).toBe(
      API_PATHS.length,
    )
    for (const operation of operations) {
      expect(operation.summary.length).toBeGreaterThan(0)
      expect(operation.tags.length).toBeGreaterThan(0)
    }
  })

  it("lists every problem code and documents each under its status as problem+json", () => {
    const problem = document.components.schemas.Problem
    expect(problem?.properties.code?.enum?.toSorted()).toEqual(
      PROBLEMS.map(([code]) => code).toSorted(),
    )
    const responses = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item.get.responses).map(([status, response]) => ({ path, status, response })),
    )
    for (const [code, status] of PROBLEMS) {
      const documenting = responses.filter(
        (documented) =>
          documented.status === String(status) &&
          documented.response.description.includes(`\`${code}\``),
      )
      expect(documenting.length, `${code} under ${status}`).toBeGreaterThan(0)
    }
    for (const { path, status, response } of responses) {
      if (Number(status) < 400 || path === "/readyz") continue
      expect(response.content, `${path} ${status}`).toEqual({
        "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
      })
    }
  })

  it("documents the parameters from the schemas the routes decode with", () => {
    const parameters = (path: string) =>
      Object.fromEntries(
        (document.paths[path]?.get.parameters ?? []).map((parameter) => [
          `${parameter.in} ${parameter.name}`,
          parameter,
        ]),
      )
    const expected: Record<string, Record<string, unknown>> = {
      "/v1/resources": {
        "query source": { schema: { type: "string", maxLength: 64 } },
        "query limit": { schema: { type: "integer", minimum: 1, maximum: 500, default: 50 } },
        "query cursor": { schema: { type: "string" } },
      },
      "/v1/resources/{id}": { "path id": { required: true } },
      "/v1/resources/{id}/versions": {
        "path id": { required: true, schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
        "query limit": { schema: { type: "integer", minimum: 1, maximum: 500, default: 50 } },
        "query before": { schema: { type: "integer", minimum: 1 } },
      },
      "/v1/resources/{id}/versions/{n}": {
        "path id": { required: true },
        "path n": { required: true, schema: { type: "integer", minimum: 1 } },
      },
      "/v1/resources/{id}/diff": {
        "path id": { required: true },
        "query from": { required: true, schema: { type: "integer", minimum: 1 } },
        "query to": { required: true, schema: { type: "integer", minimum: 1 } },
      },
      "/v1/resources/{id}/series": {
        "path id": { required: true },
        "query path": { required: true, schema: { type: "string" } },
        "query limit": { schema: { type: "integer", minimum: 1, maximum: 1000, default: 500 } },
      },
      "/v1/resources/{id}/events": { "path id": { required: true } },
      "/v1/live/{source}": {
        "path source": {
          required: true,
          schema: { enum: ["price", "slow", "failing", "text", "unreachable"] },
        },
        "query params": { style: "form", explode: true, schema: { type: "object" } },
        "header If-None-Match": { schema: { type: "string" } },
      },
    }
    for (const path of API_PATHS) {
      const documented = parameters(path)
      expect(Object.keys(documented).sort(), path).toEqual(Object.keys(expected[path] ?? {}).sort())
      expect(documented, path).toMatchObject(expected[path] ?? {})
    }
  })

  it("puts the /v1 routes and /metrics behind the bearer token only when one is set", async () => {
    expect(document.components.securitySchemes).toEqual({
      bearer: { type: "http", scheme: "bearer", description: expect.any(String) },
    })
    for (const [path, item] of Object.entries(document.paths)) {
      const guarded = path.startsWith("/v1/") || path === "/metrics"
      const security = item.get.security ?? document.security
      expect(security, path).toEqual(guarded ? [{ bearer: [] }] : [])
      expect(item.get.responses["401"] !== undefined, path).toBe(guarded)
    }
    const open = await documentOf(untokened)
    expect(open.components.securitySchemes).toBeUndefined()
    expect(open.security).toBeUndefined()
    for (const [path, item] of Object.entries(open.paths)) {
      expect(item.get.security, path).toBeUndefined()
      expect(item.get.responses["401"], path).toBeUndefined()
    }
  })

  it("describes the live route's answers: 200, 304, 400, 404, 502 and 504", async () => {
    prices.set("EUR-USD", "1.50")
    const first = await tidemark.request("/v1/live/price?pair=EUR-USD", signedIn)
    const etag = first.headers.get("etag") ?? ""
    expect(await conforms(first, "/v1/live/price?pair=EUR-USD")).toEqual({
      data: { amount: "1.50" },
      generated_at: 1,
    })
    const unchanged = { headers: { ...signedIn.headers, "if-none-match": etag } }
    expect(await get("/v1/live/price?pair=EUR-USD", unchanged)).toBeUndefined()
    for (const [path, code] of [
      ["/v1/live/price", "invalid_request"],
      ["/v1/live/price?pair=EUR-USD&pair=GBP-USD", "invalid_request"],
      ["/v1/live/price?pair=eur", "invalid_request"],
      ["/v1/live/nope", "not_found"],
      ["/v1/live/failing", "upstream_status"],
      ["/v1/live/text", "upstream_invalid_json"],
      ["/v1/live/unreachable", "upstream_unreachable"],
      ["/v1/live/slow", "upstream_timeout"],
    ] as const) {
      expect(await get(path), path).toMatchObject({ code })
    }
  })

  it("describes the history routes' answers: 200, 400 and 404", async () => {
    let id = ""
    for (const amount of ["2.00", "2.25"]) {
      prices.set("GBP-USD", amount)
      const answer = await tidemark.request("/v1/live/price?pair=GBP-USD", signedIn)
      id = answer.headers.get("tidemark-resource") ?? ""
      expect(await conforms(answer, "/v1/live/price?pair=GBP-USD")).toMatchObject({
        data: { amount },
      })
      await tidemark.settle()
    }
    expect(await get("/v1/resources?source=price&limit=1")).toMatchObject({
      items: [{ source: "price" }],
      nextCursor: expect.any(String),
    })
    const resource = `/v1/resources/${id}`
    const answers = [
      ["/v1/resources", 200],
      [resource, 200],
      [`${resource}/versions`, 200],
      [`${resource}/versions?limit=1`, 200],
      [`${resource}/versions/1`, 200],
      [`${resource}/diff?from=1&to=1`, 200],
      [`${resource}/series?path=/amount`, 200],
      ["/v1/resources?limit=0", 400],
      ["/v1/resources?colour=red", 400],
      ["/v1/resources?limit=2&limit=3", 400],
      ["/v1/resources/bad%20id", 400],
      [`${resource}/versions?before=x`, 400],
      [`${resource}/versions/0`, 400],
      [`${resource}/diff?from=1`, 400],
      [`${resource}/series`, 400],
      ["/v1/resources/unknownresource", 404],
      ["/v1/resources/unknownresource/versions", 404],
      [`${resource}/versions/99`, 404],
      [`${resource}/diff?from=1&to=99`, 404],
      ["/v1/resources/unknownresource/series?path=/amount", 404],
      ["/v1/resources/bad%20id/events", 400],
    ] as const
    for (const [path, status] of answers) {
      const response = await tidemark.request(path, signedIn)
      expect(response.status, path).toBe(status)
      await conforms(response, path)
    }
  })

  it("answers bad history input with invalid_request naming the field and the reason", async () => {
    for (const [path, detail] of [
      ["/v1/resources?limit=abc", `query 'limit': Unable to decode "abc" into a number`],
      ["/v1/resources?limit=0", "query 'limit': Expected a number between 1 and 500, actual 0"],
      ["/v1/resources?colour=red", "query 'colour': is unexpected"],
      ["/v1/resources?limit=2&limit=3", "query 'limit': is given more than once"],
      ["/v1/resources/bad%20id", "path 'id': Expected a string matching the pattern"],
      ["/v1/resources/abcd/diff?from=1", "query 'to': is missing"],
    ] as const) {
      const problem = await get<{ status: number; code: string; detail: string }>(path)
      expect(problem, path).toMatchObject({ status: 400, code: "invalid_request" })
      expect(problem.detail, path).toContain(detail)
    }
  })

  it("describes the version, diff and series bodies of a resource with two versions", async () => {
    prices.set("EUR-USD", "1.75")
    const answer = await tidemark.request("/v1/live/price?pair=EUR-USD", signedIn)
    const resource = `/v1/resources/${answer.headers.get("tidemark-resource")}`
    await conforms(answer, "/v1/live/price?pair=EUR-USD")
    await tidemark.settle()
    expect(await get(resource)).toMatchObject({ latestVersion: 2, latest: { version: 2 } })
    expect(await get(`${resource}/diff?from=1&to=2`)).toEqual([
      { op: "replace", path: "/amount", value: expect.any(String) },
    ])
    expect(await get(`${resource}/versions/2`)).toMatchObject({ version: 2 })
    expect(await get(`${resource}/versions?limit=1`)).toMatchObject({ nextBefore: 2 })
    expect(await get(`${resource}/series?path=/amount`)).toMatchObject({
      points: [{ version: 1 }, { version: 2 }],
    })
    const events = new AbortController()
    const stream = await tidemark.request(`${resource}/events`, {
      ...signedIn,
      signal: events.signal,
    })
    expect(stream.status).toBe(200)
    await conforms(stream, `${resource}/events`)
    events.abort()
  })

  it("describes the sources, service routes and 401s", async () => {
    expect(await get("/v1/sources")).toMatchObject({
      sources: expect.arrayContaining([expect.objectContaining({ id: "price" })]),
    })
    expect(await get("/healthz", {})).toEqual({ status: "ok" })
    expect(await get("/readyz", {})).toEqual({ status: "ready" })
    expect(await get("/metrics")).toEqual(expect.stringContaining("tidemark"))
    expect(await get("/openapi.json", {})).toMatchObject({ openapi: "3.1.0" })
    for (const path of [
      "/v1/sources",
      "/v1/live/price?pair=EUR-USD",
      "/v1/resources",
      "/metrics",
    ]) {
      expect(await get(path, {}), path).toMatchObject({ code: "unauthorized" })
    }
    const wrong = { headers: { authorization: "Bearer not-the-token" } }
    expect(await get("/v1/resources/x/versions", wrong)).toMatchObject({ code: "unauthorized" })
  })
})
