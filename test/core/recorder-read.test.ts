/**
 * The recorder's history read, against a History that counts what it is asked: calls that
 * start together for a resource whose latest version is not known share one read.
 */
import { Effect, Exit, Layer, ManagedRuntime, Option } from "effect"
import { describe, expect, it } from "vitest"
import { Background } from "../../src/Background.js"
import { AppConfig } from "../../src/Config.js"
import { contentHash } from "../../src/core/canonical.js"
import { type Appended, History, type ResourceRef } from "../../src/history/History.js"
import { HistoryWatch } from "../../src/history/HistoryWatch.js"
import { Feed } from "../../src/live/Feed.js"
import { Recorder } from "../../src/live/Recorder.js"
import { defaultSettings } from "../support/tidemark.js"
import { deferred } from "../support/waiting.js"

const resource: ResourceRef = {
  id: "shared-read-resource",
  key: "quotes?symbol=TDMK",
  source: "quotes",
  params: { symbol: "TDMK" },
}

/** A History whose reads wait for `answerReads` and whose appends all succeed. */
const countingHistory = () => {
  const counts = { reads: 0, appends: 0 }
  const readsAnswered = deferred()
  const read = () => {
    counts.reads++
    return Effect.promise(() => readsAnswered.promise).pipe(Effect.as(Option.none()))
  }
  const layer = Layer.succeed(History, {
    startLatest: () => Effect.sync(read),
    unsafeStartLatest: read,
    append: (observation) =>
      Effect.sync(() => {
        counts.appends++
        return {
          _tag: "Appended",
          version: counts.appends,
          changes: 1,
          tracked: JSON.stringify(observation.tracked),
        } satisfies Appended
      }),
    appendAll: () => Effect.die("not expected here"),
    unsafeAppendAll: () => Promise.reject(new Error("not expected here")),
  })
  return { counts, layer, answerReads: () => readsAnswered.resolve() }
}

const answer = (price: number) => {
  const tracked = { symbol: "TDMK", price }
  const text = JSON.stringify(tracked)
  return Exit.succeed({
    answer: {
      status: 200,
      contentType: "application/json",
      bytes: Buffer.from(text),
      text,
      json: tracked,
      observedAt: new Date(),
    },
    tracked: { content: tracked, hash: contentHash(tracked) },
  })
}

describe("the recorder's history read", () => {
  it("is shared by the calls that start together for a resource it does not know, and skipped once it knows it", async () => {
    const history = countingHistory()
    const runtime = ManagedRuntime.make(
      Recorder.layer.pipe(
        Layer.provide(history.layer),
        Layer.provideMerge(Layer.mergeAll(Background.layer, Feed.layer, HistoryWatch.exclusive)),
        Layer.provide(AppConfig.make(defaultSettings({ _tag: "PgliteMemory" }))),
      ),
    )
    try {
      const recorder = await runtime.runPromise(Recorder)
      const recordings = Array.from({ length: 20 }, () => recorder.unsafeBegin(resource, undefined))
      expect(history.counts.reads).toBe(1)

      for (const recording of recordings) recording.end(answer(100))
      history.answerReads()
      await runtime.runPromise(Effect.flatMap(Background, (background) => background.drain(5_000)))
      expect(history.counts).toEqual({ reads: 1, appends: 1 })

      // Known now: a new call reads nothing.
      recorder.unsafeBegin(resource, undefined).end(answer(100))
      await runtime.runPromise(Effect.flatMap(Background, (background) => background.drain(5_000)))
      expect(history.counts).toEqual({ reads: 1, appends: 1 })
    } finally {
      await runtime.dispose()
    }
  })
})
