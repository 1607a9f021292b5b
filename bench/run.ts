/**
 * `npm run bench`: Tidemark against a bare proxy, a raw proxy and a naive implementation,
 * every target under the same load in the same run, each in its own process. See USAGE.
 */
import { execFileSync } from "node:child_process"
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import { cpus, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { startArguments } from "../scripts/build-server.js"
import type { TcpProxy } from "../test/support/tcp-proxy.js"
import { buildTargets } from "./build.js"
import { type CellResult, runCell } from "./cell.js"
import {
  MAX_MEASURED_S,
  parseOptions,
  type Scenario,
  scenarioName,
  type TargetName,
} from "./options.js"
import { type BenchDatabase, createDatabase, delayedUrl, postgresReachable } from "./postgres.js"
import { killAll, REPOSITORY, startUpstreamStandIn } from "./processes.js"
import { checksMarkdown, headline, table, targetChecks } from "./report.js"
import { needsPostgres, type Stage, sourcesDocument } from "./targets.js"

const DB_DELAY_MS = 50

const args = process.argv.slice(2)
const options = parseOptions(args)
const command = `npm run ${process.env.npm_lifecycle_event ?? "bench"}${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`
const cleanups: Array<() => Promise<unknown>> = []
const notes: Array<string> = []

const cpuModel = () =>
  /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ??
  cpus()[0]?.model ??
  "unknown"

const cleanup = async () => {
  for (const step of cleanups.reverse()) await step().catch(() => undefined)
  cleanups.length = 0
}
process.once("SIGINT", () => {
  killAll()
  void cleanup().then(() => process.exit(130))
})

const main = async () => {
  const scratch = mkdtempSync(join(tmpdir(), "tidemark-bench-"))
  cleanups.push(async () => rmSync(scratch, { recursive: true, force: true }))

  await buildTargets()
  const upstream = await startUpstreamStandIn()
  cleanups.push(() => upstream.child.stop(1000))
  const upstreamUrl = upstream.url

  let targets: ReadonlyArray<TargetName> = options.targets
  let postgres: Stage["postgres"]
  if (targets.some(needsPostgres)) {
    if (await postgresReachable()) {
      const created: Array<BenchDatabase> = []
      const database = async (suffix: string) => {
        const db = await createDatabase(suffix)
        created.push(db)
        return db.url
      }
      cleanups.push(() => Promise.all(created.map((db) => db.drop())))
      const tidemark = await database("tidemark")
      const naive = await database("naive")
      const proxies: Array<TcpProxy> = []
      cleanups.push(() => Promise.all(proxies.map((proxy) => proxy.close())))
      const delayed = async (url: string) => {
        const { url: through, proxy } = await delayedUrl(url, DB_DELAY_MS)
        proxies.push(proxy)
        return through
      }
      postgres = {
        tidemark,
        naive,
        tidemarkDelayed: await delayed(tidemark),
        naiveDelayed: await delayed(naive),
      }
    } else {
      notes.push("PostgreSQL was not reachable: its targets were skipped.")
      targets = targets.filter((name) => !needsPostgres(name))
    }
  }

  const sourcesPath = join(scratch, "sources.json")
  writeFileSync(sourcesPath, JSON.stringify(sourcesDocument(upstreamUrl)))
  const stage: Stage = {
    upstreamUrl,
    sourcesPath,
    pgliteDir: join(scratch, "pglite"),
    postgres,
    queueMax: options.queueMax,
    dbPool: options.dbPool,
    cpuProfDir: options.cpuProfDir,
    tidemarkBundle: options.tidemarkBundle,
  }

  const results: Array<CellResult> = []
  const loads = new Map<string, Array<Scenario>>()
  for (const s of options.scenarios) {
    const key = `k${s.keys}-c${s.connections}-u${s.latencyMs}`
    loads.set(key, [...(loads.get(key) ?? []), s])
  }
  let index = 0
  const started = Date.now()
  for (const group of loads.values()) {
    const first = group[0]
    if (first === undefined) continue
    await fetch(
      `${upstreamUrl}/control?latencyMs=${first.latencyMs}&changeEvery=${options.changeEvery}`,
      { method: "POST" },
    )
    const cells: Array<[TargetName, Scenario]> = targets.flatMap((target) =>
      target.startsWith("tidemark")
        ? group.map((s): [TargetName, Scenario] => [target, s])
        : [[target, first] as [TargetName, Scenario]],
    )
    for (const [target, scenario] of cells) {
      index++
      const result = await runCell(target, scenario, index, stage, options)
      results.push(result)
      const l = result.load
      const c = result.correctness
      console.error(
        `[${Math.round((Date.now() - started) / 1000)}s] ${target} ${scenarioName(scenario)}: ${
          l === undefined
            ? result.error
            : `${l.rps.toFixed(0)} req/s (${l.non2xx + l.errors + l.timeouts} errors), p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, ${result.cpuUsPerRequest.toFixed(0)} µs/req, ${result.peakRssMiB.toFixed(0)} MiB${
                c === undefined
                  ? ""
                  : `; served ${c.served}, recorded ${c.recorded}, missed ${c.missed}, dropped ${c.dropped}`
              }`
        }`,
      )
    }
  }

  const report = [
    `### ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    "",
    `Command: \`${command}\``,
    "",
    `Machine: ${cpuModel()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}.`,
    `Each cell: ${options.warmupS} s warm-up on other keys, then ${options.durationS} s measured${options.minAnswers > 0 ? `, or longer (up to ${MAX_MEASURED_S} s) where the warm-up's rate says that would give fewer than ${options.minAnswers} answers` : ""} (autocannon in its own process);`,
    `the upstream's value of a key changes every ${options.changeEvery} requests; Tidemark runs with LOG_LEVEL=warn` +
      `${options.queueMax === undefined ? "" : ` and TIDEMARK_RECORDER_QUEUE_MAX=${options.queueMax}`}` +
      `${options.dbPool === undefined ? "" : ` and TIDEMARK_DB_POOL_SIZE=${options.dbPool}`}; "50" targets reach PostgreSQL through a proxy adding ${DB_DELAY_MS} ms each way.`,
    `Tidemark runs as ${options.tidemarkBundle === undefined ? `\`npm start\` runs it (\`node ${startArguments().join(" ")}\`)` : `\`node ${startArguments().slice(0, -1).join(" ")} ${options.tidemarkBundle}\`, another build than npm start's, with its flags`}; the other targets as bundles, with node alone.`,
    ...notes,
    "",
    "Headline (Tidemark on PostgreSQL; ratios to the proxies measured in this run):",
    "",
    ...(headline(results).length === 0
      ? [
          "- none of the headline loads (20 ms upstream with 50 connections; 1 ms, 200 connections, 100 keys) ran",
        ]
      : headline(results)),
    "",
    "Targets:",
    "",
    ...checksMarkdown(targetChecks(results)),
    "",
    table(results),
    "",
    "`*` recordings still pending when the settle time ran out: not judged for history.",
    "",
  ].join("\n")
  console.log(`\n${report}`)
  if (options.append) {
    if (!existsSync(options.out)) writeFileSync(options.out, "# Benchmarks\n\n## Runs\n")
    appendFileSync(options.out, `\n${report}`)
    // The repository's formatter aligns markdown tables; the file stays lint-clean.
    try {
      execFileSync(
        join(REPOSITORY, "node_modules", ".bin", "biome"),
        ["format", "--write", options.out],
        { stdio: "ignore" },
      )
    } catch {}
    console.error(`appended to ${options.out}`)
  }
}

try {
  await main()
} finally {
  killAll()
  await cleanup()
}
process.exit(0)
