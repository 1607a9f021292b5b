/** JSON Pointers (RFC 6901), with `*` as a wildcard segment for `ignore` rules. */

export type Pointer = ReadonlyArray<string>

export const isValidPointer = (text: string): boolean =>
  text === "" || (text.startsWith("/") && !/~[^01]|~$/.test(text))

export const parsePointer = (text: string): Pointer => {
  if (!isValidPointer(text)) {
    throw new SyntaxError(`not a JSON Pointer: ${JSON.stringify(text)}`)
  }
  if (text === "") return []
  return text
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const arrayIndex = (segment: string, length: number): number | undefined => {
  if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined
  const index = Number(segment)
  return index < length ? index : undefined
}

/** The value at `pointer`, or `undefined` when the document has nothing there. */
export const resolvePointer = (document: unknown, pointer: Pointer): unknown => {
  let current: unknown = document
  for (const segment of pointer) {
    if (Array.isArray(current)) {
      const index = arrayIndex(segment, current.length)
      if (index === undefined) return undefined
      current = current[index]
    } else if (isObject(current) && Object.hasOwn(current, segment)) {
      current = current[segment]
    } else {
      return undefined
    }
  }
  return current
}

/** `value` without what `pointers` match; each pointer is matched against `value` as given. */
const removeMatched = (value: unknown, pointers: ReadonlyArray<Pointer>): unknown => {
  if (pointers.length === 0) return value
  const kept = (key: string, child: unknown): [unknown] | [] => {
    const applying = pointers.filter(([head]) => head === "*" || head === key)
    if (applying.some((pointer) => pointer.length === 1)) return []
    const rest = applying.map((pointer) => pointer.slice(1))
    return [removeMatched(child, rest)]
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => kept(String(index), item))
  if (isObject(value)) {
    // fromEntries defines own properties, so a "__proto__" member stays a member.
    return Object.fromEntries(
      Object.entries(value).flatMap(([key, child]) => kept(key, child).map((item) => [key, item])),
    )
  }
  return value
}

/**
 * A copy of `document` without the values at `pointers`; `*` matches every key or index.
 * All pointers are matched against `document` itself, so removing an array item does not
 * shift what the other pointers name.
 */
export const removePointers = (document: unknown, pointers: ReadonlyArray<Pointer>): unknown =>
  pointers.some((pointer) => pointer.length === 0) ? null : removeMatched(document, pointers)
