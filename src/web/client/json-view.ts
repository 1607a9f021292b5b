/**
 * Pretty, collapsible JSON: objects and arrays are <details> (keyboard-usable as they are),
 * children are built the first time a node opens, and nodes can be marked as changed.
 */
import { button, h, hidden } from "./dom.js"
import { ancestors, childPointer, isObject } from "./pointer.js"

export type Mark = "added" | "changed" | "removed-inside"

export interface JsonViewOptions {
  /** Names the view for assistive technology. */
  readonly label: string
  /** Nodes shallower than this start open. */
  readonly openDepth?: number
  readonly marks?: ReadonlyMap<string, Mark>
}

const MARK_TEXT: Record<Mark, string> = {
  added: " (added)",
  changed: " (changed)",
  "removed-inside": " (something removed here)",
}

const EXPAND_ALL_LIMIT = 5000

const scalar = (value: unknown) => {
  if (typeof value === "string") return h("span", { class: "j-str" }, JSON.stringify(value))
  if (typeof value === "number") return h("span", { class: "j-num" }, String(value))
  if (typeof value === "boolean") return h("span", { class: "j-bool" }, String(value))
  return h("span", { class: "j-null" }, "null")
}

const keyLabel = (key: string | number | undefined) =>
  key === undefined
    ? null
    : typeof key === "number"
      ? h("span", { class: "j-index" }, `${key}: `)
      : h("span", { class: "j-key" }, `${JSON.stringify(key)}: `)

interface Context {
  readonly openDepth: number
  readonly marks: ReadonlyMap<string, Mark>
  readonly openPaths: ReadonlySet<string>
  readonly builders: WeakMap<HTMLDetailsElement, () => void>
}

const markNode = (element: HTMLElement, pointer: string, context: Context) => {
  const mark = context.marks.get(pointer)
  if (mark === undefined) return
  element.classList.add(`j-${mark}`)
  element.dataset.mark = mark
  element.append(hidden(MARK_TEXT[mark]))
}

const node = (
  value: unknown,
  pointer: string,
  key: string | number | undefined,
  depth: number,
  last: boolean,
  context: Context,
): HTMLElement => {
  const comma = last ? null : h("span", { class: "j-punct" }, ",")
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : isObject(value)
      ? Object.entries(value)
      : []
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"]
  if (entries.length === 0) {
    const leaf = h(
      "div",
      { class: "j-line", "data-path": pointer },
      keyLabel(key),
      Array.isArray(value) || isObject(value)
        ? h("span", { class: "j-punct" }, open + close)
        : scalar(value),
      comma,
    )
    markNode(leaf, pointer, context)
    return leaf
  }
  const count = Array.isArray(value) ? `${entries.length} items` : `${entries.length} keys`
  const summary = h(
    "summary",
    {},
    keyLabel(key),
    h("span", { class: "j-punct" }, open),
    h("span", { class: "j-more" }, ` ${count} ${close}`, comma),
  )
  const children = h("div", { class: "j-children" })
  const details = h("details", { class: "j-node", "data-path": pointer }, summary, children)
  details.append(h("div", { class: "j-close" }, close, comma === null ? null : ","))
  markNode(summary, pointer, context)
  let built = false
  const build = () => {
    if (built) return
    built = true
    entries.forEach(([childKey, child], index) => {
      children.append(
        node(
          child,
          childPointer(pointer, childKey),
          childKey,
          depth + 1,
          index === entries.length - 1,
          context,
        ),
      )
    })
  }
  context.builders.set(details, build)
  if (depth < context.openDepth || context.openPaths.has(pointer)) {
    build()
    details.open = true
  } else {
    details.addEventListener("toggle", () => {
      if (details.open) build()
    })
  }
  return details
}

export const jsonView = (value: unknown, options: JsonViewOptions): HTMLElement => {
  const marks = options.marks ?? new Map<string, Mark>()
  const openPaths = new Set<string>()
  for (const pointer of marks.keys()) for (const above of ancestors(pointer)) openPaths.add(above)
  const context: Context = {
    openDepth: options.openDepth ?? 3,
    marks,
    openPaths,
    builders: new WeakMap(),
  }
  const tree = h("div", { class: "j-tree" }, node(value, "", undefined, 0, true, context))
  const expandAll = () => {
    let opened = 0
    for (;;) {
      const closed = [...tree.querySelectorAll<HTMLDetailsElement>("details:not([open])")]
      if (closed.length === 0 || opened > EXPAND_ALL_LIMIT) return
      for (const details of closed) {
        context.builders.get(details)?.()
        details.open = true
        opened++
      }
    }
  }
  const collapseAll = () => {
    for (const details of tree.querySelectorAll<HTMLDetailsElement>("details[open]")) {
      if (details.dataset.path !== "") details.open = false
    }
  }
  return h(
    "div",
    { class: "json-view", role: "group", "aria-label": options.label },
    h(
      "div",
      { class: "json-tools" },
      button("Expand all", expandAll, { class: "small" }),
      button("Collapse all", collapseAll, { class: "small" }),
    ),
    tree,
  )
}
