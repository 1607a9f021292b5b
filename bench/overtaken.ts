/**
 * Items of a sequence that come after one ranked higher, and by how much at most: answers
 * that arrived after one sent later, or after one whose call started later.
 */
export const overtaken = <A>(items: ReadonlyArray<A>, rank: (item: A) => number) => {
  let highest = Number.NEGATIVE_INFINITY
  let count = 0
  let farthest = 0
  for (const item of items) {
    const own = rank(item)
    if (own < highest) {
      count++
      farthest = Math.max(farthest, highest - own)
    } else highest = own
  }
  return { count, farthest }
}
