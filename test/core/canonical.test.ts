import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalJson, canonicallyEqual, contentHash } from "../../src/core/canonical.js"
import { jsonValue, nodes, reorderKeys, replaceAt, withoutNegativeZero } from "./json.js"

/** The value with every object's keys shuffled, each object independently. */
const withShuffledKeys = fc
  .tuple(jsonValue, fc.gen())
  .map(
    ([value, g]) =>
      [
        value,
        reorderKeys(value, (keys) => g(fc.shuffledSubarray, [...keys], { minLength: keys.length })),
      ] as const,
  )

describe("canonicalJson", () => {
  it("ignores object key order at every depth", () => {
    fc.assert(
      fc.property(withShuffledKeys, ([value, shuffled]) => {
        expect(canonicalJson(shuffled)).toBe(canonicalJson(value))
      }),
    )
  })

  it("writes keys sorted, numbers in shortest form and no whitespace", () => {
    const text = canonicalJson(
      JSON.parse('{ "b": [1.50, 1e2, "x"], "a": { "d": true, "c": null } }'),
    )
    expect(text).toBe('{"a":{"c":null,"d":true},"b":[1.5,100,"x"]}')
  })

  it("keeps array order: a reordering of distinct elements canonicalises differently", () => {
    const distinct = fc.uniqueArray(jsonValue, {
      minLength: 2,
      maxLength: 6,
      selector: canonicalJson,
    })
    const reordered = fc.tuple(distinct, fc.gen()).map(([items, g]) => {
      const order = g(fc.shuffledSubarray, [...items.keys()], { minLength: items.length })
      const identity = order.every((index, position) => index === position)
      const permutation = identity ? [1, 0, ...order.slice(2)] : order
      return [items, permutation.map((index) => items[index])] as const
    })
    fc.assert(
      fc.property(reordered, ([items, permuted]) => {
        expect(canonicalJson(permuted)).not.toBe(canonicalJson(items))
      }),
    )
  })

  it("keeps values: parsing the canonical form gives back the same JSON value", () => {
    // JSON numbers compare by value and RFC 8785 writes -0 as 0, so -0 comes back as 0.
    const value = jsonValue.map(withoutNegativeZero)
    fc.assert(
      fc.property(value, (value) => {
        expect(JSON.parse(canonicalJson(value))).toStrictEqual(value)
      }),
    )
  })

  it("compares numbers by value: 1.0 and 1, 1e2 and 100, -0 and 0 are the same", () => {
    expect(canonicalJson(JSON.parse("[1.0, 1e2, -0, 0.50, 1E-7]"))).toBe("[1,100,0,0.5,1e-7]")
    expect(canonicalJson(JSON.parse('{"n":1.0}'))).toBe(canonicalJson({ n: 1 }))
    expect(canonicalJson(JSON.parse("1e2"))).toBe(canonicalJson(100))
  })

  it("gives one form for every notation of a number", () => {
    const number = fc.double({ noNaN: true, noDefaultInfinity: true })
    fc.assert(
      fc.property(number, (n) => {
        const notations = [
          String(n),
          n.toExponential(),
          n.toPrecision(17),
          n.toExponential().toUpperCase(),
        ]
        for (const text of notations) expect(canonicalJson(JSON.parse(text))).toBe(canonicalJson(n))
      }),
    )
  })

  it("keeps a __proto__ key as an ordinary member", () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "a": 2}')
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"a":2}')
  })

  it("refuses what has no I-JSON form: lone surrogates, undefined", () => {
    expect(() => canonicalJson("\uD800")).toThrow()
    expect(() => canonicalJson(undefined)).toThrow(TypeError)
  })
})

describe("contentHash", () => {
  const pair = fc.oneof(
    fc.tuple(jsonValue, jsonValue),
    withShuffledKeys,
    jsonValue.map((value) => [value, structuredClone(value)] as const),
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((n) => [n, JSON.parse(n.toExponential())] as const),
  )

  it("is equal for two values if and only if they are canonically equal", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(contentHash(a) === contentHash(b)).toBe(canonicallyEqual(a, b))
      }),
    )
  })

  it("is the SHA-256 of the canonical form, in lower-case hex", () => {
    expect(contentHash({ b: 1, a: [] })).toBe(contentHash(JSON.parse('{"a":[],"b":1.0}')))
    // sha256('{"a":1}')
    expect(contentHash({ a: 1 })).toBe(
      "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
    )
  })
})

describe("canonicallyEqual", () => {
  /** A value and a copy with one node replaced by another value, which may be equal to it. */
  const oneNodeReplaced = fc.tuple(jsonValue, fc.nat(), jsonValue).map(([value, pick, other]) => {
    const all = nodes(value)
    const target = all[pick % all.length]?.path ?? []
    return [value, replaceAt(value, target, other)] as const
  })
  const pair = fc.oneof(
    fc.tuple(jsonValue, jsonValue),
    withShuffledKeys,
    oneNodeReplaced,
    jsonValue.map((value) => [value, withoutNegativeZero(value)] as const),
  )

  it("agrees with comparing the canonical forms, for any two JSON values", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(canonicallyEqual(a, b)).toBe(canonicalJson(a) === canonicalJson(b))
      }),
      { numRuns: 500 },
    )
  })

  it("tells arrays from objects with the same members, and counts keys on both sides", () => {
    expect(canonicallyEqual([1], { 0: 1 })).toBe(false)
    expect(canonicallyEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(canonicallyEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false)
    expect(canonicallyEqual(JSON.parse('{"__proto__":1}'), JSON.parse('{"__proto__":1}'))).toBe(
      true,
    )
    expect(canonicallyEqual(JSON.parse('{"__proto__":1}'), {})).toBe(false)
    expect(canonicallyEqual(-0, 0)).toBe(true)
  })
})
