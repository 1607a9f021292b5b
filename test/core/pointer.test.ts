import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicallyEqual } from "../../src/core/canonical.js"
import {
  equalWithoutPointers,
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
  jsonValue,
  nodes,
  type Path,
  removedBy,
  reorderKeys,
  replaceAt,
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

describe("equalWithoutPointers (an answer's tracked content against the one remembered)", () => {
  const parsed = (...texts: Array<string>): Array<Pointer> => texts.map(parsePointer)

  it("compares as removePointers' copy would, for documents, their edits and any value", () => {
    const scenario = fc.tuple(
      documentWithPointers({ arrays: true }),
      fc.nat(),
      fc.option(jsonValue, { nil: undefined }),
      fc.integer({ min: 0, max: 2 }),
    )
    fc.assert(
      fc.property(scenario, ([[doc, pointers], pick, value, kind]) => {
        const all = nodes(doc)
        const target = all[pick % all.length]?.path ?? []
        const other =
          kind === 0
            ? removePointers(replaceAt(doc, target, value ?? null), pointers)
            : kind === 1
              ? removePointers(
                  reorderKeys(doc, (keys) => [...keys].reverse()),
                  pointers,
                )
              : (value ?? null)
        expect(equalWithoutPointers(doc, pointers, other)).toBe(
          canonicallyEqual(removePointers(doc, pointers), other),
        )
      }),
    )
  })

  it("finds a document equal to its own copy without the pointers, whatever its keys' order", () => {
    fc.assert(
      fc.property(documentWithPointers({ arrays: true }), ([doc, pointers]) => {
        const kept = removePointers(
          reorderKeys(doc, (keys) => [...keys].sort()),
          pointers,
        )
        expect(equalWithoutPointers(doc, pointers, kept)).toBe(true)
      }),
    )
  })

  it("skips removed array items, so the items after them compare with the copy's", () => {
    const body = { a: ["x", "y", "z"] }
    expect(equalWithoutPointers(body, parsed("/a/0", "/a/1"), { a: ["z"] })).toBe(true)
    expect(equalWithoutPointers(body, parsed("/a/0", "/a/1"), { a: ["y"] })).toBe(false)
    expect(equalWithoutPointers(body, parsed("/a/0"), { a: ["y"] })).toBe(false)
    expect(equalWithoutPointers([1, 2], parsed("/*"), [])).toBe(true)
  })

  it("takes the empty pointer as removing everything: equal to null only", () => {
    expect(equalWithoutPointers({ a: 1 }, parsed(""), null)).toBe(true)
    expect(equalWithoutPointers({ a: 1 }, parsed(""), {})).toBe(false)
  })

  it("compares a __proto__ member as an ordinary one", () => {
    const body = JSON.parse('{"__proto__": {"x": 1}, "a": 2}')
    expect(equalWithoutPointers(body, parsed("/a"), JSON.parse('{"__proto__": {"x": 1}}'))).toBe(
      true,
    )
    expect(equalWithoutPointers(body, parsed("/a"), {})).toBe(false)
    expect(equalWithoutPointers(body, parsed("/__proto__"), { a: 2 })).toBe(true)
  })
})
