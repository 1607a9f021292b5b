import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { overtaken } from "../../bench/overtaken.js"

const ranks = fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 200 })

/** The same count and distance, by comparing each item with every one before it. */
const byEveryPair = (items: ReadonlyArray<number>) => {
  let count = 0
  let farthest = 0
  items.forEach((item, at) => {
    const before = items.slice(0, at)
    const highest = Math.max(...before)
    if (before.length > 0 && highest > item) {
      count++
      farthest = Math.max(farthest, highest - item)
    }
  })
  return { count, farthest }
}

describe("overtaken", () => {
  it("finds nothing in a sequence already in order", () => {
    fc.assert(
      fc.property(ranks, (items) => {
        const sorted = [...items].sort((a, b) => a - b)
        expect(overtaken(sorted, (item) => item)).toEqual({ count: 0, farthest: 0 })
      }),
    )
  })

  it("counts the items that come after a higher one, and the largest shortfall", () => {
    fc.assert(
      fc.property(ranks, (items) => {
        expect(overtaken(items, (item) => item)).toEqual(byEveryPair(items))
      }),
    )
  })

  it("counts every item but the first in a sequence in reverse order", () => {
    expect(overtaken([5, 4, 3, 1], (item) => item)).toEqual({ count: 3, farthest: 4 })
  })
})
