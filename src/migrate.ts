/** `npm run migrate`: applies pending migrations to the configured database and exits. */
import { Effect, Either, Layer, ManagedRuntime } from "effect"
import { loggerLayer } from "./AppLayer.js"
import { AppConfig, describeConfigError, settingsConfig } from "./Config.js"
import { Database } from "./db/Database.js"

const loaded = Effect.runSync(Effect.either(settingsConfig))
if (Either.isLeft(loaded)) {
  process.stderr.write(`tidemark: configuration error: ${describeConfigError(loaded.left)}\n`)
  process.exit(1)
}
const settings = Either.getOrThrow(loaded)
const runtime = ManagedRuntime.make(
  Database.layer.pipe(
    Layer.provide(AppConfig.make(settings)),
    Layer.provideMerge(loggerLayer(settings, process.stdout.isTTY === true)),
  ),
)
const exit = await runtime.runPromiseExit(Effect.flatMap(Database, (database) => database.ready))
await runtime.dispose()
if (exit._tag === "Failure" || !exit.value) {
  process.stderr.write("tidemark: migrations could not be applied\n")
  process.exit(1)
}
process.stdout.write("tidemark: database is migrated\n")
