import { Context, Effect, Layer } from "effect"
import { AppConfig } from "./Config.js"
import { SourceNotFound } from "./Errors.js"
import { decodeSources, parseSourcesText, type Source, SourcesFileError } from "./SourcesFile.js"

export interface SourcesShape {
  readonly all: ReadonlyArray<Source>
  readonly get: (id: string) => Effect.Effect<Source, SourceNotFound>
  readonly find: (id: string) => Source | undefined
}

const make = (sources: ReadonlyArray<Source>): SourcesShape => {
  const byId = new Map(sources.map((source) => [source.id, source]))
  return {
    all: sources,
    find: (id) => byId.get(id),
    get: (id) => {
      const source = byId.get(id)
      return source === undefined
        ? Effect.fail(new SourceNotFound({ source: id }))
        : Effect.succeed(source)
    },
  }
}

export class Sources extends Context.Tag("tidemark/Sources")<Sources, SourcesShape>() {
  /** The sources file named by `TIDEMARK_SOURCES`. */
  static readonly fromFile = Layer.effect(
    Sources,
    Effect.gen(function* () {
      const { sourcesPath } = yield* AppConfig
      const text = yield* Effect.tryPromise({
        // Imported here, not at the top: the app's modules load where there is no file system.
        try: () => import("node:fs/promises").then(({ readFile }) => readFile(sourcesPath, "utf8")),
        catch: (error) =>
          new SourcesFileError({
            message: `TIDEMARK_SOURCES: cannot read ${sourcesPath} (${error instanceof Error ? error.message : String(error)})`,
          }),
      })
      return make(yield* parseSourcesText(text, sourcesPath))
    }),
  )

  /** Sources from an already parsed document, for tests and embedders. */
  static readonly fromDocument = (document: unknown) =>
    Layer.effect(Sources, decodeSources(document).pipe(Effect.map(make)))
}
