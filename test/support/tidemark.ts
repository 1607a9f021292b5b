/** Tidemark in-process over real layers: the Hono app, its runtime, and a way to wait for recordings. */
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Context, Effect, Layer, ManagedRuntime, type Redacted } from "effect"
import { appLayer, observabilityLayer } from "../../src/AppLayer.js"
import { Background } from "../../src/Background.js"
import type { AppSettings, DatabaseTarget } from "../../src/Config.js"
import { makeApp, settingsOptions } from "../../src/http/app.js"
import { type LiveDirect, nodeServer } from "../../src/http/node.js"
import { makeRunner } from "../../src/http/run.js"
import { Live } from "../../src/live/Live.js"
import { Sources } from "../../src/Sources.js"
import type { SourcesDocument } from "../../src/SourcesFile.js"

export const defaultSettings = (database: DatabaseTarget): AppSettings => ({
  port: 0,
  host: "127.0.0.1",
  database,
  sourcesPath: "unused",
  apiToken: undefined,
  logLevel: "error",
  logFormat: "json",
  shutdownTimeoutMs: 10_000,
  recorderQueueMax: 10_000,
  dbPoolSize: 10,
  metricsToken: undefined,
  otlpEndpoint: undefined,
  serviceName: "tidemark",
})

export type TestApp = Awaited<ReturnType<typeof startTidemark>>

export const startTidemark = async (
  database: DatabaseTarget,
  sources: SourcesDocument,
  overrides: Partial<AppSettings> = {},
) => {
  const settings = { ...defaultSettings(database), ...overrides }
  const runtime = ManagedRuntime.make(
    appLayer(settings, Sources.fromDocument(sources)).pipe(
      Layer.provideMerge(observabilityLayer(settings, false)),
    ),
  )
  const services = await runtime.runtime()
  const app = makeApp({
    run: makeRunner(services),
    sources: Context.get(services.context, Sources),
    ...settingsOptions(settings),
  })
  return {
    app,
    runtime,
    request: (path: string, init?: RequestInit) => app.request(path, init),
    /** Resolves once every recording started so far has finished. */
    settle: () =>
      runtime.runPromise(
        Effect.flatMap(Background, (background) => background.drain("30 seconds")),
      ),
    close: () => runtime.dispose(),
  }
}

/** A response's JSON body, typed as the test expects it (the assertions check the shape). */
export const bodyOf = async <T = Record<string, unknown>>(response: Response): Promise<T> =>
  (await response.json()) as T

/** The in-process app behind a real socket on 127.0.0.1, for tests about connections. */
export const listen = async (tidemark: TestApp) => {
  const { serve } = await import("@hono/node-server")
  return new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
    const server = serve({ fetch: tidemark.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({
        port: info.port,
        close: () => new Promise<void>((closed) => server.close(() => closed())),
      }),
    )
  })
}

/** A server listening on a free port of 127.0.0.1: its URL, and how to close it. */
export const listening = (server: Server) =>
  new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((closed) => {
            server.close(() => closed())
            server.closeAllConnections()
          }),
      }),
    ),
  )

/** The settings of the direct live path over a test app's services, as `main.ts` makes them. */
export const directOf = async (
  tidemark: TestApp,
  apiToken: Redacted.Redacted<string> | undefined,
): Promise<LiveDirect> => {
  const services = await tidemark.runtime.runtime()
  return {
    live: Context.get(services.context, Live),
    run: makeRunner(services),
    logRequests: false,
    apiToken,
  }
}

/**
 * The test app served as `main.ts` serves it: by node:http, answering live requests itself
 * and leaving the rest to Hono. Its requests go over a socket; closing it closes the app.
 */
export const servedByNode = async (tidemark: TestApp): Promise<TestApp> => {
  const server = await listening(
    nodeServer(tidemark.app.fetch, "127.0.0.1", await directOf(tidemark, undefined)),
  )
  return {
    ...tidemark,
    request: (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init),
    close: async () => {
      await server.close()
      await tidemark.close()
    },
  }
}

/** The two ways a test app's requests can be served: suites about guarantees run under both. */
export const servings = [
  { name: "Hono in process", serve: async (tidemark: TestApp) => tidemark },
  { name: "node:http with the direct live path", serve: servedByNode },
] as const

/** Each of `cases` under each serving, named by both: `$name` and `$serving` in titles. */
export const underEachServing = <C extends object>(cases: ReadonlyArray<C>) =>
  cases.flatMap((case_) => servings.map(({ name, serve }) => ({ ...case_, serving: name, serve })))
