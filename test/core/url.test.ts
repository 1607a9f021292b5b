import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Normalised } from "../../src/core/params.js"
import { buildUrl, parseTemplate, type UrlTemplate } from "../../src/core/url.js"
import { anyString } from "./strings.js"

const template = (
  text: string,
  names: ReadonlyArray<string>,
  query: Record<string, string> = {},
): UrlTemplate => {
  const parsed = parseTemplate(text, names, query)
  if (!parsed.ok) throw new Error(`${text} ${parsed.reason}`)
  return parsed.template
}

const items = template("https://api.example.com:8443/v1/items/{item}/detail", ["item", "q", "n"], {
  fixed: "a&b=c",
})

const attacks = [
  "..",
  ".",
  "%2e%2e",
  "%2E%2E",
  ".%2e",
  "/",
  "%2F",
  "a/../b",
  "../../admin",
  "@evil.com",
  "user:pass@evil.com",
  "\\",
  "..\\..",
  "\r\n",
  "a\r\nHost: evil.com",
  "?x=1",
  "#frag",
  "http://evil",
  "//evil.com",
  ":8080",
  "%00",
  "\u0000",
  " ",
  "~",
  "%",
  "\uD800",
  "😀",
]
const pathValue = fc.oneof(
  anyString,
  fc.constantFrom(...attacks),
  fc.tuple(fc.constantFrom(...attacks), anyString).map(([a, b]) => a + b),
)

/** Values a path segment cannot hold: empty, dot segments, and text with no UTF-8 form. */
const unfit = (value: string): boolean =>
  value === "" || value === "." || value === ".." || /\p{Cs}/u.test(value)

const built = (tpl: UrlTemplate, params: Normalised): URL => {
  const result = buildUrl(tpl, params)
  if (!result.ok) throw new Error(`refused ${result.param}: ${result.reason}`)
  return new URL(result.url)
}

describe("buildUrl", () => {
  it("puts any path value in exactly its own segment, or refuses it, never leaving the origin", () => {
    fc.assert(
      fc.property(pathValue, (value) => {
        const result = buildUrl(items, { item: value })
        if (!result.ok) {
          expect(result.param).toBe("item")
          expect(unfit(value)).toBe(true)
          return
        }
        const url = new URL(result.url)
        expect(url.origin).toBe(items.origin)
        expect(url.origin).toBe("https://api.example.com:8443")
        expect([url.username, url.password, url.hash]).toStrictEqual(["", "", ""])
        const [root, v1, collection, segment = "", detail, ...more] = url.pathname.split("/")
        expect([root, v1, collection, detail, more]).toStrictEqual([
          "",
          "v1",
          "items",
          "detail",
          [],
        ])
        expect(decodeURIComponent(segment)).toBe(value)
        expect([...url.searchParams]).toStrictEqual([["fixed", "a&b=c"]])
      }),
    )
  })

  it("keeps every path value of a template in its own segment", () => {
    const pair = template("http://127.0.0.1/{a}/{b}", ["a", "b"])
    fc.assert(
      fc.property(pathValue, pathValue, (a, b) => {
        fc.pre(!unfit(a) && !unfit(b))
        const url = built(pair, { a, b })
        expect(url.origin).toBe("http://127.0.0.1")
        const segments = url.pathname.split("/").slice(1).map(decodeURIComponent)
        expect(segments).toStrictEqual([a, b])
      }),
    )
  })

  it.each([[""], ["."], [".."], ["\uD800"]])(
    "refuses %j as a path value, naming the param",
    (item) => {
      expect(buildUrl(items, { item })).toMatchObject({ ok: false, param: "item" })
    },
  )

  it("percent-encodes query values, so they cannot add params, a fragment or a path", () => {
    fc.assert(
      fc.property(pathValue, fc.double({ noNaN: true }), (q, n) => {
        const result = buildUrl(items, { item: "x", q, n })
        if (!result.ok) {
          expect(result.param).toBe("q")
          expect(/\p{Cs}/u.test(q)).toBe(true)
          return
        }
        const url = new URL(result.url)
        expect(url.origin).toBe(items.origin)
        expect(url.pathname).toBe("/v1/items/x/detail")
        expect(url.hash).toBe("")
        expect(url.search.slice(1).split("&")).toHaveLength(3)
        expect([...url.searchParams]).toStrictEqual([
          ["fixed", "a&b=c"],
          ["n", String(n)],
          ["q", q],
        ])
      }),
    )
  })

  it("writes the fixed query first, then the params sorted by name", () => {
    const url = built(items, { q: "a b&c", item: "42", n: true })
    expect(url.toString()).toBe(
      "https://api.example.com:8443/v1/items/42/detail?fixed=a%26b%3Dc&n=true&q=a+b%26c",
    )
  })
})

describe("parseTemplate", () => {
  it.each([
    ["not a URL", "api.example.com/{a}"],
    ["a scheme other than http(s)", "ftp://example.com/{a}"],
    ["credentials", "https://user:secret@example.com/{a}"],
    ["a placeholder in the host", "https://{a}.example.com/x"],
    ["a placeholder in the port", "https://example.com:{a}/x"],
    ["a placeholder in the query", "https://example.com/x?v={a}"],
    ["an undeclared placeholder", "https://example.com/{b}"],
    ["a repeated placeholder", "https://example.com/{a}/{a}"],
  ])("refuses %s", (_, text) => {
    expect(parseTemplate(text, ["a"], {}).ok).toBe(false)
  })

  it("accepts placeholders in the path and records the origin", () => {
    expect(parseTemplate("https://Example.com:443/v2/{a}/spot", ["a"], {})).toMatchObject({
      ok: true,
      template: { origin: "https://example.com", pathParams: ["a"] },
    })
  })
})
