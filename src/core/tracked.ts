import { canonicallyEqual, contentHash } from "./canonical.js"
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

/**
 * Tracks answers for many resources, remembering each one's latest tracked content: an
 * answer whose content is canonically equal to it reuses its hash (and the remembered
 * object) instead of being written out and hashed again, which most answers are. At most
 * `maxEntries` resources and `maxWeight` in all are remembered (each answer weighs what
 * its caller says, such as its body's size); the longest remembered go first.
 */
export const makeTracker = (maxEntries: number, maxWeight: number) => {
  const remembered = new Map<string, { readonly tracked: Tracked; readonly weight: number }>()
  let weight = 0
  const forget = (id: string) => {
    weight -= remembered.get(id)?.weight ?? 0
    remembered.delete(id)
  }
  return (id: string, body: unknown, rule: TrackingRule, answerWeight: number): Tracked => {
    const content = trackedContent(body, rule)
    const known = remembered.get(id)
    if (known !== undefined && canonicallyEqual(content, known.tracked.content)) {
      return known.tracked
    }
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
