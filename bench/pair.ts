/**
 * Two builds of Tidemark side by side under the same fixed-rate load, for A/B work:
 * `npm run bench:pair -- --a dist/lab/a.js --b dist/lab/b.js`. Each round starts both on
 * PostgreSQL (a database each) in front of the upstream stand-in (1 ms, a change every 50
 * requests), warms them up, then loads both at once at the same rate on new keys and reads
 * each one's CPU time from /proc. Neither is saturated, so neither waits for the CPU: the
 * ratio of their CPU time per answer is steady where throughput ratios on a shared 2-core
 * machine move by a quarter between identical runs. `--db-delay MS` puts a TCP proxy adding
 * MS each way in front of each side's database. Printed, never appended.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import autocannon from "autocannon"
import { buildTargets } from "./build.js"
import { createDatabase, delayedUrl, postgresReachable } from "./postgres.js"
import { cpuSeconds, killAll, startUpstreamStandIn } from "./processes.js"
import { type RunningTarget, sourcesDocument, startTarget } from "./targets.js"

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    rounds: { type: "string", default: "6" },
    rate: { type: "string", default: "1500" },
    seconds: { type: "string", default: "6" },
    warmup: { type: "string", default: "3" },
    keys: { type: "string", default: "100" },
    connections: { type: "string", default: "100" },
    "db-delay": { type: "string", default: "0" },
  },
})

const positive = (name: string, text: string) => {
  const value = Number(text)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name}: a positive integer`)
  return value
}
const rounds = positive("rounds", values.rounds)
const rate = positive("rate", values.rate)
const seconds = positive("seconds", values.seconds)
const warmup = positive("warmup", values.warmup)
const keys = positive("keys", values.keys)
const connections = positive("connections", values.connections)
const dbDelay = Number(values["db-delay"])
if (!Number.isInteger(dbDelay) || dbDelay < 0)
  throw new Error("--db-delay: milliseconds, 0 or more")

/** Answers of `target` at `rate` a second over `duration` seconds, on keys starting with `prefix`. */
const load = (target: RunningTarget, prefix: string, duration: number) =>
  new Promise<number>((resolve, reject) => {
    const url = new URL(target.urlTemplate(false).replace("{key}", "x"))
    const path = target.urlTemplate(false).slice(url.origin.length)
    autocannon(
      {
        url: url.origin,
        connections,
        duration,
        overallRate: rate,
        timeout: 10,
        requests: [
          {
            method: "GET",
            setupRequest: (request) => ({
              ...request,
              path: path.replace("{key}", `${prefix}${Math.floor(Math.random() * keys)}`),
            }),
          },
        ],
      },
      (error, result) => (error === null ? resolve(result["2xx"]) : reject(error)),
    )
  })

const median = (sorted: ReadonlyArray<number>) =>
  sorted.length % 2 === 1
    ? (sorted[(sorted.length - 1) / 2] ?? Number.NaN)
    : ((sorted[sorted.length / 2 - 1] ?? Number.NaN) + (sorted[sorted.length / 2] ?? Number.NaN)) /
      2

const main = async () => {
  if (values.a === undefined || values.b === undefined) {
    throw new Error("--a and --b: the two bundles to compare (dist/node/main.js is the build)")
  }
  if (!(await postgresReachable())) throw new Error("PostgreSQL is not reachable")
  await buildTargets()
  const scratch = mkdtempSync(join(tmpdir(), "tidemark-pair-"))
  const upstream = await startUpstreamStandIn()
  try {
    const upstreamUrl = upstream.url
    await fetch(`${upstreamUrl}/control?latencyMs=1&changeEvery=50`, { method: "POST" })
    const sourcesPath = join(scratch, "sources.json")
    writeFileSync(sourcesPath, JSON.stringify(sourcesDocument(upstreamUrl)))
    console.log(
      `A: ${values.a}\nB: ${values.b}\n${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores; Node ${process.version}; ` +
        `${rate} req/s each over ${connections} connections and ${keys} new keys a round, ` +
        `${warmup} s warm-up, ${seconds} s measured` +
        `${dbDelay === 0 ? "" : `, databases ${dbDelay} ms away each way`}\n`,
    )
    const ratios: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      const bundles = [values.a, values.b]
      const databases = await Promise.all(bundles.map((_, side) => createDatabase(`pair${side}`)))
      const proxied =
        dbDelay === 0
          ? undefined
          : await Promise.all(databases.map((database) => delayedUrl(database.url, dbDelay)))
      const started: Array<RunningTarget> = []
      try {
        for (const [side, bundle] of bundles.entries()) {
          const url = (proxied?.[side] ?? databases[side])?.url ?? ""
          started.push(
            await startTarget("tidemark-pg", {
              upstreamUrl,
              sourcesPath,
              pgliteDir: join(scratch, "pglite"),
              postgres: { tidemark: url, tidemarkDelayed: url, naive: url, naiveDelayed: url },
              queueMax: undefined,
              dbPool: undefined,
              cpuProfDir: undefined,
              tidemarkBundle: bundle,
            }),
          )
        }
        await Promise.all(started.map((target) => load(target, "w", warmup)))
        const before = started.map((target) => cpuSeconds(target.child.pid))
        const answers = await Promise.all(
          started.map((target) => load(target, `r${round}-`, seconds)),
        )
        const perAnswer = started.map(
          (target, side) =>
            ((cpuSeconds(target.child.pid) - (before[side] ?? 0)) * 1e6) / (answers[side] ?? 1),
        )
        const [a = Number.NaN, b = Number.NaN] = perAnswer
        ratios.push(b / a)
        console.log(
          `round ${round + 1}: A ${a.toFixed(1)} µs/answer (${answers[0]} answers), ` +
            `B ${b.toFixed(1)} µs/answer (${answers[1]}), B/A ${(b / a).toFixed(3)}`,
        )
      } finally {
        for (const target of started) await target.child.stop(2000)
        for (const { proxy } of proxied ?? []) await proxy.close()
        for (const database of databases) await database.drop()
      }
    }
    const sorted = [...ratios].sort((x, y) => x - y)
    const mean = ratios.reduce((sum, ratio) => sum + ratio, 0) / ratios.length
    console.log(
      `\nB/A CPU per answer over ${rounds} rounds: mean ${mean.toFixed(3)}, median ${median(sorted).toFixed(3)}, ` +
        `${(sorted[0] ?? Number.NaN).toFixed(3)}–${(sorted.at(-1) ?? Number.NaN).toFixed(3)}`,
    )
  } finally {
    await upstream.child.stop(1000)
    rmSync(scratch, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  killAll()
  process.exitCode = 1
})
