import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  MAX_PARAM_LENGTH,
  normaliseParams,
  type ParamSpec,
  type ParamsResult,
  resourceId,
  resourceKey,
} from "../../src/core/params.js"
import { anyString } from "./strings.js"

const weather: Record<string, ParamSpec> = {
  latitude: { type: "number", minimum: -90, maximum: 90 },
  longitude: { type: "number", minimum: -180, maximum: 180 },
  days: { type: "integer", minimum: 1, maximum: 16, default: 7 },
  units: { type: "string", enum: ["metric", "imperial"], default: "metric" },
  hourly: { type: "boolean", default: false },
  pair: { type: "string", pattern: "^[A-Z]{2,10}-[A-Z]{2,10}$", default: "BTC-EUR" },
}

const query = (text: string): Record<string, Array<string>> => {
  const raw: Record<string, Array<string>> = {}
  for (const [name, value] of new URLSearchParams(text)) {
    Object.defineProperty(raw, name, {
      value: [...(Object.hasOwn(raw, name) ? (raw[name] ?? []) : []), value],
      enumerable: true,
      configurable: true,
      writable: true,
    })
  }
  return raw
}

/** The resource key and id a query gives, or the refusal. */
const resolve = (specs: Record<string, ParamSpec>, text: string) => {
  const result = normaliseParams(specs, query(text))
  if (!result.ok) return result
  const key = resourceKey("weather", result.params)
  return { ok: true, key, id: resourceId(key) } as const
}

const refusedParam = (result: ParamsResult): string | undefined =>
  result.ok ? undefined : result.param

/** Spellings of a number that all denote it: shortest, exponent, trailing zeros, moved point. */
const spellings = (n: number): Array<string> => {
  const shortest = String(n)
  const exponent = n.toExponential()
  const [mantissa = "", power = "0"] = exponent.split("e")
  const [whole = "", fraction = ""] = mantissa.split(".")
  const padded = shortest.includes("e")
    ? shortest.replace(/(\.\d+)?e/, (_, point: string | undefined) => `${point ?? ".0"}00e`)
    : `${shortest}${shortest.includes(".") ? "" : "."}000`
  const movedPoint = `${whole}${fraction}e${Number(power) - fraction.length}`
  return [shortest, exponent, exponent.toUpperCase(), padded, movedPoint]
}

