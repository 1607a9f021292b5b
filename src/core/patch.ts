import fastJsonPatch from "fast-json-patch"

export type PatchOperation = fastJsonPatch.Operation

/** The RFC 6902 operations that turn `from` into `to`. */
export const diff = (from: unknown, to: unknown): Array<PatchOperation> =>
  fastJsonPatch.compare(wrap(from), wrap(to)).map(unwrapOperation)

// fast-json-patch compares objects only; wrapping lets scalars and arrays at the root diff too.
const wrap = (value: unknown): { root: unknown } => ({ root: value })

const unwrapPath = (path: string): string => path.slice("/root".length)

const unwrapOperation = (operation: PatchOperation): PatchOperation => {
  const moved = "from" in operation ? { from: unwrapPath(operation.from) } : {}
  return { ...operation, ...moved, path: unwrapPath(operation.path) } as PatchOperation
}

/**
 * `document` with `patch` applied (RFC 6902); neither input is touched. Throws when an
 * operation does not fit. fast-json-patch refuses paths through `__proto__` (its guard
 * against prototype pollution), so patches touching such a member cannot be applied here.
 */
export const applyPatch = (document: unknown, patch: ReadonlyArray<PatchOperation>): unknown =>
  fastJsonPatch.applyPatch(
    wrap(structuredClone(document)),
    structuredClone(patch).map(wrapOperation),
    true,
    true,
  ).newDocument.root

const wrapPath = (path: string): string => `/root${path}`

const wrapOperation = (operation: PatchOperation): PatchOperation => {
  const moved = "from" in operation ? { from: wrapPath(operation.from) } : {}
  return { ...operation, ...moved, path: wrapPath(operation.path) } as PatchOperation
}
