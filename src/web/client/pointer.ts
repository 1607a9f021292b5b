/** JSON Pointers (RFC 6901) over parsed JSON: building, reading, and numeric leaves to chart. */

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const escapeSegment = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1")

export const childPointer = (parent: string, key: string | number) =>
  `${parent}/${escapeSegment(String(key))}`

export const parsePointer = (pointer: string): Array<string> =>
  pointer === ""
    ? []
    : pointer
        .slice(1)
        .split("/")
        .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))

export const parentPointer = (pointer: string) =>
  pointer.slice(0, Math.max(0, pointer.lastIndexOf("/")))

/** Every proper ancestor of `pointer`, the root ("") first. */
export const ancestors = (pointer: string): Array<string> => {
  const segments = pointer.split("/").slice(1)
  return segments.map((_, index) => ["", ...segments.slice(0, index)].join("/"))
}

export const resolve = (document: unknown, pointer: string): { found: boolean; value: unknown } => {
  let current = document
  for (const segment of parsePointer(pointer)) {
    if (Array.isArray(current) && /^(0|[1-9][0-9]*)$/.test(segment)) {
      const index = Number(segment)
      if (index >= current.length) return { found: false, value: undefined }
      current = current[index]
    } else if (isObject(current) && Object.hasOwn(current, segment)) {
      current = current[segment]
    } else {
      return { found: false, value: undefined }
    }
  }
  return { found: true, value: current }
}

const NUMERIC_TEXT = /^\s*-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*$/

/** A number, or a string that spells one, as the series route reads them. */
export const isNumeric = (value: unknown) =>
  (typeof value === "number" && Number.isFinite(value)) ||
  (typeof value === "string" && NUMERIC_TEXT.test(value))

/** Pointers to the numeric leaves of `document`, in document order, at most `limit` of them. */
export const numericLeaves = (document: unknown, limit = 200): Array<string> => {
  const found: Array<string> = []
  const walk = (value: unknown, pointer: string) => {
    if (found.length >= limit) return
    if (isNumeric(value)) found.push(pointer)
    else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, childPointer(pointer, index))
    } else if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) walk(item, childPointer(pointer, key))
    }
  }
  walk(document, "")
  return found
}