describe("normaliseParams, resourceKey and resourceId", () => {
  it("give one key and id for 52.520 and 52.52, 1e1 and 10, -0 and 0", () => {
    expect(resolve(weather, "latitude=52.520&longitude=13.41")).toStrictEqual(
      resolve(weather, "latitude=52.52&longitude=13.410"),
    )
    expect(resolve(weather, "latitude=0&longitude=-0&days=1e1")).toStrictEqual(
      resolve(weather, "latitude=-0&longitude=0.0&days=10"),
    )
    expect(resolve(weather, "latitude=52.520&longitude=13.41")).toMatchObject({
      key: "weather?days=7&hourly=false&latitude=52.52&longitude=13.41&pair=BTC-EUR&units=metric",
    })
  })

  it("give one key and id for every spelling of the same numbers", () => {
    const specs: Record<string, ParamSpec> = { x: { type: "number" }, n: { type: "integer" } }
    const number = fc.double({ noNaN: true, noDefaultInfinity: true })
    const integer = fc.maxSafeInteger()
    fc.assert(
      fc.property(number, integer, (x, n) => {
        const expected = resolve(
          specs,
          new URLSearchParams({ x: String(x), n: String(n) }).toString(),
        )
        expect(expected.ok).toBe(true)
        for (const xText of spellings(x)) {
          for (const nText of spellings(n)) {
            const params = new URLSearchParams({ x: xText, n: nText })
            expect(resolve(specs, params.toString())).toStrictEqual(expected)
          }
        }
      }),
    )
  })

  it("give one key and id whatever the order of the params", () => {
    const specs = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), {
      minLength: 1,
      maxLength: 6,
    })
    const scenario = fc.tuple(specs, fc.gen()).map(([names, g]) => {
      const values = names.map(() => g(fc.string, { maxLength: 20 }))
      const order = g(fc.shuffledSubarray, [...names.keys()], { minLength: names.length })
      return { names, values, order }
    })
    fc.assert(
      fc.property(scenario, ({ names, values, order }) => {
        const spec: ParamSpec = { type: "string" }
        const specsInOrder = Object.fromEntries(names.map((name) => [name, spec]))
        const specsShuffled = Object.fromEntries(order.map((i) => [names[i] ?? "", spec]))
        const entries = names.map((name, i): [string, string] => [name, values[i] ?? ""])
        const shuffled = order.map((i): [string, string] => entries[i] ?? ["", ""])
        const a = resolve(specsInOrder, new URLSearchParams(entries).toString())
        const b = resolve(specsShuffled, new URLSearchParams(shuffled).toString())
        expect(a.ok).toBe(true)
        expect(b).toStrictEqual(a)
      }),
    )
  })

  it("give different keys for different values", () => {
    const specs: Record<string, ParamSpec> = { a: { type: "string" }, b: { type: "string" } }
    const values = fc.tuple(fc.string(), fc.string())
    fc.assert(
      fc.property(values, values, ([a1, b1], [a2, b2]) => {
        fc.pre(a1 !== a2 || b1 !== b2)
        const first = resolve(specs, new URLSearchParams({ a: a1, b: b1 }).toString())
        const second = resolve(specs, new URLSearchParams({ a: a2, b: b2 }).toString())
        expect(first.ok).toBe(true)
        expect(second.ok && second.key).not.toBe(first.ok && first.key)
      }),
    )
  })

  it("fill missing values from their defaults", () => {
    const result = normaliseParams(weather, query("latitude=1&longitude=2"))
    expect(result).toStrictEqual({
      ok: true,
      params: {
        latitude: 1,
        longitude: 2,
        days: 7,
        units: "metric",
        hourly: false,
        pair: "BTC-EUR",
      },
    })
    const given = normaliseParams(weather, query("latitude=1&longitude=2&days=3&hourly=true"))
    expect(given).toMatchObject({ ok: true, params: { days: 3, hourly: true } })
  })

  it.each([
    ["an unknown param", "latitude=1&longitude=2&altitude=3", "altitude"],
    ["a missing param", "latitude=1", "longitude"],
    ["a repeated param", "latitude=1&longitude=2&longitude=2", "longitude"],
    ["a number that is not one", "latitude=north&longitude=2", "latitude"],
    ["a number below its minimum", "latitude=-90.5&longitude=2", "latitude"],
    ["a number above its maximum", "latitude=1&longitude=1e3", "longitude"],
    ["a number out of range", "latitude=1e400&longitude=2", "latitude"],
    ["a fractional integer", "latitude=1&longitude=2&days=1.5", "days"],
    ["a boolean that is not one", "latitude=1&longitude=2&hourly=yes", "hourly"],
    ["a value outside the enum", "latitude=1&longitude=2&units=kelvin", "units"],
    ["a value that breaks the pattern", "latitude=1&longitude=2&pair=btc-eur", "pair"],
  ])("refuse %s, naming it", (_, text, param) => {
    expect(refusedParam(normaliseParams(weather, query(text)))).toBe(param)
  })

  it("refuse a string that is not well-formed Unicode, naming it", () => {
    const specs: Record<string, ParamSpec> = { q: { type: "string" } }
    expect(normaliseParams(specs, { q: ["a\uD800b"] })).toMatchObject({ ok: false, param: "q" })
    expect(normaliseParams(specs, { q: ["\uD83D\uDE00"] })).toMatchObject({ ok: true })
  })

  it.each([
    ["1,5"],
    ["0x10"],
    ["NaN"],
    ["Infinity"],
    [" 1"],
    ["1 "],
    ["+1"],
    [".5"],
    ["1."],
    ["01"],
    ["1e"],
    [""],
  ])("refuse %j as a number", (text) => {
    const specs: Record<string, ParamSpec> = { x: { type: "number" } }
    expect(refusedParam(normaliseParams(specs, { x: [text] }))).toBe("x")
  })

  it("refuse any text that is not a finite JSON number, and read any that is by its value", () => {
    const specs: Record<string, ParamSpec> = { x: { type: "number" } }
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double().map(String)), (text) => {
        const result = normaliseParams(specs, { x: [text] })
        if (!result.ok) {
          expect(result.param).toBe("x")
          return
        }
        // JSON.parse reads the text as JSON does; + 0 turns -0 into 0, as normalising does.
        expect(result.params.x).toBe(JSON.parse(text) + 0)
      }),
    )
  })

  it(`refuse values over ${MAX_PARAM_LENGTH} characters, naming the param`, () => {
    const specs: Record<string, ParamSpec> = { q: { type: "string" } }
    const long = fc.string({ minLength: MAX_PARAM_LENGTH + 1, maxLength: MAX_PARAM_LENGTH + 64 })
    fc.assert(
      fc.property(long, (text) => {
        fc.pre(text.length > MAX_PARAM_LENGTH)
        expect(refusedParam(normaliseParams(specs, { q: [text] }))).toBe("q")
      }),
      { numRuns: 20 },
    )
    expect(normaliseParams(specs, { q: ["x".repeat(MAX_PARAM_LENGTH)] }).ok).toBe(true)
  })

  it("refuse or key any string value, naming the param when refused", () => {
    const specs: Record<string, ParamSpec> = { q: { type: "string" } }
    fc.assert(
      fc.property(anyString, (value) => {
        const result = normaliseParams(specs, { q: [value] })
        if (!result.ok) expect(result.param).toBe("q")
        else expect(resourceKey("s", result.params)).toBe(`s?q=${encodeURIComponent(value)}`)
      }),
    )
  })

  it("give a URL-safe resource id for any key", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (key) => {
        const id = resourceId(key)
        expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
        expect(encodeURIComponent(id)).toBe(id)
      }),
    )
  })
})
