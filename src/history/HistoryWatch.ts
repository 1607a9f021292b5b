/**
 * What this process hears of versions written to its database, so that it may keep what it
 * knows of a resource's latest version between requests instead of reading it each time.
 */
import { Context, Effect, Layer, Redacted, Runtime } from "effect"
import { AppConfig } from "../Config.js"

export type WatchEvent =
  /** A version was appended, by this process or another. */
  | { readonly _tag: "Appended"; readonly resourceId: string; readonly version: number }
  /** The watch was interrupted: versions may have been appended unheard. */
  | { readonly _tag: "Lost" }

export interface HistoryWatchShape {
  /** True while every version appended by any writer is heard: only then may knowledge be kept. */
  readonly complete: () => boolean
  /** Calls `listener` with every event, synchronously, as it happens. */
  readonly listen: (listener: (event: WatchEvent) => void) => void
}

/** The channel migration 0002 announces versions on, as "<resource id> <version>". */
export const VERSIONS_CHANNEL = "tidemark_versions"
const RECONNECT_MS = 1000

const parse = (payload: string | undefined): WatchEvent | undefined => {
  const [resourceId, version] = (payload ?? "").split(" ")
  const number = Number(version)
  return resourceId === undefined || resourceId === "" || !Number.isInteger(number)
    ? undefined
    : { _tag: "Appended", resourceId, version: number }
}

/**
 * LISTEN on a connection of its own, outside the pool. While it is not listening (starting,
 * or reconnecting after a loss, once a second) the watch is incomplete.
 */
const listenOn = (url: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const { default: pg } = yield* Effect.promise(() => import("pg"))
    // The client's events arrive outside any fiber; their log lines go through the app's logger.
    const log = Runtime.runFork(yield* Effect.runtime<never>())
    const listeners: Array<(event: WatchEvent) => void> = []
    const emit = (event: WatchEvent) => {
      for (const listener of listeners) listener(event)
    }
    let client: InstanceType<typeof pg.Client> | undefined
    let listening = false
    let closed = false
    let retry: ReturnType<typeof setTimeout> | undefined
    /** Listening again after a loss is worth a line; listening the first time is not. */
    let listenedBefore = false

    const lose = (lost: InstanceType<typeof pg.Client>) => {
      if (client !== lost) return
      client = undefined
      if (listening) {
        listening = false
        emit({ _tag: "Lost" })
        if (!closed) {
          log(
            Effect.logWarning(
              "not listening for versions: every live request reads the history until it listens again",
            ),
          )
        }
      }
      lost.end().catch(() => undefined)
      if (!closed) retry = setTimeout(open, RECONNECT_MS)
    }

    const open = () => {
      retry = undefined
      const next = new pg.Client({ connectionString: Redacted.value(url), keepAlive: true })
      client = next
      next.on("notification", (message) => {
        const event = parse(message.payload)
        if (event !== undefined) emit(event)
      })
      next.on("error", () => lose(next))
      next.on("end", () => lose(next))
      next
        .connect()
        .then(() => next.query(`LISTEN ${VERSIONS_CHANNEL}`))
        .then(
          () => {
            if (client !== next || closed) return
            listening = true
            if (listenedBefore) log(Effect.logInfo("listening for versions again"))
            listenedBefore = true
          },
          () => lose(next),
        )
    }

    open()
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        closed = true
        listening = false
        clearTimeout(retry)
        const last = client
        client = undefined
        await last?.end().catch(() => undefined)
      }),
    )
    return {
      complete: () => listening,
      listen: (listener) => {
        listeners.push(listener)
      },
    } satisfies HistoryWatchShape
  })

export class HistoryWatch extends Context.Tag("tidemark/HistoryWatch")<
  HistoryWatch,
  HistoryWatchShape
>() {
  /** Nothing heard: knowledge is never kept between requests (each live request reads). */
  static readonly none = Layer.succeed(HistoryWatch, {
    complete: () => false,
    listen: () => undefined,
  })

  /** This process is the only writer (embedded PGlite: it holds its data directory's lock). */
  static readonly exclusive = Layer.succeed(HistoryWatch, {
    complete: () => true,
    listen: () => undefined,
  })

  /**
   * PostgreSQL, where any number of processes write: each hears the versions the others
   * append through LISTEN, moments after they commit, and only while its listening
   * connection is up. It is incomplete until then, and from a loss until it listens again.
   */
  static readonly postgres = (url: Redacted.Redacted<string>) =>
    Layer.scoped(HistoryWatch, listenOn(url))

  /** The watch for the configured database. */
  static readonly layer = Layer.unwrapEffect(
    Effect.map(AppConfig, ({ database }) =>
      database._tag === "Postgres" ? HistoryWatch.postgres(database.url) : HistoryWatch.exclusive,
    ),
  )
}
