import type { Database } from "../db/Database.js"
import type { Browse } from "../history/Browse.js"
import type { Feed } from "../live/Feed.js"
import type { Live } from "../live/Live.js"
import type { MetricsExport } from "../telemetry/MetricsExport.js"
import type { RequestRunner } from "./run.js"

/** The services the HTTP edge runs effects against. */
export type AppServices = Live | Browse | Database | Feed | MetricsExport

/** What handlers share within one request. */
export type AppEnv = {
  Variables: {
    /** Runs an effect as part of this request: under its span, interrupted if the client leaves (unless `null` is given as its signal). */
    run: RequestRunner<AppServices>
    /** How the upstream call went, for the request log line. */
    upstream: string
  }
}
