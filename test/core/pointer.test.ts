import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  isValidPointer,
  type Pointer,
  parsePointer,
  removePointers,
  resolvePointer,
} from "../../src/core/pointer.js"
import {
  document,
  documentWithPointers,
  formatPointer,
  isLeaf,
  isRecord,
  nodes,
  type Path,
  removedBy,
} from "./json.js"

describe("parsePointer and resolvePointer (select)", () => {
  // The examples of RFC 6901, section 5.
  const rfc = JSON.parse(
    '{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\\\j":5,"k\\"l":6," ":7,"m~n":8}',
  )
  it.each([
    ["", rfc],
    ["/foo", ["bar", "baz"]],
    ["/foo/0", "bar"],
    ["/", 0],
    ["/a~1b", 1],
    ["/c%d", 2],
    ["/e^f", 3],
    ["/g|h", 4],
    ["/i\\j", 5],
    ['/k"l', 6],
    ["/ ", 7],
    ["/m~0n", 8],
  ])("resolves %j as RFC 6901 says", (text, expected) => {
    expect(resolvePointer(rfc, parsePointer(text))).toStrictEqual(expected)
  })

  it("unescapes ~1 to / and ~0 to ~, in that order", () => {
    expect(parsePointer("/a~1b/m~0n/~01")).toStrictEqual(["a/b", "m~n", "~1"])
    expect(resolvePointer({ "~1": "tilde-one", "/": "slash" }, parsePointer("/~01"))).toBe(
      "tilde-one",
    )
  })

  it("picks the value at the pointer of every node of a document", () => {
    fc.assert(
      fc.property(document({ arrays: true }), (doc) => {
        for (const node of nodes(doc)) {
          expect(resolvePointer(doc, parsePointer(formatPointer(node.path)))).toBe(node.value)
        }
      }),
    )
  })

  it.each([
    ["/foo/2"],
    ["/foo/-"],
    ["/foo/01"],
    ["/foo/0/x"],
    ["/missing"],
    ["/__proto__"],
    ["/toString"],
  ])("finds nothing at %j", (text) => {
    expect(resolvePointer({ foo: ["bar"] }, parsePointer(text))).toBeUndefined()
  })

  it.each([["a"], ["/~2"], ["/x~"], ["#/a"]])("rejects %j, which is not a JSON Pointer", (text) => {
    expect(isValidPointer(text)).toBe(false)
    expect(() => parsePointer(text)).toThrow(SyntaxError)
  })
})

/** What ignoring should leave: unmatched members, matched against the original document. */
const expectedAfterIgnore = (
  pointers: ReadonlyArray<Pointer>,
  value: unknown,
  path: Path = [],
): unknown => {
  const keep = (key: string, child: unknown): Array<[string, unknown]> =>
    removedBy(pointers, [...path, key])
      ? []
      : [[key, expectedAfterIgnore(pointers, child, [...path, key])]]
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => keep(String(index), item).map(([, kept]) => kept))
  }
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => keep(k, v)))
  return value
}

describe("removePointers (ignore)", () => {
  it("removes every matched path and keeps every unmatched leaf path with its value", () => {
    fc.assert(
      fc.property(documentWithPointers({ arrays: false }), ([doc, pointers]) => {
        const result = removePointers(doc, pointers)
        for (const node of nodes(doc)) {
          const found = resolvePointer(result, node.path)
          if (removedBy(pointers, node.path)) expect(found).toBeUndefined()
          else if (isLeaf(node.value)) expect(found).toStrictEqual(node.value)
        }
      }),
    )
  })

  it("removes exactly the matched paths of the original document; later array items move up", () => {
    fc.assert(
      fc.property(documentWithPointers({ arrays: true }), ([doc, pointers]) => {
        expect(removePointers(doc, pointers)).toStrictEqual(expectedAfterIgnore(pointers, doc))
      }),
    )
  })

  it("does not mutate its input", () => {
    fc.assert(
      fc.property(documentWithPointers({ arrays: true }), ([doc, pointers]) => {
        const before = structuredClone(doc)
        removePointers(doc, pointers)
        expect(doc).toStrictEqual(before)
      }),
    )
  })

  const ignore = (doc: unknown, ...pointers: Array<string>) =>
    removePointers(doc, pointers.map(parsePointer))

  it("removes a field from every item with `*`", () => {
    const body = { generated_at: "now", items: [{ id: 1, updated_at: "t1" }, { id: 2 }] }
    expect(ignore(body, "/generated_at", "/items/*/updated_at")).toStrictEqual({
      items: [{ id: 1 }, { id: 2 }],
    })
  })

  it("matches every pointer against the original document, not against earlier removals", () => {
    expect(ignore({ a: ["x", "y", "z"] }, "/a/0", "/a/1")).toStrictEqual({ a: ["z"] })
    expect(ignore([{ b: 1 }, { b: 2 }], "/0", "/0/b")).toStrictEqual([{ b: 2 }])
  })

  it("empties a container with a lone `*`, and gives null for the empty pointer", () => {
    expect(ignore([1, 2], "/*")).toStrictEqual([])
    expect(ignore({ a: 1, b: { c: 2 } }, "/*")).toStrictEqual({})
    expect(ignore({ a: 1 }, "")).toBeNull()
  })

  it("leaves the document as it is when nothing matches", () => {
    const body = { a: [1, { b: 2 }], "a/b": 3 }
    expect(ignore(body, "/a/5", "/a/1/c", "/b", "/a/-", "/a/01", "/a~1b/x")).toStrictEqual(body)
  })

  it("keeps a __proto__ key as an ordinary member, and removes it when asked", () => {
    const body = JSON.parse('{"__proto__": {"x": 1}, "a": 2}')
    expect(ignore(body, "/a")).toStrictEqual(JSON.parse('{"__proto__": {"x": 1}}'))
    expect(Object.getPrototypeOf(ignore(body, "/a"))).toBe(Object.prototype)
    expect(ignore(body, "/__proto__")).toStrictEqual({ a: 2 })
  })
})
