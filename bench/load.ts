/**
 * The load generator, run as its own process: autocannon against one target, bounded in
 * time and in requests. A warm-up phase on other keys comes first; then it says "warmed"
 * and waits for "go" on stdin, so the caller can take its measurements' starting point.
 * The measured phase runs longer than planned where the warm-up's rate says it would give
 * too few answers for its percentiles to mean anything.
 * Latencies are kept per request at full resolution (autocannon's histogram keeps whole ms).
 */
import { createInterface } from "node:readline"
import autocannon from "autocannon"
import { measuredSeconds } from "./options.js"

export interface LoadPlan {
  /** With `{key}` where the key goes. */
  readonly urlTemplate: string
  readonly keyPrefix: string
  readonly warmupPrefix: string
  readonly keys: number
  readonly connections: number
  readonly durationS: number
  readonly minAnswers: number
  readonly warmupS: number
  /** The most requests in `durationS`; a longer or shorter phase gets its share. */
  readonly maxRequests: number
}

export interface LoadResult {
  readonly ok: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly durationS: number
  readonly rps: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN)

const run = (plan: LoadPlan, prefix: string, durationS: number, maxRequests: number) =>
  new Promise<LoadResult>((resolve, reject) => {
    const url = new URL(plan.urlTemplate.replace("{key}", "x"))
    const pathTemplate = plan.urlTemplate.slice(url.origin.length)
    const latencies = new Float64Array(maxRequests + plan.connections)
    let count = 0
    const started = performance.now()
    const instance = autocannon(
      {
        url: url.origin,
        connections: plan.connections,
        duration: durationS,
        maxOverallRequests: maxRequests,
        timeout: 10,
        requests: [
          {
            method: "GET",
            setupRequest: (request) => ({
              ...request,
              path: pathTemplate.replace(
                "{key}",
                `${prefix}${Math.floor(Math.random() * plan.keys)}`,
              ),
            }),
          },
        ],
      },
      (error, result) => {
        if (error !== null) return reject(error)
        const sorted = latencies.subarray(0, count).sort()
        const durationS = (performance.now() - started) / 1000
        resolve({
          ok: result["2xx"],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationS,
          rps: result["2xx"] / durationS,
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
        })
      },
    )
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300 && count < latencies.length) {
        latencies[count++] = responseTime
      }
    })
  })

const plan = JSON.parse(process.argv[2] ?? "{}") as LoadPlan
const share = (seconds: number) => Math.ceil(plan.maxRequests * (seconds / plan.durationS))
const warmup =
  plan.warmupS > 0
    ? await run(plan, plan.warmupPrefix, plan.warmupS, share(plan.warmupS))
    : undefined
const measuredS = measuredSeconds(plan.durationS, plan.minAnswers, warmup?.rps ?? 0)
process.stdout.write(`${JSON.stringify({ phase: "warmed" })}\n`)
const lines = createInterface({ input: process.stdin })
for await (const line of lines) if (line.trim() === "go") break
lines.close()
const result = await run(plan, plan.keyPrefix, measuredS, share(measuredS))
process.stdout.write(`${JSON.stringify({ phase: "done", result })}\n`)
process.exit(0)
