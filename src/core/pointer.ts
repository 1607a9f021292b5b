/** JSON Pointers (RFC 6901), with `*` as a wildcard segment for `ignore` rules. */
import { canonicallyEqual } from "./canonical.js"

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

const NONE: ReadonlyArray<Pointer> = []

/**
 * The pointers that reach below the member `key`, their first segment taken off (none when
 * no pointer reaches it), or `REMOVED` when one names the member itself.
 */
const below = (pointers: ReadonlyArray<Pointer>, key: string) => {
  let rest: Array<Pointer> | undefined
  for (const pointer of pointers) {
    const head = pointer[0]
    if (head !== "*" && head !== key) continue
    if (pointer.length === 1) return REMOVED
    rest ??= []
    rest.push(pointer.slice(1))
  }
  return rest ?? NONE
}

/**
 * What remains of the member `key` of a value: itself, shared, when no pointer reaches it
 * (JSON values are never changed in place), nothing when a pointer names it, else a copy.
 */
const keptMember = (pointers: ReadonlyArray<Pointer>, key: string, child: unknown) => {
  const rest = below(pointers, key)
  return rest === REMOVED ? REMOVED : removeMatched(child, rest)
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

/** Whether `value` without what `pointers` match is canonically equal to `kept`. */
const equalWithout = (value: unknown, pointers: ReadonlyArray<Pointer>, kept: unknown): boolean => {
  if (pointers.length === 0) return canonicallyEqual(value, kept)
  if (Array.isArray(value)) {
    if (!Array.isArray(kept)) return false
    let next = 0
    for (let index = 0; index < value.length; index++) {
      const rest = below(pointers, String(index))
      if (rest === REMOVED) continue
      if (next >= kept.length || !equalWithout(value[index], rest, kept[next])) return false
      next++
    }
    return next === kept.length
  }
  if (isObject(value)) {
    if (!isObject(kept)) return false
    let count = 0
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      const rest = below(pointers, key)
      if (rest === REMOVED) continue
      if (!Object.hasOwn(kept, key) || !equalWithout(value[key], rest, kept[key])) return false
      count++
    }
    for (const key in kept) if (Object.hasOwn(kept, key)) count--
    return count === 0
  }
  return canonicallyEqual(value, kept)
}

/**
 * Whether `removePointers(document, pointers)` is canonically equal to `kept`, found without
 * making that copy: what most answers ask, their tracked content being unchanged.
 */
export const equalWithoutPointers = (
  document: unknown,
  pointers: ReadonlyArray<Pointer>,
  kept: unknown,
): boolean =>
  pointers.some((pointer) => pointer.length === 0)
    ? kept === null
    : equalWithout(document, pointers, kept)
