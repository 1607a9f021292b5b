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

const removeAt = (value: unknown, pointer: Pointer): unknown => {
  const [head, ...rest] = pointer
  if (head === undefined) return value
  const last = rest.length === 0
  if (Array.isArray(value)) {
    if (head === "*") {
      return last ? [] : value.map((item) => removeAt(item, rest))
    }
    const index = arrayIndex(head, value.length)
    if (index === undefined) return value
    if (last) return value.filter((_, i) => i !== index)
    return value.map((item, i) => (i === index ? removeAt(item, rest) : item))
  }
  if (isObject(value)) {
    const result: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(value)) {
      const matches = head === "*" || head === key
      if (matches && last) continue
      result[key] = matches ? removeAt(child, rest) : child
    }
    return result
  }
  return value
}

/** A copy of `document` without the values at `pointers`; `*` matches every key or index. */
export const removePointers = (document: unknown, pointers: ReadonlyArray<Pointer>): unknown =>
  pointers.reduce(
    (current, pointer) => (pointer.length === 0 ? null : removeAt(current, pointer)),
    document,
  )
