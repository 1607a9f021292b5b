/**
 * Tidemark as a real child process, started the way `npm start` starts it, on a free port
 * of 127.0.0.1 with a sources file of its own and JSON logs. Every process started here is
 * killed by `stopAll()` (and when the test process exits) if it is still running.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { type Agent, get as httpGet, type IncomingHttpHeaders } from "node:http"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { startArguments } from "../../scripts/build-server.js"
import type { SourcesDocument } from "../../src/SourcesFile.js"
import { freePort } from "./ports.js"
import { delay } from "./upstream.js"

const REPOSITORY = fileURLToPath(new URL("../..", import.meta.url))

// Bounds, not expectations: generous, because every start pays for loading the whole app.
const HEALTHY_WITHIN_MS = 60_000
const EXITS_WITHIN_MS = 90_000

/** Variables Tidemark reads; the test process's own values never leak into a child. */
const OWN_VARIABLES = /^(PORT|HOST|DATABASE_URL|LOG_LEVEL|LOG_FORMAT|TIDEMARK_\w+|OTEL_\w+)$/

export interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface LogLine {
  readonly message: unknown
  readonly logLevel: string
  readonly timestamp: string
  readonly annotations: Readonly<Record<string, unknown>>
}

export interface SpawnOptions {
  /** The database (`TestDatabase.env`) and any other variables; these win over the defaults. */
  readonly env?: Readonly<Record<string, string>>
  /** Written to a file named by TIDEMARK_SOURCES; a string is written as it is. */
  readonly sources?: SourcesDocument | string
  /** The server (what `npm start` runs, built by the test setup) unless `migrate`. */
  readonly script?: "main" | "migrate"
}

/** `npm start` runs the bundle with its flags; `npm run migrate` runs its module through tsx. */
const commands = {
  main: startArguments(),
  migrate: ["--import", "tsx", "src/migrate.ts"],
} as const

export interface TidemarkProcess {
  readonly pid: number
  readonly port: number
  readonly url: string
  readonly stdout: () => string
  readonly stderr: () => string
  /** stdout's JSON log lines, in the order they were written. */
  readonly logs: () => ReadonlyArray<LogLine>
  readonly running: () => boolean
  readonly exited: Promise<Exited>
  /** Resolves with the first log line with this message; rejects if the process exits first. */
  readonly waitForLog: (message: string) => Promise<LogLine>
  /** Sends `signal` and resolves with how the process ended. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<Exited>
}

const children = new Set<ChildProcess>()
const scratchDirs = new Set<string>()

export interface Got {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** A GET through `agent`, so a test decides which connection a request may reuse. */
export const get = (url: string, agent: Agent) =>
  new Promise<Got>((resolve, reject) => {
    httpGet(url, { agent }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        body += chunk
      })
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      )
    }).on("error", reject)
  })

/** Whether a new TCP connection to the port is accepted (a fresh socket, never a pooled one). */
export const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

const parseLogs = (text: string): Array<LogLine> =>
  text.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return []
    try {
      return [JSON.parse(line) as LogLine]
    } catch {
      return []
    }
  })

const withinBound = <A>(promise: Promise<A>, ms: number, what: string) => {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer))
}

export const spawnTidemark = async (options: SpawnOptions = {}): Promise<TidemarkProcess> => {
  const scratch = mkdtempSync(join(tmpdir(), "tidemark-process-"))
  scratchDirs.add(scratch)
  const sourcesPath = join(scratch, "sources.json")
  const { sources = { sources: {} } } = options
  writeFileSync(sourcesPath, typeof sources === "string" ? sources : JSON.stringify(sources))
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !OWN_VARIABLES.test(name)),
  )
  const env: Record<string, string | undefined> = {
    ...inherited,
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_FORMAT: "json",
    TIDEMARK_SOURCES: sourcesPath,
    // Never the repository's ./data: a test that names no database gets a scratch one.
    TIDEMARK_DATA_DIR: join(scratch, "data"),
    ...options.env,
  }
  const child = spawn(process.execPath, commands[options.script ?? "main"], {
    cwd: REPOSITORY,
    env,
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
    // "close" rather than "exit": by then stdout and stderr are fully read.
    child.once("close", (code, signal) => {
      children.delete(child)
      resolve({ code, signal })
    }),
  )
  const waitForLog = (message: string) =>
    new Promise<LogLine>((resolve, reject) => {
      const look = () => {
        const found = parseLogs(stdout).find((line) => line.message === message)
        if (found === undefined) return false
        child.stdout.off("data", look)
        resolve(found)
        return true
      }
      if (look()) return
      child.stdout.on("data", look)
      void exited.then(() => {
        if (!look()) reject(new Error(`exited before logging "${message}"; stderr: ${stderr}`))
      })
    })
  return {
    pid: child.pid ?? -1,
    port: Number(env.PORT),
    url: `http://127.0.0.1:${env.PORT}`,
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

/** Starts Tidemark and resolves once GET /healthz answers 200. */
export const startServer = async (options: SpawnOptions = {}): Promise<TidemarkProcess> => {
  const server = await spawnTidemark(options)
  let exitedEarly: Exited | undefined
  void server.exited.then((exit) => {
    exitedEarly = exit
  })
  for (const deadline = Date.now() + HEALTHY_WITHIN_MS; Date.now() < deadline; ) {
    if (exitedEarly !== undefined) {
      throw new Error(
        `tidemark exited (${JSON.stringify(exitedEarly)}) before serving: ${server.stderr()}`,
      )
    }
    const healthy = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) })
      .then((response) => response.status === 200)
      .catch(() => false)
    if (healthy) return server
    await delay(50)
  }
  await server.stop("SIGKILL")
  throw new Error(`tidemark did not answer /healthz within ${HEALTHY_WITHIN_MS} ms`)
}

/** Runs a Tidemark command to its end: its exit and what it wrote. */
export const runToExit = async (options: SpawnOptions = {}) => {
  const child = await spawnTidemark(options)
  const exit = await withinBound(child.exited, EXITS_WITHIN_MS, "the process to exit")
  return { ...exit, stdout: child.stdout(), stderr: child.stderr() }
}

/** Kills, by its own pid, every process started here that is still running. */
export const stopAll = async () => {
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
