import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { batchedLookups } from "../../src/core/batch.js"
import { type Deferred, deferred } from "../support/waiting.js"

/** A look-up whose statements are held until the test ends them; it records each one's keys. */
const heldLookUp = () => {
  const statements: Array<{ keys: ReadonlyArray<string>; done: Deferred<void> }> = []
  const lookUp = async (keys: ReadonlyArray<string>) => {
    const done = deferred()
    statements.push({ keys, done })
    await done.promise
    return new Map(keys.map((key) => [key, `value of ${key}`]))
  }
  return { statements, lookUp }
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Waits, a turn of the event loop at a time, until `count` statements have started. */
const started = async (statements: ReadonlyArray<unknown>, count: number) => {
  for (let turn = 0; turn < 100 && statements.length < count; turn++) await settled()
  expect(statements).toHaveLength(count)
}

describe("batchedLookups", () => {
  it("looks a key up at once, alone, while fewer than inFlight statements run", async () => {
    const { statements, lookUp } = heldLookUp()
    const find = batchedLookups(lookUp, { inFlight: 2, maxKeys: 10 })
    const a = find("a")
    const b = find("b")
    await started(statements, 2)
    expect(statements.map((s) => s.keys)).toEqual([["a"], ["b"]])
    for (const statement of statements) statement.done.resolve()
    expect(await Promise.all([a, b])).toEqual(["value of a", "value of b"])
  })

  it("starts a statement at the end of the event loop's turn, after the turn's promises", async () => {
    const { statements, lookUp } = heldLookUp()
    const find = batchedLookups(lookUp, { inFlight: 2, maxKeys: 10 })
    void find("a")
    for (let hop = 0; hop < 5; hop++) await Promise.resolve()
    expect(statements).toHaveLength(0)
    await settled()
    expect(statements.map((s) => s.keys)).toEqual([["a"]])
  })

  it("sends the keys asked for while every statement runs together, once one ends", async () => {
    const { statements, lookUp } = heldLookUp()
    const find = batchedLookups(lookUp, { inFlight: 1, maxKeys: 10 })
    const a = find("a")
    const waiting = [find("b"), find("c"), find("b")]
    await started(statements, 1)
    await settled()
    expect(statements.map((s) => s.keys)).toEqual([["a"]])
    statements[0]?.done.resolve()
    await started(statements, 2)
    expect(statements.map((s) => s.keys)).toEqual([["a"], ["b", "c"]])
    statements[1]?.done.resolve()
    expect(await a).toBe("value of a")
    expect(await Promise.all(waiting)).toEqual(["value of b", "value of c", "value of b"])
  })

  it("puts at most maxKeys keys in a statement; the rest go in the next", async () => {
    const { statements, lookUp } = heldLookUp()
    const find = batchedLookups(lookUp, { inFlight: 1, maxKeys: 2 })
    const all = ["a", "b", "c", "d", "e"].map(find)
    for (let count = 1; count <= 3; count++) {
      await started(statements, count)
      statements[count - 1]?.done.resolve()
    }
    expect(await Promise.all(all)).toEqual(["a", "b", "c", "d", "e"].map((k) => `value of ${k}`))
    expect(statements.map((s) => s.keys)).toEqual([["a"], ["b", "c"], ["d", "e"]])
  })

  it("answers undefined for a key the look-up did not find", async () => {
    const find = batchedLookups(async () => new Map<string, string>(), {
      inFlight: 1,
      maxKeys: 10,
    })
    expect(await find("missing")).toBeUndefined()
  })

  it("rejects every waiter of a failed statement, and goes on with the next", async () => {
    let calls = 0
    const gate = deferred()
    const find = batchedLookups(
      async (keys: ReadonlyArray<string>) => {
        calls++
        if (calls === 1) {
          await gate.promise
          throw new Error("connection lost")
        }
        return new Map(keys.map((key) => [key, key.length]))
      },
      { inFlight: 1, maxKeys: 10 },
    )
    const first = find("a")
    const second = find("bb")
    gate.resolve()
    await expect(first).rejects.toThrow("connection lost")
    expect(await second).toBe(2)
  })

  it("rejects when the look-up throws instead of returning a promise", async () => {
    const find = batchedLookups<string, number>(
      () => {
        throw new Error("refused")
      },
      { inFlight: 1, maxKeys: 10 },
    )
    await expect(find("a")).rejects.toThrow("refused")
  })

  it("answers every key with its own value, within its bounds, whatever the timing", async () => {
    const scenario = fc.record({
      asks: fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", "e", "f"), fc.nat(3)), {
        minLength: 1,
        maxLength: 40,
      }),
      inFlight: fc.integer({ min: 1, max: 3 }),
      maxKeys: fc.integer({ min: 1, max: 4 }),
      delays: fc.array(fc.nat(3), { minLength: 1, maxLength: 10 }),
    })
    await fc.assert(
      fc.asyncProperty(scenario, async ({ asks, inFlight, maxKeys, delays }) => {
        let running = 0
        let most = 0
        let statement = 0
        const find = batchedLookups(
          async (keys: ReadonlyArray<string>) => {
            expect(keys.length).toBeLessThanOrEqual(maxKeys)
            expect(new Set(keys).size).toBe(keys.length)
            running++
            most = Math.max(most, running)
            const delay = delays[statement++ % delays.length] ?? 0
            await new Promise((resolve) => setTimeout(resolve, delay))
            running--
            return new Map(keys.map((key) => [key, key.toUpperCase()]))
          },
          { inFlight, maxKeys },
        )
        const answers: Array<Promise<string | undefined>> = []
        for (const [key, pause] of asks) {
          answers.push(find(key))
          if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause - 1))
        }
        expect(await Promise.all(answers)).toEqual(asks.map(([key]) => key.toUpperCase()))
        expect(most).toBeLessThanOrEqual(inFlight)
      }),
      { numRuns: 40 },
    )
  })
})
