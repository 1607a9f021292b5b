import { later } from "./later.js"

/**
 * Look-ups asked for one key at a time, answered by statements that each take many keys:
 * while fewer than `inFlight` statements run, a key goes alone, without waiting for
 * another; after that, the keys asked for meanwhile wait and go together, at most `maxKeys`
 * to a statement, as soon as a running one ends. A near database answers each key alone as
 * before; a far one answers a burst of new keys in a few statements instead of one round
 * trip per key. A statement starts at the end of the event loop's turn, after the I/O the
 * turn started (a live request's upstream call): an embedded database's query runs on this
 * thread and would otherwise hold that call back.
 */
export const batchedLookups = <K, V>(
  lookUp: (keys: ReadonlyArray<K>) => Promise<ReadonlyMap<K, V>>,
  { inFlight, maxKeys }: { readonly inFlight: number; readonly maxKeys: number },
): ((key: K) => Promise<V | undefined>) => {
  interface Waiter {
    readonly resolve: (value: V | undefined) => void
    readonly reject: (error: unknown) => void
  }
  let running = 0
  /** Keys waiting for a statement, in the order they were asked for, with who waits. */
  const waiting = new Map<K, Array<Waiter>>()

  const start = (batch: ReadonlyMap<K, ReadonlyArray<Waiter>>) => {
    running++
    later(() => {
      // Called through a promise so that a look-up that throws rejects like one that fails.
      Promise.resolve([...batch.keys()])
        .then(lookUp)
        .then(
          (found) => {
            for (const [key, waiters] of batch)
              for (const waiter of waiters) waiter.resolve(found.get(key))
          },
          (error: unknown) => {
            for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error)
          },
        )
        .finally(() => {
          running--
          if (waiting.size > 0) start(nextBatch())
        })
    })
  }

  const nextBatch = () => {
    const batch = new Map<K, Array<Waiter>>()
    for (const [key, waiters] of waiting) {
      if (batch.size >= maxKeys) break
      batch.set(key, waiters)
      waiting.delete(key)
    }
    return batch
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      const waiter = { resolve, reject }
      if (running < inFlight) return start(new Map([[key, [waiter]]]))
      const others = waiting.get(key)
      if (others === undefined) waiting.set(key, [waiter])
      else others.push(waiter)
    })
}
