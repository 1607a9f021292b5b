/** A small element builder: attributes in, children appended; events are added by the caller. */

export type Child = Node | string | number | null | undefined | false
export type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>

export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: ReadonlyArray<Child>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    element.setAttribute(name, value === true ? "" : String(value))
  }
  append(element, ...children)
  return element
}

export const append = (parent: Element, ...children: ReadonlyArray<Child>) => {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.append(typeof child === "number" ? String(child) : child)
  }
}

let counter = 0
/** A document-unique id for label/description wiring. */
export const uid = (prefix: string) => `${prefix}-${++counter}`

/** Text that only assistive technology reads. */
export const hidden = (text: string) => h("span", { class: "visually-hidden" }, text)

export const button = (
  label: Child,
  onClick: (event: MouseEvent) => void,
  attrs: Attrs = {},
): HTMLButtonElement => {
  const element = h("button", { type: "button", ...attrs }, label)
  element.addEventListener("click", onClick)
  return element
}

/** A polite status line: what screen readers announce after an action. */
export const statusLine = (className = "status") =>
  h("p", { class: className, role: "status", "aria-live": "polite" })
