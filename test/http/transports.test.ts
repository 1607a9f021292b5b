/**
 * The upstream call over each transport: undici's dispatcher (Node), node:http (Bun) and
 * `fetch` (any runtime) give the same outcome for every case the error table names, both
 * as an effect (`fetch`) and as the live path starts it (`unsafeStart`).
 */
import { Cause, Effect, Exit, Fiber, type Layer, ManagedRuntime, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { UpstreamError } from "../../src/Errors.js"
import { type CallExit, Upstream, type UpstreamShape } from "../../src/live/Upstream.js"
import { decodeSources, type Source } from "../../src/SourcesFile.js"
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
import { waitFor } from "../support/waiting.js"

const transports: ReadonlyArray<{ name: string; layer: Layer.Layer<Upstream> }> = [
  { name: "undici", layer: Upstream.undici },
  { name: "node:http", layer: Upstream.node },
  { name: "fetch", layer: Upstream.live },
]

const BODY = '{ "price": 1.5, "at": "2026-11-26T00:00:00Z" }'

describe.each(transports)("the upstream call over $name", ({ layer }) => {
  let upstream: UpstreamStandIn
  let runtime: ManagedRuntime.ManagedRuntime<Upstream, never>
  let calls: UpstreamShape
  const sources = new Map<string, Source>()
  let hangsClosed = 0

  beforeAll(async () => {
    upstream = await startUpstream()
    const deadPort = await closedPort()
    const at = (path: string, extra: Record<string, unknown> = {}) => ({
      url: `${upstream.url}${path}`,
      retries: 0,
      ...extra,
    })
    const decoded = await Effect.runPromise(
      decodeSources({
        sources: {
          ok: at("/ok", { headers: { "x-api-key": "secret" } }),
          fail: at("/fail"),
          flaky: at("/flaky", { retries: 2 }),
          redirecting: at("/redirect"),
          text: at("/text"),
          huge: at("/huge"),
          declared: at("/huge-declared"),
          hanging: at("/hang", { timeoutMs: 200 }),
          unreachable: { url: `http://127.0.0.1:${deadPort}/nothing`, retries: 0 },
          badHeader: at("/ok", { headers: { "x-api-key": "line\nbreak" } }),
        },
      }),
    )
    for (const source of decoded) sources.set(source.id, source)
    upstream.route("/ok", (_, response) => sendJson(response, BODY))
    upstream.route("/fail", (_, response) => sendJson(response, { error: "boom" }, 500))
    let flakyCalls = 0
    upstream.route("/flaky", (_, response) => {
      flakyCalls++
      if (flakyCalls <= 2) sendJson(response, { error: "busy" }, 503)
      else sendJson(response, { ok: flakyCalls })
    })
    upstream.route("/redirect", redirectTo(`${upstream.url}/elsewhere`))
    upstream.route("/elsewhere", (_, response) => sendJson(response, { hijacked: true }))
    upstream.route("/text", sendText)
    upstream.route("/huge", streamHugeBody)
    upstream.route("/huge-declared", declareHugeBody)
    upstream.route("/hang", (_, response) => {
      response.on("close", () => hangsClosed++)
    })
    runtime = ManagedRuntime.make(layer)
    calls = await runtime.runPromise(Upstream)
  })

  afterAll(async () => {
    await runtime.dispose()
    await upstream.close()
  })

  const source = (id: string): Source => {
    const found = sources.get(id)
    if (found === undefined) throw new Error(`no source ${id}`)
    return found
  }

  /** The call both ways: as an effect, and started as the live path starts it. */
  const bothWays = async (id: string): Promise<[CallExit, CallExit]> => {
    const called = source(id)
    const asEffect = await runtime.runPromiseExit(calls.fetch(called, called.url.template))
    const started = await new Promise<CallExit>((resolve) =>
      calls.unsafeStart(called, called.url.template, undefined, resolve),
    )
    return [asEffect, started]
  }

  const failureOf = (exit: CallExit): UpstreamError | undefined =>
    Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

  const expectFailure = async (id: string, expected: Partial<UpstreamError>) => {
    for (const exit of await bothWays(id)) {
      expect(failureOf(exit)).toMatchObject({ source: id, ...expected })
    }
  }

  it("answers with the body's bytes, its JSON and type, and sends the source's headers", async () => {
    const before = Date.now()
    for (const exit of await bothWays("ok")) {
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isFailure(exit)) return
      const answer = exit.value
      expect(answer.status).toBe(200)
      expect(answer.contentType).toBe("application/json")
      expect(Buffer.from(answer.bytes).toString("utf8")).toBe(BODY)
      expect(answer.text).toBe(BODY)
      expect(answer.json).toEqual({ price: 1.5, at: "2026-11-26T00:00:00Z" })
      expect(answer.observedAt.getTime()).toBeGreaterThanOrEqual(before - 1)
    }
    const sent = upstream.requests.filter((request) => request.url === "/ok")
    expect(sent).toHaveLength(2)
    for (const request of sent) {
      expect(request.method).toBe("GET")
      expect(request.headers.accept).toBe("application/json")
      expect(request.headers["x-api-key"]).toBe("secret")
    }
  })

  it("gives UpstreamStatus for a 500, without retrying", async () => {
    await expectFailure("fail", { _tag: "UpstreamStatus", status: 500 })
    expect(upstream.callsTo("/fail")).toBe(2)
  })

  it("retries 503s up to the source's retries, then answers", async () => {
    const [asEffect, started] = await bothWays("flaky")
    expect(Exit.isSuccess(asEffect)).toBe(true)
    expect(Exit.isSuccess(started)).toBe(true)
    // Two 503s and the answer, then the second way's answer at once.
    expect(upstream.callsTo("/flaky")).toBe(4)
  })

  it("does not follow a redirect: UpstreamRedirect, and the target is never called", async () => {
    await expectFailure("redirecting", { _tag: "UpstreamRedirect", status: 302 })
    expect(upstream.callsTo("/elsewhere")).toBe(0)
  })

  it("gives UpstreamInvalidJson for a body that is not JSON", async () => {
    await expectFailure("text", { _tag: "UpstreamInvalidJson" })
  })

  it("gives UpstreamTooLarge for a streamed body over 5 MiB, and for a declared one", async () => {
    await expectFailure("huge", { _tag: "UpstreamTooLarge" })
    await expectFailure("declared", { _tag: "UpstreamTooLarge" })
  })

  it("gives UpstreamTimeout once the source's timeout has passed, and closes the request", async () => {
    const closedBefore = hangsClosed
    await expectFailure("hanging", { _tag: "UpstreamTimeout", timeoutMs: 200 })
    await waitFor("both timed-out requests closed", () => hangsClosed === closedBefore + 2)
  })

  it("gives UpstreamUnreachable for a closed port", async () => {
    await expectFailure("unreachable", { _tag: "UpstreamUnreachable" })
  })

  it("refuses a header value with a line break before anything is sent", async () => {
    const okCalls = upstream.callsTo("/ok")
    await expectFailure("badHeader", { _tag: "UpstreamUnreachable" })
    expect(upstream.callsTo("/ok")).toBe(okCalls)
  })

  it("closes the request when the call is interrupted", async () => {
    const closedBefore = hangsClosed
    const hanging = source("hanging")
    const fiber = runtime.runFork(calls.fetch(hanging, hanging.url.template))
    const hangs = upstream.callsTo("/hang")
    await waitFor("the call to reach the upstream", () => upstream.callsTo("/hang") > hangs)
    await runtime.runPromise(Fiber.interrupt(fiber))
    await waitFor("the interrupted request closed", () => hangsClosed === closedBefore + 1)
  })
})
