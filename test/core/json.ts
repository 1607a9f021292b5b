/** Helpers and generators for JSON documents, shared by the core property tests. */
import fc from "fast-check"

export type Path = ReadonlyArray<string>

export interface Node {
  readonly path: Path
  readonly value: unknown
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const children = (value: unknown): Array<readonly [string, unknown]> => {
  if (Array.isArray(value)) return value.map((item, index) => [String(index), item] as const)
  if (isRecord(value)) return Object.entries(value)
  return []
}

/** Every node of a document with its path, each parent before its children. */
export const nodes = (value: unknown, path: Path = []): Array<Node> => [
  { path, value },
  ...children(value).flatMap(([key, child]) => nodes(child, [...path, key])),
]

export const isLeaf = (value: unknown): boolean => children(value).length === 0

/** RFC 6901 text of a path: `~` written `~0`, `/` written `~1`. */
export const formatPointer = (path: Path): string =>
  path.map((segment) => `/${segment.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("")

/** A copy with every object's keys in the order `order` gives; own data properties only, like JSON.parse. */
export const reorderKeys = (
  value: unknown,
  order: (keys: ReadonlyArray<string>) => ReadonlyArray<string>,
): unknown => {
  if (Array.isArray(value)) return value.map((item) => reorderKeys(item, order))
  if (!isRecord(value)) return value
  return Object.fromEntries(
    order(Object.keys(value)).map((key) => [key, reorderKeys(value[key], order)]),
  )
}

/** A copy with every `-0` as `0`: JSON numbers compare by value, and RFC 8785 writes -0 as 0. */
export const withoutNegativeZero = (value: unknown): unknown => {
  if (Object.is(value, -0)) return 0
  if (Array.isArray(value)) return value.map(withoutNegativeZero)
  if (!isRecord(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, withoutNegativeZero(item)]),
  )
}

/** A copy with the node at `path` replaced by `value`, or removed when `value` is undefined. */
export const replaceAt = (document: unknown, path: Path, value: unknown): unknown => {
  const [head, ...rest] = path
  if (head === undefined) return value
  if (Array.isArray(document)) {
    const index = Number(head)
    if (rest.length === 0 && value === undefined) return document.filter((_, i) => i !== index)
    return document.map((item, i) => (i === index ? replaceAt(item, rest, value) : item))
  }
  if (!isRecord(document)) return document
  const entries = Object.entries(document).flatMap(([key, item]): Array<[string, unknown]> => {
    if (key !== head) return [[key, item]]
    const replaced = replaceAt(item, rest, value)
    return replaced === undefined ? [] : [[key, replaced]]
  })
  return Object.fromEntries(entries)
}

const matches = (pattern: Path, path: Path): boolean =>
  pattern.length === path.length &&
  pattern.every((segment, index) => segment === "*" || segment === path[index])

/** Whether a pointer matches the path or one of its ancestors. */
export const removedBy = (pointers: ReadonlyArray<Path>, path: Path): boolean =>
  path.some((_, end) => pointers.some((pointer) => matches(pointer, path.slice(0, end + 1))))

/** Keys that exercise escapes, wildcards, array-like names and the `__proto__` own property. */
const trickyKey = fc.oneof(
  fc.constantFrom("a", "b", "~", "/", "~1", "a/b", "m~n", "0", "1", "*", "", "__proto__"),
  fc.string({ maxLength: 4 }),
)

/** JSON documents built as JSON.parse builds them, with keys chosen to collide and need escaping. */
export const document = (options: { readonly arrays: boolean }): fc.Arbitrary<unknown> =>
  fc.letrec<{ node: unknown; leaf: unknown; object: unknown; array: unknown }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 4, depthIdentifier: "document" },
      tie("leaf"),
      tie("object"),
      ...(options.arrays ? [tie("array")] : []),
    ),
    leaf: fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.constant(-0),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 3 }),
    ),
    object: fc.dictionary(trickyKey, tie("node"), {
      maxKeys: 4,
      noNullPrototype: true,
      depthIdentifier: "document",
    }),
    array: fc.array(tie("node"), { maxLength: 4, depthIdentifier: "document" }),
  })).node

/** Any JSON value; the documents bring -0, `__proto__` and escaped keys far more often. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.jsonValue({ stringUnit: "grapheme" }),
  document({ arrays: true }),
)

/** A document and an edited copy: some nodes replaced by new values or removed. */
export const documentAndEdit: fc.Arbitrary<readonly [unknown, unknown]> = fc
  .tuple(
    fc.jsonValue(),
    fc.array(fc.tuple(fc.nat(), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined })), {
      maxLength: 4,
    }),
  )
  .map(([original, edits]) => {
    const edited = edits.reduce<unknown>((current, [pick, value]) => {
      const all = nodes(current)
      const target = all[pick % all.length]
      if (target === undefined) return current
      return replaceAt(current, target.path, target.path.length === 0 ? (value ?? null) : value)
    }, original)
    return [original, edited] as const
  })

/** A document and ignore pointers: paths of its own nodes, some segments made `*`, and strays. */
export const documentWithPointers = (options: {
  readonly arrays: boolean
}): fc.Arbitrary<readonly [unknown, Array<Array<string>>]> =>
  document(options).chain((doc) => {
    const paths = nodes(doc)
      .map((node) => node.path)
      .filter((path) => path.length > 0)
    const stray = fc.array(fc.constantFrom("a", "b", "0", "1", "*", "__proto__", "x"), {
      minLength: 1,
      maxLength: 3,
    })
    const own =
      paths.length === 0
        ? stray
        : fc
            .tuple(fc.constantFrom(...paths), fc.array(fc.nat(3)))
            .map(([path, wild]) => path.map((segment, i) => (wild[i] === 0 ? "*" : segment)))
    const pointer = fc.oneof({ weight: 3, arbitrary: own }, { weight: 1, arbitrary: stray })
    return fc.tuple(fc.constant(doc), fc.array(pointer, { maxLength: 5 }))
  })
