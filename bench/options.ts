/** The benchmark's command line: which targets, which scenarios, how long. */
import { parseArgs } from "node:util"

export const TARGETS = [
  "bare",
  "raw",
  "hono-node",
  "naive",
  "naive-pg50",
  "tidemark-pg",
  "tidemark-pg50",
  "tidemark-pglite",
] as const
export type TargetName = (typeof TARGETS)[number]
/**
 * Run when asked for: naive-pg50 answers at the database's pace (hundreds of ms), and
 * hono-node only tells what the stack itself costs.
 */
const DEFAULT_TARGETS = TARGETS.filter((name) => name !== "naive-pg50" && name !== "hono-node")

export interface Scenario {
  readonly keys: number
  readonly connections: number
  readonly latencyMs: number
  /** Only Tidemark coalesces; the other targets run each scenario once, whatever this says. */
  readonly coalesce: boolean
}

export const scenarioName = (s: Scenario) =>
  `k${s.keys}-c${s.connections}-u${s.latencyMs}-${s.coalesce ? "on" : "off"}`

export interface BenchOptions {
  readonly quick: boolean
  readonly targets: ReadonlyArray<TargetName>
  readonly scenarios: ReadonlyArray<Scenario>
  readonly durationS: number
  /** A cell whose warm-up rate would give fewer answers in `durationS` is measured longer. */
  readonly minAnswers: number
  readonly warmupS: number
  readonly changeEvery: number
  readonly settleS: number
  readonly queueMax: number | undefined
  readonly dbPool: number | undefined
  readonly out: string
  readonly append: boolean
  readonly cpuProfDir: string | undefined
  /** Another build of Tidemark to measure instead of `npm start`'s, run with node alone. */
  readonly tidemarkBundle: string | undefined
}

/** The longest a cell's measured phase is stretched to reach `--min-answers`. */
export const MAX_MEASURED_S = 30

/**
 * How long a cell's measured phase runs: `durationS`, or as long as `minAnswers` answers
 * take at the rate the warm-up ran at, up to `MAX_MEASURED_S` (never less than `durationS`).
 * Without a warm-up rate, `durationS`.
 */
export const measuredSeconds = (durationS: number, minAnswers: number, warmupRps: number) =>
  warmupRps > 0 && durationS * warmupRps < minAnswers
    ? Math.max(durationS, Math.min(MAX_MEASURED_S, Math.ceil(minAnswers / warmupRps)))
    : durationS

export const USAGE = `npm run bench -- [options]
  --quick                  a few seconds per target over one scenario (CI keeps it working)
  --targets a,b            ${TARGETS.join(", ")}
                           (default: all but naive-pg50 and hono-node)
  --scenarios p,q          scenario names, * as a wildcard (k100-c200-u1-off, k1-*-u20-*)
  --keys 1,100  --connections 1,50,200  --latency 20,1  --coalesce on,off
  --duration S             measured seconds per cell (default 4; quick 1.5)
  --min-answers N          measure a cell longer, up to ${MAX_MEASURED_S} s, where the warm-up's rate
                           says --duration would give fewer than N answers (default 1000;
                           quick 0): a p99 of 180 answers is the second slowest
  --warmup S               warm-up seconds per cell, on other keys (default 1; quick 0.5)
  --change-every N         the upstream's value of a key changes every N requests (default 50)
  --settle S               longest wait for recordings to settle after the load (default 10; quick 5)
  --queue-max N            TIDEMARK_RECORDER_QUEUE_MAX for Tidemark (default: Tidemark's own)
  --db-pool N              TIDEMARK_DB_POOL_SIZE for Tidemark (default: Tidemark's own)
  --out FILE               where the report is appended (default BENCHMARKS.md)
  --no-append              print the report only (the default with --quick)
  --cpu-prof DIR           run every target with --cpu-prof, profiles written to DIR
                           as TARGET.PORT.cpuprofile
  --tidemark-bundle FILE   measure this build of Tidemark (an esbuild bundle of another
                           checkout's src/main.ts), with npm start's node flags, instead of
                           npm start's own`

const list = (text: string | undefined, fallback: ReadonlyArray<string>) =>
  text === undefined
    ? fallback
    : text
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean)

const numbers = (text: string | undefined, fallback: ReadonlyArray<number>, flag: string) =>
  list(text, fallback.map(String)).map((item) => {
    const value = Number(item)
    if (!Number.isFinite(value) || value < 0) throw new Error(`${flag}: not a number: ${item}`)
    return value
  })

const matches = (pattern: string, name: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(name)

export const parseOptions = (argv: ReadonlyArray<string>): BenchOptions => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      targets: { type: "string" },
      scenarios: { type: "string" },
      keys: { type: "string" },
      connections: { type: "string" },
      latency: { type: "string" },
      coalesce: { type: "string" },
      duration: { type: "string" },
      "min-answers": { type: "string" },
      warmup: { type: "string" },
      "change-every": { type: "string" },
      settle: { type: "string" },
      "queue-max": { type: "string" },
      "db-pool": { type: "string" },
      out: { type: "string", default: "BENCHMARKS.md" },
      append: { type: "boolean" },
      "no-append": { type: "boolean", default: false },
      "cpu-prof": { type: "string" },
      "tidemark-bundle": { type: "string" },
      help: { type: "boolean", default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const quick = values.quick
  const targets = list(values.targets, DEFAULT_TARGETS).map((name) => {
    const target = TARGETS.find((known) => known === name)
    if (target === undefined) throw new Error(`--targets: unknown target ${name}`)
    return target
  })
  const axes = {
    keys: numbers(values.keys, quick ? [100] : [1, 100], "--keys"),
    connections: numbers(values.connections, quick ? [50] : [1, 50, 200], "--connections"),
    latency: numbers(values.latency, quick ? [1] : [20, 1], "--latency"),
    coalesce: list(values.coalesce, quick ? ["off"] : ["on", "off"]).map((flag) => flag === "on"),
  }
  const patterns = list(values.scenarios, ["*"])
  const scenarios = axes.latency
    .flatMap((latencyMs) =>
      axes.keys.flatMap((keys) =>
        axes.connections.flatMap((connections) =>
          axes.coalesce.map((coalesce): Scenario => ({ keys, connections, latencyMs, coalesce })),
        ),
      ),
    )
    .filter((scenario) => patterns.some((pattern) => matches(pattern, scenarioName(scenario))))
  if (scenarios.length === 0) throw new Error("no scenario matches --scenarios")
  const seconds = (text: string | undefined, fallback: number) =>
    numbers(text, [fallback], "seconds")[0] ?? fallback
  const queueMax = values["queue-max"]
  const dbPool = values["db-pool"]
  return {
    quick,
    targets,
    scenarios,
    durationS: seconds(values.duration, quick ? 1.5 : 4),
    minAnswers: numbers(values["min-answers"], [quick ? 0 : 1000], "--min-answers")[0] ?? 0,
    warmupS: seconds(values.warmup, quick ? 0.5 : 1),
    changeEvery: Math.max(1, seconds(values["change-every"], 50)),
    settleS: seconds(values.settle, quick ? 5 : 10),
    queueMax: queueMax === undefined ? undefined : Number(queueMax),
    dbPool: dbPool === undefined ? undefined : Number(dbPool),
    out: values.out,
    append: values.append ?? (!values["no-append"] && !quick),
    cpuProfDir: values["cpu-prof"],
    tidemarkBundle: values["tidemark-bundle"],
  }
}
