import { contentHash } from "./canonical.js"
import { type Pointer, removePointers, resolvePointer } from "./pointer.js"

export interface TrackingRule {
  readonly select: Pointer
  readonly ignore: ReadonlyArray<Pointer>
}

/**
 * The part of an upstream body that decides whether something changed: the value at
 * `select` (null when the body has nothing there) without the `ignore` paths.
 */
export const trackedContent = (body: unknown, rule: TrackingRule): unknown => {
  const selected = resolvePointer(body, rule.select)
  return removePointers(selected === undefined ? null : selected, rule.ignore)
}

export interface Tracked {
  readonly content: unknown
  readonly hash: string
}

export const track = (body: unknown, rule: TrackingRule): Tracked => {
  const content = trackedContent(body, rule)
  return { content, hash: contentHash(content) }
}
