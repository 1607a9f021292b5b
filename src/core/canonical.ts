import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js"
import canonicalize from "canonicalize"

/** RFC 8785 canonical form of a JSON value: sorted keys, normalised numbers, no whitespace. */
export const canonicalJson = (value: unknown): string => {
  const text = canonicalize(value)
  if (text === undefined) {
    throw new TypeError("value has no JSON representation")
  }
  return text
}

/** SHA-256 in JavaScript, for runtimes that have no `node:crypto`. */
export const portableSha256Hex = (text: string): string => bytesToHex(sha256(utf8ToBytes(text)))

// Node, Bun and Workers (nodejs_compat) hand out their native hash without a static
// `node:crypto` import, which would keep this module from loading where only fetch exists.
const native = globalThis.process?.getBuiltinModule?.("node:crypto")

export const sha256Hex: (text: string) => string =
  native === undefined
    ? portableSha256Hex
    : typeof native.hash === "function"
      ? // One call, no hash object: Node 20.12 and later.
        (text) => native.hash("sha256", text, "hex")
      : (text) => native.createHash("sha256").update(text).digest("hex")

/** The hash that identifies a tracked content: SHA-256 of its canonical form. */
export const contentHash = (value: unknown): string => sha256Hex(canonicalJson(value))

/**
 * Whether two JSON values (as JSON.parse gives them) have the same canonical form, found
 * without writing either: objects by their keys whatever their order, arrays item by item,
 * numbers by value.
 */
export const canonicallyEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!canonicallyEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const left = a as Record<string, unknown>
  const right = b as Record<string, unknown>
  let count = 0
  for (const key in left) {
    if (!Object.hasOwn(left, key)) continue
    if (!Object.hasOwn(right, key) || !canonicallyEqual(left[key], right[key])) return false
    count++
  }
  for (const key in right) if (Object.hasOwn(right, key)) count--
  return count === 0
}
