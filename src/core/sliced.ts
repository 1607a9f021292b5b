/**
 * A scheduler for background fibers that gives the event loop back between slices of
 * work: the fibers' tasks run in the order they were scheduled, from one deferred call
 * (`later`: `setImmediate`, after the loop's I/O) until `sliceMs` have passed, and the rest wait
 * for the loop's next turn. However many fibers become ready at once, the callbacks of
 * the I/O that arrived meanwhile (live answers among them) wait for one slice at most,
 * plus the task that overran it.
 */
import { Scheduler } from "effect"
import { later } from "./later.js"

export interface SliceOptions {
  /** The clock slices are measured with, in ms. */
  readonly now?: () => number
  /** Runs the next slice later: after the event loop's I/O, by default. */
  readonly defer?: (run: () => void) => void
}

/** Tasks run before the queue's finished head is cut off: the array is not shifted per task. */
const COMPACT_AFTER = 1_024

export const slicedScheduler = (
  sliceMs: number,
  options: SliceOptions = {},
): Scheduler.Scheduler => {
  const now = options.now ?? (() => performance.now())
  const defer = options.defer ?? later
  let tasks: Array<Scheduler.Task> = []
  let head = 0
  let deferred = false

  const slice = () => {
    const until = now() + sliceMs
    do {
      const task = tasks[head]
      if (task === undefined) break
      tasks[head++] = noop
      task()
    } while (now() < until)
    if (head === tasks.length) {
      tasks = []
      head = 0
      deferred = false
      return
    }
    if (head >= COMPACT_AFTER) {
      tasks = tasks.slice(head)
      head = 0
    }
    defer(slice)
  }

  return Scheduler.make((task) => {
    tasks.push(task)
    if (deferred) return
    deferred = true
    defer(slice)
  })
}

const noop = () => undefined
