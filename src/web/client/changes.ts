/**
 * RFC 6902 operations as readable changes: each with the value before (from replaying the
 * operations over the `from` document) and the value after.
 */
import { isObject, parentPointer, parsePointer, resolve } from "./pointer.js"
import type { PatchOperation } from "./types.js"

export type ChangeKind = "added" | "removed" | "changed" | "moved" | "copied"

export interface Change {
  readonly kind: ChangeKind
  readonly path: string
  readonly from?: string | undefined
  readonly before: { readonly found: boolean; readonly value: unknown }
  readonly after: { readonly found: boolean; readonly value: unknown }
}

const lastSegment = (pointer: string) => parsePointer(pointer).at(-1) ?? ""

const container = (document: unknown, pointer: string) => {
  const parent = resolve(document, parentPointer(pointer))
  if (!parent.found || !(Array.isArray(parent.value) || isObject(parent.value))) {
    throw new Error(`nothing at ${parentPointer(pointer)}`)
  }
  return parent.value
}

const put = (document: unknown, pointer: string, value: unknown, insert: boolean): unknown => {
  if (pointer === "") return value
  const parent = container(document, pointer)
  const key = lastSegment(pointer)
  if (Array.isArray(parent)) {
    const index = key === "-" ? parent.length : Number(key)
    parent.splice(index, insert ? 0 : 1, value)
  } else {
    Object.defineProperty(parent, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return document
}

const take = (document: unknown, pointer: string): unknown => {
  if (pointer === "") return null
  const parent = container(document, pointer)
  const key = lastSegment(pointer)
  if (Array.isArray(parent)) parent.splice(Number(key), 1)
  else delete parent[key]
  return document
}

const kinds: Record<PatchOperation["op"], ChangeKind | undefined> = {
  add: "added",
  remove: "removed",
  replace: "changed",
  move: "moved",
  copy: "copied",
  test: undefined,
}

/** The changes `operations` make to `before`, in order; `test` operations are left out. */
export const describeChanges = (
  before: unknown,
  operations: ReadonlyArray<PatchOperation>,
): Array<Change> => {
  let document: unknown = structuredClone(before)
  let replaying = true
  const changes: Array<Change> = []
  for (const operation of operations) {
    const kind = kinds[operation.op]
    const source = operation.from
    const old = replaying ? resolve(document, operation.path) : resolve(before, operation.path)
    const moved = source === undefined ? undefined : resolve(replaying ? document : before, source)
    const after =
      operation.op === "remove"
        ? { found: false, value: undefined }
        : operation.op === "move" || operation.op === "copy"
          ? { found: true, value: moved?.value }
          : { found: true, value: operation.value }
    if (kind !== undefined) {
      changes.push({
        kind,
        path: operation.path,
        from: source,
        before: operation.op === "add" ? { found: false, value: undefined } : old,
        after,
      })
    }
    if (!replaying || operation.op === "test") continue
    try {
      if (operation.op === "remove") document = take(document, operation.path)
      else if (operation.op === "replace")
        document = put(document, operation.path, structuredClone(operation.value), false)
      else if (operation.op === "add" || operation.op === "copy") {
        document = put(document, operation.path, structuredClone(after.value), true)
      } else if (operation.op === "move" && source !== undefined) {
        document = put(take(document, source), operation.path, after.value, true)
      }
    } catch {
      // A patch that does not fit its document: later old values are read from `before` as is.
      replaying = false
    }
  }
  return changes
}
