/** Tidemark in-process over real layers: the Hono app, its runtime, and a way to wait for recordings. */
import { Context, Effect, Layer, ManagedRuntime } from "effect"
import { appLayer, observabilityLayer } from "../../src/AppLayer.js"
import { Background } from "../../src/Background.js"
import type { AppSettings, DatabaseTarget } from "../../src/Config.js"
import { makeApp, settingsOptions } from "../../src/http/app.js"
import { makeRunner } from "../../src/http/run.js"
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
