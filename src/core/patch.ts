import fastJsonPatch from "fast-json-patch"

export type PatchOperation = fastJsonPatch.Operation

/** The RFC 6902 operations that turn `from` into `to`. */
export const diff = (from: unknown, to: unknown): Array<PatchOperation> =>
  fastJsonPatch.compare(wrap(from), wrap(to)).map(unwrapOperation)

/** `document` with `patch` applied; the input is left untouched. */
export const applyPatch = (document: unknown, patch: ReadonlyArray<PatchOperation>): unknown =>
  fastJsonPatch.applyPatch(wrap(structuredClone(document)), patch.map(wrapOperation), true, true)
    .newDocument.root

// fast-json-patch compares objects only; wrapping lets scalars and arrays at the root diff too.
const wrap = (value: unknown): { root: unknown } => ({ root: value })

const unwrapPath = (path: string): string => path.slice("/root".length)
const wrapPath = (path: string): string => `/root${path}`

const unwrapOperation = (operation: PatchOperation): PatchOperation => {
  const moved = "from" in operation ? { from: unwrapPath(operation.from) } : {}
  return { ...operation, ...moved, path: unwrapPath(operation.path) } as PatchOperation
}

const wrapOperation = (operation: PatchOperation): PatchOperation => {
  const moved = "from" in operation ? { from: wrapPath(operation.from) } : {}
  return { ...operation, ...moved, path: wrapPath(operation.path) } as PatchOperation
}
