/**
 * Tidemark served by Bun as a real child process: the `bun` binary from the npm registry
 * (a dev dependency), spawned directly so that signals reach the server. Shaped like
 * `server.ts`'s processes so the same helpers check it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { freePort } from "./ports.js"
import type { Exited, LogLine, TidemarkProcess } from "./server.js"
import { delay } from "./upstream.js"

const REPOSITORY = fileURLToPath(new URL("../..", import.meta.url))
export const BUN = join(REPOSITORY, "node_modules", ".bin", "bun")

/** Why Bun's suites cannot run here, or undefined when they can. */
export const bunMissing = (): string | undefined =>
  existsSync(BUN) ? undefined : `no Bun binary at ${BUN} (npm ci installs it as a dev dependency)`

const OWN_VARIABLES = /^(PORT|HOST|DATABASE_URL|LOG_LEVEL|LOG_FORMAT|TIDEMARK_\w+)$/
const HEALTHY_WITHIN_MS = 30_000
const EXITS_WITHIN_MS = 60_000

const children = new Set<ChildProcess>()
const scratchDirs = new Set<string>()

const parseLogs = (text: string): Array<LogLine> =>
  text.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return []
    try {
      return [JSON.parse(line) as LogLine]
    } catch {
      return []
    }
  })

const withinBound = <A>(promise: Promise<A>, ms: number, what: string) =>
  Promise.race([
    promise,
    delay(ms).then(() => Promise.reject(new Error(`gave up after ${ms} ms waiting for ${what}`))),
  ])

export interface BunOptions {
  readonly env?: Readonly<Record<string, string>>
  readonly sources: SourcesDocument
}

/** `bun src/main.ts` (what `npm run start:bun` runs) on a free port with JSON logs. */
export const spawnBun = async ({ env = {}, sources }: BunOptions): Promise<TidemarkProcess> => {
  const scratch = mkdtempSync(join(tmpdir(), "tidemark-bun-"))
  scratchDirs.add(scratch)
  const sourcesPath = join(scratch, "sources.json")
  writeFileSync(sourcesPath, JSON.stringify(sources))
  const port = await freePort()
  const child = spawn(BUN, ["src/main.ts"], {
    cwd: REPOSITORY,
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !OWN_VARIABLES.test(name)),
      ),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_FORMAT: "json",
      TIDEMARK_SOURCES: sourcesPath,
      TIDEMARK_DATA_DIR: join(scratch, "data"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  children.add(child)
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<Exited>((resolve) =>
    child.once("close", (code, signal) => {
      children.delete(child)
      resolve({ code, signal })
    }),
  )
  const waitForLog = (message: string) =>
    withinBound(
      (async () => {
        for (;;) {
          const found = parseLogs(stdout).find((line) => line.message === message)
          if (found !== undefined) return found
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`exited before logging "${message}"; stderr: ${stderr}`)
          }
          await delay(20)
        }
      })(),
      EXITS_WITHIN_MS,
      `the log line "${message}"`,
    )
  return {
    pid: child.pid ?? -1,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () => parseLogs(stdout),
    running: () => child.exitCode === null && child.signalCode === null,
    exited,
    waitForLog,
    stop: (signal = "SIGTERM") => {
      child.kill(signal)
      return withinBound(exited, EXITS_WITHIN_MS, `exit after ${signal}`)
    },
  }
}

/** Starts Tidemark on Bun and resolves once GET /healthz answers 200. */
export const startBunServer = async (options: BunOptions): Promise<TidemarkProcess> => {
  const server = await spawnBun(options)
  for (const deadline = Date.now() + HEALTHY_WITHIN_MS; Date.now() < deadline; ) {
    if (!server.running()) {
      throw new Error(`tidemark on Bun exited before serving: ${server.stderr()}`)
    }
    const healthy = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) })
      .then((response) => response.status === 200)
      .catch(() => false)
    if (healthy) return server
    await delay(50)
  }
  throw new Error(`tidemark on Bun did not answer /healthz within ${HEALTHY_WITHIN_MS} ms`)
}

/** Kills, by its own pid, every Bun process started here that is still running. */
export const stopAllBun = async () => {
  const ending = [...children].map(
    (child) => new Promise<void>((resolve) => child.once("close", () => resolve())),
  )
  for (const child of children) child.kill("SIGKILL")
  await Promise.all(ending)
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true })
  scratchDirs.clear()
}

process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL")
})
