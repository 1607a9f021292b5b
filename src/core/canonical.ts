import { createHash } from "node:crypto"
import canonicalize from "canonicalize"

/** RFC 8785 canonical form of a JSON value: sorted keys, normalised numbers, no whitespace. */
export const canonicalJson = (value: unknown): string => {
  const text = canonicalize(value)
  if (text === undefined) {
    throw new TypeError("value has no JSON representation")
  }
  return text
}

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex")

/** The hash that identifies a tracked content: SHA-256 of its canonical form. */
export const contentHash = (value: unknown): string => sha256Hex(canonicalJson(value))

export const canonicallyEqual = (a: unknown, b: unknown): boolean =>
  canonicalJson(a) === canonicalJson(b)
