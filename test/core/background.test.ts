import { Effect, ManagedRuntime, Scheduler } from "effect"
import { describe, expect, it } from "vitest"
import { Background } from "../../src/Background.js"

/** A scheduler that holds its tasks until the test runs them. */
const held = () => {
  const tasks: Array<Scheduler.Task> = []
  return {
    scheduler: Scheduler.make((task) => {
      tasks.push(task)
    }),
    runAll: () => {
      while (tasks.length > 0) tasks.shift()?.()
    },
  }
}

describe("Background.unsafeRun", () => {
  it("runs an effect's first step at once when no scheduler is given", async () => {
    const runtime = ManagedRuntime.make(Background.layer)
    const background = await runtime.runPromise(Background)
    const ran: Array<string> = []
    background.unsafeRun(Effect.sync(() => ran.push("first step")))
    expect(ran).toEqual(["first step"])
    await runtime.dispose()
  })

  it("starts an effect on the scheduler given: nothing of it runs before the scheduler's turn", async () => {
    const runtime = ManagedRuntime.make(Background.layer)
    const background = await runtime.runPromise(Background)
    const { scheduler, runAll } = held()
    const ran: Array<string> = []
    background.unsafeRun(
      Effect.sync(() => ran.push("first step")),
      { scheduler },
    )
    expect(ran).toEqual([])
    runAll()
    expect(ran).toEqual(["first step"])
    expect(await runtime.runPromise(background.drain("1 second"))).toBe(true)
    await runtime.dispose()
  })
})
