import { Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import { withSpanWhenTraced } from "../../src/telemetry/span.js"

const spanInside = Effect.option(Effect.currentSpan).pipe(
  withSpanWhenTraced("Recorder.record", { "tidemark.resource": "prices?symbol=abc" }),
)

describe("withSpanWhenTraced", () => {
  it("runs the effect in a span of that name and attributes while spans are recorded", async () => {
    const span = await Effect.runPromise(spanInside.pipe(Effect.withTracerEnabled(true)))
    expect(Option.isSome(span)).toBe(true)
    if (Option.isNone(span)) return
    expect(span.value.name).toBe("Recorder.record")
    expect(span.value.attributes.get("tidemark.resource")).toBe("prices?symbol=abc")
  })

  it("makes no span at all with the tracer off", async () => {
    const span = await Effect.runPromise(spanInside.pipe(Effect.withTracerEnabled(false)))
    expect(Option.isNone(span)).toBe(true)
  })
})
