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

export const canonicallyEqual = (a: unknown, b: unknown): boolean =>
  canonicalJson(a) === canonicalJson(b)
