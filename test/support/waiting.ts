/** Waiting on events rather than on the clock: deferred values and bounded polling. */
import { delay } from "./upstream.js"

export interface Deferred<A> {
  readonly promise: Promise<A>
  readonly resolve: (value: A) => void
}

export const deferred = <A = void>(): Deferred<A> => {
  let resolve: (value: A) => void = () => undefined
  const promise = new Promise<A>((settle) => {
    resolve = settle
  })
  return { promise, resolve }
}

/** Polls `check` until it holds; fails naming `what` after `attempts` tries. */
export const waitFor = async (
  what: string,
  check: () => boolean | Promise<boolean>,
  { attempts = 1000, intervalMs = 10 }: { attempts?: number; intervalMs?: number } = {},
): Promise<void> => {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await delay(intervalMs)
  }
  throw new Error(`gave up waiting for ${what}`)
}
