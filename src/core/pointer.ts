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

/** What `removeMatched` leaves of a member that a pointer names entirely. */
const REMOVED: unique symbol = Symbol("removed")

/**
 * What remains of the member `key` of a value: itself, shared, when no pointer reaches it
 * (JSON values are never changed in place), nothing when a pointer names it, else a copy.
 */
const keptMember = (pointers: ReadonlyArray<Pointer>, key: string, child: unknown) => {
  let rest: Array<Pointer> | undefined
  for (const pointer of pointers) {
    const head = pointer[0]
    if (head !== "*" && head !== key) continue
    if (pointer.length === 1) return REMOVED
    rest ??= []
    rest.push(pointer.slice(1))
  }
  return rest === undefined ? child : removeMatched(child, rest)
}

/** `value` without what `pointers` match; each pointer is matched against `value` as given. */
const removeMatched = (value: unknown, pointers: ReadonlyArray<Pointer>): unknown => {
  if (pointers.length === 0) return value
  if (Array.isArray(value)) {
    const items: Array<unknown> = []
    value.forEach((item, index) => {
      const kept = keptMember(pointers, String(index), item)
      if (kept !== REMOVED) items.push(kept)
    })
    return items
  }
  if (isObject(value)) {
    const entries: Array<[string, unknown]> = []
    for (const [key, child] of Object.entries(value)) {
      const kept = keptMember(pointers, key, child)
      if (kept !== REMOVED) entries.push([key, kept])
    }
    // fromEntries defines own properties, so a "__proto__" member stays a member.
    return Object.fromEntries(entries)
  }
  return value
}

/**
 * `document` without the values at `pointers`, `*` matching every key or index; what no
 * pointer reaches is shared with `document`, not copied.
 * All pointers are matched against `document` itself, so removing an array item does not
 * shift what the other pointers name.
 */
export const removePointers = (document: unknown, pointers: ReadonlyArray<Pointer>): unknown =>
  pointers.some((pointer) => pointer.length === 0) ? null : removeMatched(document, pointers)
