/** The targets under load: how each one starts, where it answers, where its history is read. */
import { freePort } from "../test/support/ports.js"
import { targetCommand } from "./build.js"
import { type HistoryReader, httpHistory, postgresHistory } from "./history.js"
import type { TargetName } from "./options.js"
import { type Child, delay, startNode } from "./processes.js"

export const SOURCES = { coalesced: "coalesced", uncoalesced: "uncoalesced" } as const

/** What the targets share in one run. */
export interface Stage {
  readonly upstreamUrl: string
  readonly sourcesPath: string
  readonly pgliteDir: string
  /** Absent when PostgreSQL is not reachable. */
  readonly postgres:
    | {
        readonly tidemark: string
        readonly tidemarkDelayed: string
        readonly naive: string
        readonly naiveDelayed: string
      }
    | undefined
  readonly queueMax: number | undefined
  readonly dbPool: number | undefined
  readonly cpuProfDir: string | undefined
  readonly tidemarkBundle: string | undefined
}

export interface RunningTarget {
  readonly child: Child
  readonly baseUrl: string
  /** The live URL with `{key}` in place of the key. */
  readonly urlTemplate: (coalesce: boolean) => string
  readonly history: HistoryReader | undefined
  readonly isTidemark: boolean
}

export const needsPostgres = (name: TargetName) =>
  name === "naive" || name === "naive-pg50" || name === "tidemark-pg" || name === "tidemark-pg50"

export const sourcesDocument = (upstreamUrl: string) => {
  const source = (coalesce: boolean) => ({
    description: "The benchmark's upstream stand-in",
    url: `${upstreamUrl}/q/{key}`,
    params: { key: { type: "string", pattern: "^[a-z0-9-]{1,40}$" } },
    ignore: ["/serial", "/servedAt"],
    coalesce,
  })
  return { sources: { [SOURCES.coalesced]: source(true), [SOURCES.uncoalesced]: source(false) } }
}

/** The child's environment never inherits Tidemark's, PostgreSQL's or telemetry variables. */
const cleanEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined &&
        !/^(PORT|HOST|DATABASE_URL|LOG_LEVEL|LOG_FORMAT|TIDEMARK_\w+|OTEL_\w+|UPSTREAM_URL)$/.test(
          entry[0],
        ),
    ),
  )

const waitHealthy = async (child: Child, baseUrl: string, timeoutMs: number) => {
  let exited = false
  void child.exited.then(() => {
    exited = true
  })
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (exited) throw new Error(`target exited before serving: ${child.stderr().slice(-2000)}`)
    const healthy = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return
    await delay(100)
  }
  throw new Error(`target did not answer /healthz within ${timeoutMs} ms`)
}

const databaseFor = (name: TargetName, stage: Stage): Record<string, string> => {
  if (name === "tidemark-pglite") return { TIDEMARK_DATA_DIR: stage.pgliteDir }
  if (!needsPostgres(name)) return {}
  const pg = stage.postgres
  if (pg === undefined) throw new Error(`${name} needs PostgreSQL, which is not reachable`)
  const url = {
    naive: pg.naive,
    "naive-pg50": pg.naiveDelayed,
    "tidemark-pg": pg.tidemark,
    "tidemark-pg50": pg.tidemarkDelayed,
  }[name as "naive" | "naive-pg50" | "tidemark-pg" | "tidemark-pg50"]
  return { DATABASE_URL: url }
}

export const startTarget = async (name: TargetName, stage: Stage): Promise<RunningTarget> => {
  const isTidemark = name.startsWith("tidemark")
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const env = {
    ...cleanEnv(),
    ...databaseFor(name, stage),
    PORT: String(port),
    HOST: "127.0.0.1",
    UPSTREAM_URL: stage.upstreamUrl,
    TIDEMARK_SOURCES: stage.sourcesPath,
    LOG_LEVEL: "warn",
    LOG_FORMAT: "json",
    TIDEMARK_SHUTDOWN_TIMEOUT_MS: "2000",
    ...(stage.queueMax === undefined
      ? {}
      : { TIDEMARK_RECORDER_QUEUE_MAX: String(stage.queueMax) }),
    ...(stage.dbPool === undefined ? {} : { TIDEMARK_DB_POOL_SIZE: String(stage.dbPool) }),
  }
  const command = targetCommand(name.replace("-pg50", ""), isTidemark)
  // Another build runs with the start script's node flags too: only the build differs.
  const { script, nodeArgs } =
    isTidemark && stage.tidemarkBundle !== undefined
      ? { ...command, script: stage.tidemarkBundle }
      : command
  const profiling =
    stage.cpuProfDir === undefined
      ? []
      : [
          "--cpu-prof",
          "--cpu-prof-dir",
          stage.cpuProfDir,
          "--cpu-prof-name",
          `${name}.${port}.cpuprofile`,
        ]
  const child = startNode(script, [], env, [...nodeArgs, ...profiling])
  try {
    await waitHealthy(child, baseUrl, 120_000)
  } catch (error) {
    await child.stop(1000)
    throw error
  }
  // History is read straight from the database, never through the delay proxy.
  const direct = stage.postgres
  const history =
    name === "tidemark-pglite"
      ? httpHistory(baseUrl, Object.values(SOURCES))
      : direct === undefined || !needsPostgres(name)
        ? undefined
        : isTidemark
          ? postgresHistory(direct.tidemark, "tidemark")
          : postgresHistory(direct.naive, "naive")
  return {
    child,
    baseUrl,
    urlTemplate: (coalesce) =>
      `${baseUrl}/v1/live/${coalesce ? SOURCES.coalesced : SOURCES.uncoalesced}?key={key}`,
    history,
    isTidemark,
  }
}
