/**
 * A form built from a source's param definitions: number inputs for numbers, selects for
 * enums and booleans, and the same checks the server makes, shown before anything is sent.
 */
import { h, uid } from "./dom.js"
import type { ParamSpec, ParamValue } from "./types.js"

const MAX_LENGTH = 1024
const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/

type Control = HTMLInputElement | HTMLSelectElement

interface Field {
  readonly name: string
  readonly spec: ParamSpec
  readonly control: Control
  readonly message: HTMLElement
}

export interface ParamsForm {
  readonly fields: HTMLElement
  /** The query to send, or undefined after showing what is wrong (focus on the first field). */
  readonly read: () => URLSearchParams | undefined
}

/** What the server would accept for `raw`: the text to send, or why it is refused. */
export const checkValue = (
  spec: ParamSpec,
  raw: string,
  badInput = false,
): { ok: true; send: string } | { ok: false; reason: string } => {
  const fail = (reason: string) => ({ ok: false, reason }) as const
  if (badInput) return fail(spec.type === "integer" ? "must be an integer" : "must be a number")
  if (raw === "") return spec.default === undefined ? fail("is required") : { ok: true, send: "" }
  if (raw.length > MAX_LENGTH) return fail(`is longer than ${MAX_LENGTH} characters`)
  let value: ParamValue = raw
  if (spec.type === "number" || spec.type === "integer") {
    const number = Number(raw.trim())
    if (raw.trim() === "" || !Number.isFinite(number) || !NUMBER_TEXT.test(String(number))) {
      return fail(spec.type === "integer" ? "must be an integer" : "must be a number")
    }
    if (spec.type === "integer" && !Number.isSafeInteger(number)) return fail("must be an integer")
    value = Object.is(number, -0) ? 0 : number
    if (spec.minimum !== undefined && value < spec.minimum)
      return fail(`must be at least ${spec.minimum}`)
    if (spec.maximum !== undefined && value > spec.maximum)
      return fail(`must be at most ${spec.maximum}`)
  } else if (spec.type === "boolean") {
    if (raw !== "true" && raw !== "false") return fail("must be true or false")
    value = raw === "true"
  } else if (spec.pattern !== undefined && !new RegExp(spec.pattern, "u").test(raw)) {
    return fail(`must match ${spec.pattern}`)
  }
  if (spec.enum !== undefined && !spec.enum.includes(value)) {
    return fail(`must be one of ${spec.enum.map((item) => JSON.stringify(item)).join(", ")}`)
  }
  return { ok: true, send: String(value) }
}

const constraints = (spec: ParamSpec): string => {
  const parts: Array<string> = [spec.type === "integer" ? "whole number" : spec.type]
  if (spec.minimum !== undefined && spec.maximum !== undefined) {
    parts.push(`from ${spec.minimum} to ${spec.maximum}`)
  } else if (spec.minimum !== undefined) parts.push(`at least ${spec.minimum}`)
  else if (spec.maximum !== undefined) parts.push(`at most ${spec.maximum}`)
  if (spec.pattern !== undefined) parts.push(`matching ${spec.pattern}`)
  parts.push(spec.default === undefined ? "required" : `default ${String(spec.default)}`)
  return parts.join(", ")
}

const selectFor = (id: string, spec: ParamSpec, choices: ReadonlyArray<ParamValue>) => {
  const select = h("select", { id })
  if (spec.default === undefined) select.append(h("option", { value: "" }, "Choose…"))
  for (const choice of choices) {
    const text = String(choice)
    select.append(h("option", { value: text, selected: choice === spec.default }, text))
  }
  return select
}

const controlFor = (id: string, spec: ParamSpec): Control => {
  if (spec.enum !== undefined) return selectFor(id, spec, spec.enum)
  if (spec.type === "boolean") return selectFor(id, spec, [true, false])
  const numeric = spec.type === "number" || spec.type === "integer"
  return h("input", {
    id,
    type: numeric ? "number" : "text",
    step: numeric ? (spec.type === "integer" ? 1 : "any") : undefined,
    min: spec.minimum,
    max: spec.maximum,
    inputmode: numeric ? (spec.type === "integer" ? "numeric" : "decimal") : undefined,
    value: spec.default === undefined ? undefined : String(spec.default),
    autocomplete: "off",
    spellcheck: numeric ? undefined : "false",
    "aria-required": spec.default === undefined ? "true" : undefined,
  })
}

const fieldFor = (formId: string, name: string, spec: ParamSpec) => {
  const id = `${formId}-${name}`
  const control = controlFor(id, spec)
  const hint = h(
    "p",
    { class: "hint", id: `${id}-hint` },
    spec.description === undefined ? null : h("span", { class: "hint-text" }, spec.description),
    h("span", { class: "constraints" }, constraints(spec)),
  )
  const message = h("p", { class: "field-error", id: `${id}-error`, hidden: true })
  control.setAttribute("aria-describedby", `${id}-hint ${id}-error`)
  const wrapper = h(
    "div",
    { class: "field" },
    h(
      "label",
      { for: id },
      name,
      spec.default === undefined ? h("span", { class: "required" }, " (required)") : null,
    ),
    control,
    hint,
    message,
  )
  return { wrapper, field: { name, spec, control, message } satisfies Field }
}

const check = (field: Field) => {
  const badInput = field.control instanceof HTMLInputElement && field.control.validity.badInput
  const result = checkValue(field.spec, field.control.value, badInput)
  field.message.textContent = result.ok ? "" : `${field.name} ${result.reason}`
  field.message.hidden = result.ok
  if (result.ok) field.control.removeAttribute("aria-invalid")
  else field.control.setAttribute("aria-invalid", "true")
  return result
}

export const paramsForm = (
  sourceId: string,
  params: Readonly<Record<string, ParamSpec>>,
): ParamsForm => {
  const formId = uid(`source-${sourceId}`)
  const built = Object.entries(params).map(([name, spec]) => fieldFor(formId, name, spec))
  const fields = built.map((item) => item.field)
  for (const field of fields) {
    const recheck = () => {
      if (field.control.getAttribute("aria-invalid") === "true") check(field)
    }
    field.control.addEventListener("input", recheck)
    field.control.addEventListener("change", recheck)
  }
  return {
    fields: h("div", { class: "fields" }, ...built.map((item) => item.wrapper)),
    read: () => {
      const query = new URLSearchParams()
      let firstBad: Field | undefined
      for (const field of fields) {
        const result = check(field)
        if (!result.ok) firstBad ??= field
        else if (result.send !== "") query.set(field.name, result.send)
      }
      if (firstBad === undefined) return query
      firstBad.control.focus()
      return undefined
    },
  }
}
