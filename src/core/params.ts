/** Typed request parameters: validation, normalisation and the canonical resource key. */
import { sha256Hex } from "./canonical.js"

export type ParamType = "string" | "number" | "integer" | "boolean"
export type ParamValue = string | number | boolean

export interface ParamSpec {
  readonly type: ParamType
  readonly description?: string | undefined
  readonly pattern?: string | undefined
  readonly enum?: ReadonlyArray<ParamValue> | undefined
  readonly minimum?: number | undefined
  readonly maximum?: number | undefined
  readonly default?: ParamValue | undefined
}

export const MAX_PARAM_LENGTH = 1024

export type Normalised = Readonly<Record<string, ParamValue>>

export type ParamsResult =
  | { readonly ok: true; readonly params: Normalised }
  | { readonly ok: false; readonly param: string; readonly reason: string }

const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/

/** A lone surrogate has no UTF-8 form, so it cannot be percent-encoded into a key or a URL. */
export const LONE_SURROGATE = /\p{Cs}/u

/** Parses one raw query value into its typed form, or explains why it is not one. */
export const parseValue = (spec: ParamSpec, raw: string): ParamValue | string[] => {
  switch (spec.type) {
    case "string":
      return LONE_SURROGATE.test(raw) ? ["must be well-formed Unicode text"] : raw
    case "boolean":
      if (raw === "true") return true
      if (raw === "false") return false
      return ["must be true or false"]
    case "number":
    case "integer": {
      if (!NUMBER_TEXT.test(raw))
        return [`must be ${spec.type === "integer" ? "an integer" : "a number"}`]
      const value = Number(raw)
      if (!Number.isFinite(value)) return ["is out of range"]
      if (spec.type === "integer" && !Number.isSafeInteger(value)) return ["must be an integer"]
      return Object.is(value, -0) ? 0 : value
    }
  }
}

const compiled = new Map<string, RegExp>()
const compile = (pattern: string): RegExp => {
  let regex = compiled.get(pattern)
  if (regex === undefined) {
    regex = new RegExp(pattern, "u")
    compiled.set(pattern, regex)
  }
  return regex
}

/** Why `value` breaks the spec's constraints, or undefined when it keeps them. */
export const violation = (spec: ParamSpec, value: ParamValue): string | undefined => {
  if (
    typeof value === "string" &&
    spec.pattern !== undefined &&
    !compile(spec.pattern).test(value)
  ) {
    return `must match ${spec.pattern}`
  }
  if (typeof value === "number") {
    if (spec.minimum !== undefined && value < spec.minimum)
      return `must be at least ${spec.minimum}`
    if (spec.maximum !== undefined && value > spec.maximum) return `must be at most ${spec.maximum}`
  }
  if (spec.enum !== undefined && !spec.enum.includes(value)) {
    return `must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(", ")}`
  }
  return undefined
}

/**
 * Validates raw query values against the param specs: unknown, missing, repeated,
 * over-long and invalid values are refused; defaults fill what is absent.
 */
export const normaliseParams = (
  specs: Readonly<Record<string, ParamSpec>>,
  raw: Readonly<Record<string, ReadonlyArray<string>>>,
): ParamsResult => {
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(specs, name))
      return { ok: false, param: name, reason: "is not a parameter of this source" }
  }
  const params: Record<string, ParamValue> = {}
  for (const [name, spec] of Object.entries(specs)) {
    const values = Object.hasOwn(raw, name) ? (raw[name] ?? []) : []
    if (values.length > 1) return { ok: false, param: name, reason: "is given more than once" }
    const [text] = values
    if (text === undefined) {
      if (spec.default === undefined) return { ok: false, param: name, reason: "is required" }
      params[name] = spec.default
      continue
    }
    if (text.length > MAX_PARAM_LENGTH) {
      return { ok: false, param: name, reason: `is longer than ${MAX_PARAM_LENGTH} characters` }
    }
    const parsed = parseValue(spec, text)
    if (Array.isArray(parsed)) return { ok: false, param: name, reason: parsed.join(", ") }
    const problem = violation(spec, parsed)
    if (problem !== undefined) return { ok: false, param: name, reason: problem }
    params[name] = parsed
  }
  return { ok: true, params }
}

/** `source?a=1&b=x`: the source id and the normalised params sorted by name. */
export const resourceKey = (source: string, params: Normalised): string => {
  const query = Object.keys(params)
    .sort()
    .map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(String(params[name]))}`)
    .join("&")
  return query === "" ? source : `${source}?${query}`
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/** Unpadded base64url of the bytes that `hex` (an even number of hex digits) spells. */
export const hexToBase64url = (hex: string): string => {
  let text = ""
  // Six hex digits are three bytes, four base64 characters; a shorter tail gives fewer.
  for (let start = 0; start < hex.length; start += 6) {
    const group = hex.slice(start, start + 6)
    const bits = group.length * 4
    const value = Number.parseInt(group, 16) << (24 - bits)
    for (let shift = 18; shift > 18 - Math.ceil(bits / 6) * 6; shift -= 6) {
      text += BASE64URL[(value >> shift) & 63]
    }
  }
  return text
}

/** A URL-safe id derived from the key, so the live path knows it without the database. */
export const resourceId = (key: string): string => hexToBase64url(sha256Hex(key).slice(0, 32))
