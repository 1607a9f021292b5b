import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshPglite, type TestDatabase } from "../support/databases.js"
import { startTidemark, type TestApp } from "../support/tidemark.js"
import { sendJson, startUpstream, type UpstreamStandIn } from "../support/upstream.js"
import { waitFor } from "../support/waiting.js"

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
}
interface OtlpExport {
  resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>
}

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps every span it is sent (JSON encoding). */
const startReceiver = async () => {
  const spans: OtlpSpan[] = []
  const paths: string[] = []
  const server: Server = createServer((request, response) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => {
      body += chunk
    })
    request.on("end", () => {
      paths.push(request.url ?? "")
      const parsed = JSON.parse(body) as OtlpExport
      for (const resource of parsed.resourceSpans) {
        for (const scope of resource.scopeSpans) spans.push(...scope.spans)
      }
      response.writeHead(200, { "content-type": "application/json" })
      response.end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe("traces and metrics", () => {
  let database: TestDatabase
  let upstream: UpstreamStandIn
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let tidemark: TestApp
  const value = 1

  beforeAll(async () => {
    database = await freshPglite()
    upstream = await startUpstream()
    upstream.route("/v", (_, response) => sendJson(response, { value }))
    receiver = await startReceiver()
    tidemark = await startTidemark(
      database.target,
      { sources: { v: { url: `${upstream.url}/v` } } },
      {
        otlpEndpoint: receiver.url,
        apiToken: Redacted.make("api-token"),
        metricsToken: Redacted.make("metrics-token"),
      },
    )
  })
  afterAll(async () => {
    await tidemark.close()
    await receiver.close()
    await upstream.close()
    await database.drop()
  })

  const authorized = { headers: { authorization: "Bearer api-token" } }

  it("exports one trace per request with the upstream call, history read and recording as its descendants", async () => {
    const response = await tidemark.request("/v1/live/v", authorized)
    expect(response.status).toBe(200)
    await tidemark.settle()
    await waitFor(
      "the recording's span",
      () => receiver.spans.some((span) => span.name === "Recorder.record"),
      {
        attempts: 500,
        intervalMs: 20,
      },
    )
    const request = receiver.spans.find(
      (span) => span.name === "http.request" && span.parentSpanId === undefined,
    )
    expect(request).toBeDefined()
    const trace = receiver.spans.filter((span) => span.traceId === request?.traceId)
    const byId = new Map(trace.map((span) => [span.spanId, span]))
    const descendsFromRequest = (span: OtlpSpan): boolean => {
      let current: OtlpSpan | undefined = span
      while (current?.parentSpanId !== undefined) {
        if (current.parentSpanId === request?.spanId) return true
        current = byId.get(current.parentSpanId)
      }
      return false
    }
    for (const name of [
      "Live.observe",
      "Upstream.fetch",
      "History.latest",
      "Recorder.record",
      "History.append",
    ]) {
      const span = trace.find((candidate) => candidate.name === name)
      expect(span, name).toBeDefined()
      if (span !== undefined)
        expect(descendsFromRequest(span), `${name} descends from the request`).toBe(true)
    }
    expect(receiver.paths.every((path) => path === "/v1/traces")).toBe(true)
  })

  it("serves Prometheus metrics behind the metrics token", async () => {
    expect((await tidemark.request("/metrics")).status).toBe(401)
    expect((await tidemark.request("/metrics", authorized)).status).toBe(401)
    const response = await tidemark.request("/metrics", {
      headers: { authorization: "Bearer metrics-token" },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("text/plain")
    const text = await response.text()
    for (const line of [
      /^# TYPE tidemark_http_requests_total counter$/m,
      /^tidemark_http_requests_total\{method="GET",route="\/v1\/live\/:source",status="200"\} \d+$/m,
      /^# TYPE tidemark_http_request_duration_seconds histogram$/m,
      /^tidemark_upstream_requests_total\{source="v",outcome="ok"\} \d+$/m,
      /^# TYPE tidemark_upstream_request_duration_seconds histogram$/m,
      /^tidemark_recordings_total\{outcome="appended"\} \d+$/m,
      /^# TYPE tidemark_answer_to_recorded_seconds histogram$/m,
      /^tidemark_recorder_queue_depth \d+$/m,
    ]) {
      expect(text).toMatch(line)
    }
  })
})
