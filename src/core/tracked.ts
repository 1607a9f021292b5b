import { contentHash } from "./canonical.js"
import { equalWithoutPointers, type Pointer, removePointers, resolvePointer } from "./pointer.js"

export interface TrackingRule {
  readonly select: Pointer
  readonly ignore: ReadonlyArray<Pointer>
}

/**
 * The part of an upstream body that decides whether something changed: the value at
 * `select` (null when the body has nothing there) without the `ignore` paths.
 */
export const trackedContent = (body: unknown, rule: TrackingRule): unknown =>
  removePointers(selected(body, rule), rule.ignore)

const selected = (body: unknown, rule: TrackingRule): unknown =>
  resolvePointer(body, rule.select) ?? null

export interface Tracked {
  readonly content: unknown
  readonly hash: string
}

export const track = (body: unknown, rule: TrackingRule): Tracked => {
  const content = trackedContent(body, rule)
  return { content, hash: contentHash(content) }
}

/**
 * Tracks answers for many resources, remembering each one's latest tracked content: an
 * answer whose content is canonically equal to it, which most answers are, reuses its hash
 * (and the remembered object) instead of being copied without its ignored paths, written
 * out and hashed again. At most `maxEntries` resources and `maxWeight` in all are
 * remembered (each answer weighs what its caller says, such as its body's size); the
 * longest remembered go first.
 */
export const makeTracker = (maxEntries: number, maxWeight: number) => {
  const remembered = new Map<string, { readonly tracked: Tracked; readonly weight: number }>()
  let weight = 0
  const forget = (id: string) => {
    weight -= remembered.get(id)?.weight ?? 0
    remembered.delete(id)
  }
  return (id: string, body: unknown, rule: TrackingRule, answerWeight: number): Tracked => {
    const known = remembered.get(id)
    const value = selected(body, rule)
    if (known !== undefined && equalWithoutPointers(value, rule.ignore, known.tracked.content)) {
      return known.tracked
    }
    const content = removePointers(value, rule.ignore)
    const tracked: Tracked = { content, hash: contentHash(content) }
    forget(id)
    if (answerWeight > maxWeight) return tracked
    while (remembered.size >= maxEntries || weight + answerWeight > maxWeight) {
      const oldest = remembered.keys().next()
      if (oldest.done === true) break
      forget(oldest.value)
    }
    remembered.set(id, { tracked, weight: answerWeight })
    weight += answerWeight
    return tracked
  }
}
