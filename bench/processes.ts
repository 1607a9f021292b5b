/**
 * Child processes of the benchmark: each started by its own pid, measured through /proc
 * (CPU time, resident memory and its peak), and ended by that pid only.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const REPOSITORY = fileURLToPath(new URL("..", import.meta.url))

const children = new Set<ChildProcess>()

export interface Child {
  readonly pid: number
  readonly process: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the first stdout line that parses as JSON and passes `test`. */
  readonly waitForLine: <A>(test: (line: unknown) => line is A, timeoutMs: number) => Promise<A>
  readonly exited: Promise<number | null>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  readonly stop: (graceMs?: number) => Promise<void>
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Runs a script from the repository: built JavaScript with node alone, TypeScript through tsx. */
export const startNode = (
  script: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  extraNodeArgs: ReadonlyArray<string> = [],
): Child => {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : []
  const child = spawn(process.execPath, [...extraNodeArgs, ...loader, script, ...args], {
    cwd: REPOSITORY,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  })
  children.add(child)
  let stdout = ""
  let stderr = ""
  // Keeps only the tail of long outputs (a target under overload may log a lot).
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    if (stdout.length > 64 * 1024 * 1024) stdout = stdout.slice(-32 * 1024 * 1024)
  })
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-64 * 1024)
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      children.delete(child)
      resolve(code)
    }),
  )
  const waitForLine = <A>(test: (line: unknown) => line is A, timeoutMs: number) =>
    new Promise<A>((resolve, reject) => {
      let seen = 0
      const timer = setTimeout(
        () => finish(new Error(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      )
      const look = () => {
        const lines = stdout.split("\n")
        for (; seen < lines.length - 1; seen++) {
          const line = lines[seen] ?? ""
          if (!line.startsWith("{")) continue
          try {
            const parsed: unknown = JSON.parse(line)
            if (test(parsed)) return finish(undefined, parsed)
          } catch {}
        }
      }
      const onExit = () => finish(new Error(`${script} exited early: ${stderr.slice(-2000)}`))
      const finish = (error: Error | undefined, value?: A) => {
        clearTimeout(timer)
        child.stdout?.off("data", look)
        child.off("close", onExit)
        if (error !== undefined || value === undefined) reject(error)
        else resolve(value)
      }
      child.stdout?.on("data", look)
      child.once("close", onExit)
      look()
    })
  return {
    pid: child.pid ?? -1,
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForLine,
    exited,
    stop: async (graceMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const gone = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)])
      if (!gone) {
        child.kill("SIGKILL")
        await exited
      }
    },
  }
}

/** Kills, by its own pid, every child still running (on the way out, whatever happened). */
export const killAll = () => {
  for (const child of children) child.kill("SIGKILL")
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

/** User + system CPU seconds of a process (all its threads) so far. */
export const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

const statusField = (pid: number, name: string): number => {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  )
  return match === null ? Number.NaN : Number(match[1]) / 1024
}

/** Resident memory now, in MiB. */
export const rssMiB = (pid: number) => statusField(pid, "VmRSS")
/** Peak resident memory since start or the last `resetPeak`, in MiB. */
export const peakRssMiB = (pid: number) => statusField(pid, "VmHWM")

/** Resets the kernel's peak-RSS mark (clear_refs 5); false where that is not allowed. */
export const resetPeak = (pid: number): boolean => {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5")
    return true
  } catch {
    return false
  }
}

export { delay }

/** Calls `onLine` with every complete line the stream writes from now on. */
export const onLines = (stream: NodeJS.ReadableStream | null, onLine: (line: string) => void) => {
  let rest = ""
  stream?.on("data", (chunk: string | Buffer) => {
    const lines = (rest + chunk.toString()).split("\n")
    rest = lines.pop() ?? ""
    for (const line of lines) onLine(line)
  })
}

/** The upstream stand-in (`bench/upstream.ts`) in its own process, once it listens. */
export const startUpstreamStandIn = async (): Promise<{
  readonly child: Child
  readonly port: number
  readonly url: string
}> => {
  const child = startNode("bench/upstream.ts", [], { PORT: "0" })
  try {
    const { port } = await child.waitForLine(
      (line): line is { ready: true; port: number } =>
        typeof line === "object" && line !== null && "ready" in line,
      30_000,
    )
    return { child, port, url: `http://127.0.0.1:${port}` }
  } catch (error) {
    await child.stop(1000)
    throw error
  }
}
