import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { MAX_MEASURED_S, measuredSeconds } from "../../bench/options.js"

const duration = fc.double({ min: 0.5, max: MAX_MEASURED_S, noNaN: true })
const answers = fc.integer({ min: 1, max: 100_000 })
const rate = fc.double({ min: 0.1, max: 100_000, noNaN: true })

describe("a cell's measured seconds", () => {
  it("are the planned seconds where they give enough answers at the warm-up's rate", () => {
    fc.assert(
      fc.property(duration, answers, rate, (d, n, r) => {
        fc.pre(d * r >= n)
        expect(measuredSeconds(d, n, r)).toBe(d)
      }),
    )
  })

  it("stretch to the minimum's answers at that rate, up to the cap, and never shrink", () => {
    fc.assert(
      fc.property(duration, answers, rate, (d, n, r) => {
        const s = measuredSeconds(d, n, r)
        expect(s).toBeGreaterThanOrEqual(d)
        expect(s).toBeLessThanOrEqual(MAX_MEASURED_S)
        if (s < MAX_MEASURED_S) expect(s * r).toBeGreaterThanOrEqual(n)
      }),
    )
  })

  it("keep a longer plan than the cap, and the plan when there is no rate or no minimum", () => {
    expect(measuredSeconds(60, 1000, 10)).toBe(60)
    expect(measuredSeconds(4, 1000, 0)).toBe(4)
    expect(measuredSeconds(4, 0, 10)).toBe(4)
    expect(measuredSeconds(4, 1000, 45)).toBe(23)
  })
})
