/** `npm run demo` end to end: the simulated market, Tidemark as a child process, and the guide. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { freePort } from "./support/ports.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const DURATION_S = 20
const RUN_TIMEOUT_MS = 38_000

interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

describe("npm run demo", () => {
  let demo: ChildProcess | undefined

  afterAll(() => {
    const pid = demo?.pid
    if (pid !== undefined && demo?.exitCode === null && demo.signalCode === null) {
      process.kill(pid, "SIGKILL")
    }
  })

  it(
    "prints the curl guide, records versions by itself and stops cleanly after --duration",
    async () => {
      const port = await freePort()
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "memory://" }
      delete env.TIDEMARK_API_TOKEN
      delete env.DEMO_DURATION_S
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "scripts/demo.ts",
          "--duration",
          String(DURATION_S),
          "--port",
          String(port),
        ],
        { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
      )
      demo = child
      let stdout = ""
      let stderr = ""
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8")
      })
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
      })
      const run = await new Promise<Run>((resolve) => {
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          if (child.pid !== undefined) process.kill(child.pid, "SIGTERM")
        }, RUN_TIMEOUT_MS)
        child.once("close", (code, signal) => {
          clearTimeout(timer)
          resolve({ code, signal, stdout, stderr, timedOut })
        })
      })

      const context = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`
      expect(run.timedOut, context).toBe(false)
      expect(run.code, context).toBe(0)
      expect(run.stdout).toContain(`${DURATION_S} s are up`)

      const base = `http://127.0.0.1:${port}`
      expect(run.stdout).toContain(`Open ${base}/ in a browser`)
      expect(run.stdout).toContain(`curl -i '${base}/v1/live/quote?symbol=BTC-USD'`)
      expect(run.stdout).toContain(`curl '${base}/v1/resources'`)
      expect(run.stdout).toMatch(new RegExp(`curl '${base}/v1/resources/[A-Za-z0-9_-]+/versions'`))
      expect(run.stdout).toMatch(
        new RegExp(`curl '${base}/v1/resources/[A-Za-z0-9_-]+/diff\\?from=1&to=2'`),
      )

      const versions = new Map<string, Set<number>>()
      for (const [, resource, version] of run.stdout.matchAll(/^(.+?) → version (\d+) \(/gm)) {
        const seen = versions.get(resource ?? "") ?? new Set<number>()
        seen.add(Number(version))
        versions.set(resource ?? "", seen)
      }
      const most = Math.max(0, ...[...versions.values()].map((seen) => seen.size))
      expect(most, context).toBeGreaterThanOrEqual(2)

      const errorLines = run.stderr
        .split("\n")
        .filter((line) => /error|fail|exception|warn/i.test(line))
      expect(errorLines, context).toEqual([])
    },
    RUN_TIMEOUT_MS + 5000,
  )
})
