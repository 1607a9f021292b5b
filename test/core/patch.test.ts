import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalJson } from "../../src/core/canonical.js"
import { applyPatch, diff, type PatchOperation } from "../../src/core/patch.js"
import { document, documentAndEdit, isRecord, jsonValue } from "./json.js"

/** True when some object in `value` has an own `__proto__` member. */
const hasProtoMember = (value: unknown): boolean =>
  typeof value === "object" &&
  value !== null &&
  ((!Array.isArray(value) && Object.hasOwn(value, "__proto__")) ||
    Object.values(value).some(hasProtoMember))

/**
 * Independent values, so roots of every type meet; edited copies, so patches go deep; and
 * documents over a few shared keys (escapes), so members are added and removed. Documents
 * with a `__proto__` member are left out: the patch library refuses to apply through one.
 */
const pair = fc
  .oneof(
    fc.tuple(jsonValue, jsonValue),
    documentAndEdit,
    fc.tuple(document({ arrays: true }), document({ arrays: true })),
  )
  .filter(([a, b]) => !hasProtoMember(a) && !hasProtoMember(b))

/** A patch as the database gives it back: stored as JSON, read back as JSON. */
const stored = (patch: ReadonlyArray<PatchOperation>): Array<PatchOperation> =>
  JSON.parse(JSON.stringify(patch))

describe("diff and applyPatch", () => {
  it("applying diff(a, b) to a gives b, for any JSON values at the root", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(canonicalJson(applyPatch(a, stored(diff(a, b))))).toBe(canonicalJson(b))
      }),
    )
  })

  it("rebuilds every version of a chain by applying each version's patch to the one before", () => {
    const chain = fc.array(
      jsonValue.filter((value) => !hasProtoMember(value)),
      { minLength: 2, maxLength: 6 },
    )
    fc.assert(
      fc.property(chain, (versions) => {
        const patches = versions.slice(1).map((version, n) => stored(diff(versions[n], version)))
        let rebuilt: unknown = versions[0]
        patches.forEach((patch, n) => {
          rebuilt = applyPatch(rebuilt, patch)
          expect(canonicalJson(rebuilt)).toBe(canonicalJson(versions[n + 1]))
        })
      }),
    )
  })

  it("does not mutate the document or the patch it is given", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const patch = diff(a, b)
        const [documentBefore, patchBefore] = structuredClone([a, patch])
        applyPatch(a, patch)
        expect(a).toStrictEqual(documentBefore)
        expect(patch).toStrictEqual(patchBefore)
      }),
    )
  })

  it("gives a result that shares no objects with the patch", () => {
    const value = { b: [1] }
    const result = applyPatch({}, [{ op: "add", path: "/a", value }])
    expect(result).toStrictEqual({ a: { b: [1] } })
    expect(isRecord(result) && result.a).not.toBe(value)
  })

  it("has no operations for canonically equal values", () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(diff(value, JSON.parse(canonicalJson(value)))).toStrictEqual([])
      }),
    )
  })

  it("replaces the root when it is a scalar or changes type", () => {
    expect(diff(1, "one")).toStrictEqual([{ op: "replace", path: "", value: "one" }])
    expect(diff([1], { a: 1 })).toStrictEqual([{ op: "replace", path: "", value: { a: 1 } }])
    expect(applyPatch(1, [{ op: "replace", path: "", value: [2] }])).toStrictEqual([2])
  })

  it("diffs arrays at the root item by item", () => {
    const patch = diff([1, 2, 3], [1, 5])
    expect(patch).toStrictEqual([
      { op: "remove", path: "/2" },
      { op: "replace", path: "/1", value: 5 },
    ])
    expect(applyPatch([1, 2, 3], patch)).toStrictEqual([1, 5])
  })

  it("escapes ~ and / in operation paths", () => {
    const patch = diff({ "a/b": { "m~n": 1 } }, { "a/b": { "m~n": 2 } })
    expect(patch).toStrictEqual([{ op: "replace", path: "/a~1b/m~0n", value: 2 }])
  })

  it.each<[string, unknown, Array<PatchOperation>]>([
    ["removing a missing member", { a: 1 }, [{ op: "remove", path: "/b" }]],
    ["replacing a missing item", [1], [{ op: "replace", path: "/1", value: 2 }]],
    ["adding below a scalar", { a: 1 }, [{ op: "add", path: "/a/b", value: 2 }]],
    ["adding past the end of an array", [1], [{ op: "add", path: "/2", value: 2 }]],
    ["a failing test", { a: 1 }, [{ op: "test", path: "/a", value: 2 }]],
  ])("refuses a patch that does not fit: %s", (_, document, patch) => {
    expect(() => applyPatch(document, patch)).toThrow()
  })

  it("applies add, remove, replace, move, copy and test as RFC 6902 says", () => {
    const patch: Array<PatchOperation> = [
      { op: "test", path: "/n", value: 1.0 },
      { op: "add", path: "/list/-", value: 3 },
      { op: "add", path: "/list/0", value: 0 },
      { op: "remove", path: "/gone" },
      { op: "replace", path: "/n", value: 2 },
      { op: "move", from: "/list", path: "/moved" },
      { op: "copy", from: "/moved/1", path: "/copied" },
    ]
    const document = { n: 1, list: [1, 2], gone: true }
    expect(applyPatch(document, patch)).toStrictEqual({ n: 2, moved: [0, 1, 2, 3], copied: 1 })
  })
})
