import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { contentHash } from "../../src/core/canonical.js"
import { parsePointer } from "../../src/core/pointer.js"
import { makeTracker, type TrackingRule, track, trackedContent } from "../../src/core/tracked.js"
import { documentWithPointers, isLeaf, jsonValue, nodes, removedBy, replaceAt } from "./json.js"

const rule = (select: string, ...ignore: Array<string>): TrackingRule => ({
  select: parsePointer(select),
  ignore: ignore.map(parsePointer),
})

describe("trackedContent and track", () => {
  const body = {
    generated_at: "2024-01-01T00:00:00Z",
    data: { amount: "42000.10", base: "BTC", fetched: 3, "a/b": { "m~n": 1, keep: 2 } },
  }

  it("tracks the selected value without the ignored paths, which are relative to it", () => {
    expect(trackedContent(body, rule("/data", "/fetched", "/a~1b/m~0n"))).toStrictEqual({
      amount: "42000.10",
      base: "BTC",
      "a/b": { keep: 2 },
    })
  })

  it("tracks null when the selected path is missing", () => {
    expect(trackedContent(body, rule("/nope"))).toBeNull()
    expect(trackedContent([1], rule("/1"))).toBeNull()
  })

  it("hashes the tracked content canonically", () => {
    const tracked = track(body, rule("/data/a~1b"))
    expect(tracked).toStrictEqual({
      content: { "m~n": 1, keep: 2 },
      hash: contentHash(JSON.parse('{"keep":2.0,"m~n":1}')),
    })
  })

  it("keeps its hash when only ignored paths change", () => {
    const scenario = fc.tuple(documentWithPointers({ arrays: true }), fc.nat(), fc.jsonValue())
    fc.assert(
      fc.property(scenario, ([[doc, ignore], pick, value]) => {
        const ignored = nodes(doc).filter((node) => removedBy(ignore, node.path))
        fc.pre(ignored.length > 0)
        const target = ignored[pick % ignored.length]?.path ?? []
        const changed = replaceAt(doc, target, value)
        const tracking: TrackingRule = { select: [], ignore }
        expect(track(changed, tracking).hash).toBe(track(doc, tracking).hash)
      }),
    )
  })

  it("changes its hash when a tracked leaf changes", () => {
    const scenario = fc.tuple(documentWithPointers({ arrays: true }), fc.nat())
    fc.assert(
      fc.property(scenario, ([[doc, ignore], pick]) => {
        const tracked = nodes(doc).filter(
          (node) => isLeaf(node.value) && !removedBy(ignore, node.path),
        )
        fc.pre(tracked.length > 0)
        const target = tracked[pick % tracked.length]
        if (target === undefined) return
        const other = typeof target.value === "string" ? `${target.value}!` : "changed"
        const tracking: TrackingRule = { select: [], ignore }
        const changed = replaceAt(doc, target.path, other)
        expect(track(changed, tracking).hash).not.toBe(track(doc, tracking).hash)
      }),
    )
  })
})

describe("makeTracker", () => {
  const whole: TrackingRule = { select: [], ignore: [] }

  it("gives every answer the hash track gives it, whatever it remembers and forgets", () => {
    // Few resources and small bounds, so answers repeat, change back and get forgotten.
    const answers = fc.array(
      fc.tuple(
        fc.constantFrom("a", "b", "c"),
        fc.oneof(jsonValue, fc.constant({ v: 1 })),
        fc.nat(8),
      ),
      { maxLength: 40 },
    )
    fc.assert(
      fc.property(answers, (sequence) => {
        const tracker = makeTracker(2, 10)
        for (const [id, body, weight] of sequence) {
          expect(tracker(id, body, whole, weight).hash).toBe(track(body, whole).hash)
        }
      }),
    )
  })

  it("hands back what it remembered for an unchanged answer, without hashing it again", () => {
    const tracker = makeTracker(10, 1000)
    const first = tracker("r", { price: 1, at: "09:00" }, rule("", "/at"), 10)
    const again = tracker("r", { at: "09:01", price: 1.0 }, rule("", "/at"), 10)
    expect(again).toBe(first)
    const changed = tracker("r", { price: 2, at: "09:02" }, rule("", "/at"), 10)
    expect(changed).not.toBe(first)
    expect(changed.hash).toBe(track({ price: 2 }, whole).hash)
  })

  it("remembers at most its resources and its weight, forgetting the oldest first", () => {
    const tracker = makeTracker(2, 100)
    const a = tracker("a", 1, whole, 10)
    tracker("b", 1, whole, 10)
    expect(tracker("a", 1, whole, 10)).toBe(a)
    tracker("c", 1, whole, 10)
    // Three resources for two places: a, remembered first, is forgotten.
    expect(tracker("a", 1, whole, 10)).not.toBe(a)
    const heavy = tracker("d", 1, whole, 101)
    expect(tracker("d", 1, whole, 101)).not.toBe(heavy)
    const b = tracker("b", 2, whole, 60)
    tracker("c", 2, whole, 60)
    // 120 of weight for 100: b goes.
    expect(tracker("b", 2, whole, 60)).not.toBe(b)
  })
})
