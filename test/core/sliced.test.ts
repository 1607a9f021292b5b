import { Effect, Fiber } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { slicedScheduler } from "../../src/core/sliced.js"

/** A clock the tasks move forward, and the deferred slices, run when the test says. */
const manual = () => {
  let time = 0
  const later: Array<() => void> = []
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms
    },
    defer: (run: () => void) => {
      later.push(run)
    },
    later,
  }
}

/** Busy for `ms` of wall time: a task that holds the thread, as a recording's work does. */
const busy = (ms: number) => {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

describe("slicedScheduler", () => {
  it("runs nothing until its deferred slice runs", () => {
    const clock = manual()
    const scheduler = slicedScheduler(2, clock)
    const ran: Array<number> = []
    scheduler.scheduleTask(() => ran.push(1), 0)
    scheduler.scheduleTask(() => ran.push(2), 0)
    expect(ran).toEqual([])
    expect(clock.later).toHaveLength(1)
    clock.later.shift()?.()
    expect(ran).toEqual([1, 2])
    expect(clock.later).toHaveLength(0)
  })

  it("stops a slice once its time is used up and defers the rest", () => {
    const clock = manual()
    const scheduler = slicedScheduler(2, clock)
    const ran: Array<number> = []
    for (let i = 0; i < 5; i++) {
      scheduler.scheduleTask(() => {
        ran.push(i)
        clock.advance(1)
      }, 0)
    }
    clock.later.shift()?.()
    expect(ran).toEqual([0, 1])
    clock.later.shift()?.()
    expect(ran).toEqual([0, 1, 2, 3])
    clock.later.shift()?.()
    expect(ran).toEqual([0, 1, 2, 3, 4])
    expect(clock.later).toHaveLength(0)
  })

  it("runs a task that overruns the slice alone, and the next one in the next slice", () => {
    const clock = manual()
    const scheduler = slicedScheduler(2, clock)
    const ran: Array<string> = []
    scheduler.scheduleTask(() => {
      ran.push("long")
      clock.advance(10)
    }, 0)
    scheduler.scheduleTask(() => ran.push("short"), 0)
    clock.later.shift()?.()
    expect(ran).toEqual(["long"])
    clock.later.shift()?.()
    expect(ran).toEqual(["long", "short"])
  })

  it("property: every task runs once, in the order scheduled, each slice within its time plus one task", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            cost: fc.integer({ min: 0, max: 5 }),
            spawns: fc.integer({ min: 0, max: 2 }),
          }),
          { maxLength: 3_000 },
        ),
        fc.integer({ min: 1, max: 8 }),
        (plan, sliceMs) => {
          const clock = manual()
          const scheduler = slicedScheduler(sliceMs, clock)
          const scheduled: Array<number> = []
          const ran: Array<number> = []
          let next = 0
          let sliceStart = 0
          let sliceWorst = 0
          const schedule = (step: { cost: number; spawns: number }) => {
            const id = next++
            scheduled.push(id)
            scheduler.scheduleTask(() => {
              ran.push(id)
              // Measured before the task runs: a slice may overrun by its last task only.
              expect(clock.now() - sliceStart).toBeLessThan(sliceMs)
              clock.advance(step.cost)
              sliceWorst = Math.max(sliceWorst, clock.now() - sliceStart)
              for (let i = 0; i < step.spawns && next < 6_000; i++) {
                schedule({ cost: step.cost, spawns: 0 })
              }
            }, 0)
          }
          for (const step of plan) schedule(step)
          for (let slices = 0; clock.later.length > 0; slices++) {
            expect(clock.later).toHaveLength(1)
            sliceStart = clock.now()
            clock.later.shift()?.()
            expect(slices).toBeLessThan(20_000)
          }
          expect(ran).toEqual(scheduled)
          expect(sliceWorst).toBeLessThan(sliceMs + 5 + 1)
        },
      ),
      { numRuns: 200 },
    )
  })

  it("runs Effect fibers to their end, yielding to the event loop between slices", async () => {
    const scheduler = slicedScheduler(2)
    const ranBeforeTheLoop: Array<number> = []
    let fibersDone = 0
    let loopHadTurn = false
    const fibers = Array.from({ length: 20 }, (_, i) =>
      Effect.runFork(
        Effect.sync(() => {
          busy(1)
          if (!loopHadTurn) ranBeforeTheLoop.push(i)
        }).pipe(
          Effect.zipRight(Effect.yieldNow()),
          Effect.zipRight(Effect.sync(() => fibersDone++)),
        ),
        { scheduler, immediate: false },
      ),
    )
    // Queued after the first slice: it runs as soon as that slice gives the loop back.
    setImmediate(() => {
      loopHadTurn = true
    })
    await Effect.runPromise(Fiber.joinAll(fibers))
    expect(fibersDone).toBe(20)
    // Each task holds the thread for 1 ms or more: a 2 ms slice ends after two at most.
    expect(ranBeforeTheLoop.length).toBeGreaterThan(0)
    expect(ranBeforeTheLoop.length).toBeLessThanOrEqual(2)
  })
})
