/** One cell of the matrix: one target under one scenario, measured from outside its process. */
import { type Correctness, judge } from "./correctness.js"
import type { LoadPlan, LoadResult } from "./load.js"
import { readMetrics, recorderPending, recordingsWith } from "./metrics.js"
import {
  type BenchOptions,
  MAX_MEASURED_S,
  type Scenario,
  scenarioName,
  type TargetName,
} from "./options.js"
import {
  cpuSeconds,
  delay,
  onLines,
  peakRssMiB,
  resetPeak,
  rssMiB,
  startNode,
} from "./processes.js"
import { type RunningTarget, type Stage, startTarget } from "./targets.js"

export interface CellResult {
  readonly target: TargetName
  readonly scenario: Scenario
  readonly load: LoadResult | undefined
  readonly cpuUsPerRequest: number
  readonly peakRssMiB: number
  readonly correctness: Correctness | undefined
  /** False when recordings were still being written when the settle time ran out. */
  readonly settled: boolean
  readonly error: string | undefined
}

const isPhase =
  <P extends string>(phase: P) =>
  (line: unknown): line is { phase: P; result: LoadResult } =>
    typeof line === "object" && line !== null && "phase" in line && line.phase === phase

/**
 * Waits until the recordings are done: Tidemark's pending count at 0 where it reports one,
 * and the recorded count unchanged over the last polls; or until time runs out.
 */
const settle = async (
  count: () => Promise<number>,
  pending: () => Promise<number | undefined>,
  settleS: number,
) => {
  const deadline = Date.now() + settleS * 1000
  let last = -1
  let still = 0
  while (Date.now() < deadline) {
    const [now, queued] = await Promise.all([count().catch(() => -1), pending()])
    still = now === last && now >= 0 ? still + 1 : 0
    if (queued === undefined ? still >= 2 : queued === 0 && still >= 1) return true
    last = now
    await delay(500)
  }
  return false
}

const failedCell = (target: TargetName, scenario: Scenario, error: unknown): CellResult => ({
  target,
  scenario,
  load: undefined,
  cpuUsPerRequest: Number.NaN,
  peakRssMiB: Number.NaN,
  correctness: undefined,
  settled: false,
  error: `${scenarioName(scenario)}: ${error instanceof Error ? error.message : String(error)}`,
})

export const runCell = async (
  target: TargetName,
  scenario: Scenario,
  index: number,
  stage: Stage,
  options: BenchOptions,
): Promise<CellResult> => {
  const prefix = `c${index}-k`
  let running: RunningTarget
  try {
    running = await startTarget(target, stage)
  } catch (error) {
    return failedCell(target, scenario, error)
  }
  const { pid } = running.child
  let failed = 0
  onLines(running.child.process.stdout, (line) => {
    if (line.includes(`key=${prefix}`) && line.includes("recording failed")) failed++
  })
  const plan: LoadPlan = {
    urlTemplate: running.urlTemplate(scenario.coalesce),
    keyPrefix: prefix,
    warmupPrefix: `w${index}-k`,
    keys: scenario.keys,
    connections: scenario.connections,
    durationS: options.durationS,
    minAnswers: options.minAnswers,
    warmupS: options.warmupS,
    maxRequests: Math.max(scenario.connections, Math.ceil(options.durationS * 60_000)),
  }
  const load = startNode("bench/load.ts", [JSON.stringify(plan)], {})
  let peakSampled = 0
  const sampler = setInterval(() => {
    peakSampled = Math.max(peakSampled, rssMiB(pid) || 0)
  }, 200)
  try {
    await load.waitForLine(isPhase("warmed"), (options.warmupS + 60) * 1000)
    const canResetPeak = resetPeak(pid)
    peakSampled = rssMiB(pid)
    const cpuBefore = cpuSeconds(pid)
    const metricsBefore = running.isTidemark ? await readMetrics(running.baseUrl) : undefined
    load.process.stdin?.write("go\n")
    const done = await load.waitForLine(
      isPhase("done"),
      (Math.max(options.durationS, MAX_MEASURED_S) + 60) * 1000,
    )
    // JSON has no NaN: percentiles of an empty sample arrive as null.
    const result: LoadResult = {
      ...done.result,
      p50: done.result.p50 ?? Number.NaN,
      p90: done.result.p90 ?? Number.NaN,
      p99: done.result.p99 ?? Number.NaN,
    }
    const history = running.history
    const pending = async () => {
      const metrics = running.isTidemark ? await readMetrics(running.baseUrl) : undefined
      return metrics === undefined ? undefined : recorderPending(metrics)
    }
    const settled =
      history === undefined
        ? true
        : await settle(() => history.count(prefix), pending, options.settleS)
    const metricsAfter =
      metricsBefore === undefined ? undefined : await readMetrics(running.baseUrl)
    const since = (outcome: string) =>
      metricsAfter === undefined
        ? undefined
        : recordingsWith(metricsAfter, outcome) - recordingsWith(metricsBefore, outcome)
    const stale = since("stale")
    // Counted, not read from the log: a full queue's drops are logged summed, once a second.
    const dropped = since("dropped") ?? 0
    const cpu = cpuSeconds(pid) - cpuBefore
    const peak = Math.max(canResetPeak ? peakRssMiB(pid) : 0, peakSampled)
    const served = (await (await fetch(`${stage.upstreamUrl}/served?prefix=${prefix}`)).json()) as {
      changeEvery: number
      keys: Record<string, number>
    }
    const correctness =
      history === undefined
        ? undefined
        : judge(served.keys, served.changeEvery, await history.read(prefix), dropped, failed, stale)
    return {
      target,
      scenario,
      load: result,
      cpuUsPerRequest: result.ok === 0 ? Number.NaN : (cpu / result.ok) * 1e6,
      peakRssMiB: peak,
      correctness,
      settled,
      error: undefined,
    }
  } catch (error) {
    return failedCell(target, scenario, error)
  } finally {
    if (process.env.BENCH_DEBUG === "1") {
      console.error(`--- ${target} stdout tail:\n${running.child.stdout().slice(-3000)}`)
      console.error(`--- ${target} stderr tail:\n${running.child.stderr().slice(-3000)}`)
    }
    clearInterval(sampler)
    await load.stop(1000)
    await running.child.stop(target === "tidemark-pglite" ? 20_000 : 5000)
  }
}
