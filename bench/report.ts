/** The benchmark's report: one markdown table per run, ratios to the proxies of the same run. */
import type { CellResult } from "./cell.js"
import type { Scenario } from "./options.js"

const load = (s: Scenario) => `k${s.keys}-c${s.connections}-u${s.latencyMs}`

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits)

const signed = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value)
    ? "–"
    : `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`

export const baselineOf = (results: ReadonlyArray<CellResult>, name: "bare" | "raw", s: Scenario) =>
  results.find((r) => r.target === name && load(r.scenario) === load(s) && r.load !== undefined)

export const ratio = (cell: CellResult, baseline: CellResult | undefined) =>
  cell.load === undefined || baseline?.load === undefined
    ? Number.NaN
    : cell.load.rps / baseline.load.rps

const row = (cell: CellResult, results: ReadonlyArray<CellResult>) => {
  const bare = baselineOf(results, "bare", cell.scenario)
  const raw = baselineOf(results, "raw", cell.scenario)
  const l = cell.load
  const c = cell.correctness
  const coalesce = cell.target.startsWith("tidemark")
    ? cell.scenario.coalesce
      ? "on"
      : "off"
    : "–"
  if (l === undefined) {
    return `| ${load(cell.scenario)} | ${cell.target} | ${coalesce} | failed: ${cell.error ?? "?"} |${" |".repeat(18)}`
  }
  const cells = [
    load(cell.scenario),
    cell.target,
    coalesce,
    fixed(l.rps, 0),
    String(l.ok),
    fixed(ratio(cell, bare), 2),
    fixed(ratio(cell, raw), 2),
    fixed(l.p50, 2),
    fixed(l.p90, 2),
    fixed(l.p99, 2),
    signed(bare?.load === undefined ? undefined : l.p50 - bare.load.p50, 2),
    signed(bare?.load === undefined ? undefined : l.p99 - bare.load.p99, 2),
    String(l.non2xx + l.errors + l.timeouts),
    fixed(cell.cpuUsPerRequest, 0),
    fixed(cell.peakRssMiB, 0),
    c === undefined ? "–" : String(c.served),
    c === undefined
      ? "–"
      : `${c.recorded}${c.distinct === c.recorded ? "" : ` (${c.distinct} distinct)`}${cell.settled ? "" : "*"}`,
    c === undefined ? "–" : String(c.duplicates),
    c === undefined ? "–" : String(c.backwards),
    c === undefined ? "–" : `${c.missed}${c.stale ? ` (${c.stale} stale)` : ""}`,
    c === undefined ? "–" : `${c.dropped} / ${c.failed}`,
    c === undefined ? "–" : `${fixed(c.lagP50, 0)} / ${fixed(c.lagP99, 0)}`,
  ]
  return `| ${cells.join(" | ")} |`
}

export const table = (results: ReadonlyArray<CellResult>) =>
  [
    "| load | target | coalesce | req/s | answers | ×bare | ×raw | p50 ms | p90 ms | p99 ms | Δp50 | Δp99 | errors | CPU µs/req | peak RSS MiB | served | recorded | dup | back | missed | dropped / failed | lag p50 / p99 ms |",
    `|${" --- |".repeat(22)}`,
    ...results.map((cell) => row(cell, results)),
  ].join("\n")

interface Check {
  readonly label: string
  readonly met: boolean
  readonly detail: string
}

const isTidemarkPg = (cell: CellResult) =>
  cell.target === "tidemark-pg" || cell.target === "tidemark-pg50"

const check = (
  label: string,
  cells: ReadonlyArray<CellResult>,
  pass: (cell: CellResult) => boolean,
  describe: (cell: CellResult) => string,
): Check | undefined => {
  if (cells.length === 0) return undefined
  const missed = cells.filter((cell) => !pass(cell))
  return {
    label,
    met: missed.length === 0,
    detail:
      missed.length === 0
        ? `${cells.length} of ${cells.length} cells`
        : `${cells.length - missed.length} of ${cells.length} cells; missed: ${missed
            .slice(0, 12)
            .map(describe)
            .join("; ")}${missed.length > 12 ? `; and ${missed.length - 12} more` : ""}`,
  }
}

const named = (cell: CellResult, what: string) =>
  `${cell.target} ${load(cell.scenario)}-${cell.scenario.coalesce ? "on" : "off"}${what === "" ? "" : ` ${what}`}`

export const targetChecks = (results: ReadonlyArray<CellResult>): Array<Check> => {
  const measured = results.filter((cell) => cell.load !== undefined)
  const tidemarkPg = measured.filter(isTidemarkPg)
  const delta = (cell: CellResult, p: "p50" | "p99") =>
    (cell.load?.[p] ?? Number.NaN) -
    (baselineOf(results, "bare", cell.scenario)?.load?.[p] ?? Number.NaN)
  const checks = [
    check(
      "live p50 within 1 ms of the bare proxy (PostgreSQL direct and 50 ms away)",
      tidemarkPg,
      (cell) => delta(cell, "p50") <= 1,
      (cell) => named(cell, `${signed(delta(cell, "p50"), 2)} ms`),
    ),
    check(
      "live p99 within 5 ms of the bare proxy (PostgreSQL direct and 50 ms away)",
      tidemarkPg,
      (cell) => delta(cell, "p99") <= 5,
      (cell) => named(cell, `${signed(delta(cell, "p99"), 2)} ms`),
    ),
    check(
      "latency-bound (20 ms upstream, 50 connections): ≥ 95% of the bare proxy's req/s",
      tidemarkPg.filter((c) => c.scenario.latencyMs === 20 && c.scenario.connections === 50),
      (cell) => ratio(cell, baselineOf(results, "bare", cell.scenario)) >= 0.95,
      (cell) =>
        named(cell, `×${fixed(ratio(cell, baselineOf(results, "bare", cell.scenario)), 2)}`),
    ),
    check(
      "CPU-bound (1 ms upstream, 200 connections, coalescing off, 100 keys): ≥ bare proxy and ≥ half the raw proxy",
      tidemarkPg.filter(
        (c) =>
          c.scenario.latencyMs === 1 &&
          c.scenario.connections === 200 &&
          !c.scenario.coalesce &&
          c.scenario.keys === 100,
      ),
      (cell) =>
        ratio(cell, baselineOf(results, "bare", cell.scenario)) >= 1 &&
        ratio(cell, baselineOf(results, "raw", cell.scenario)) >= 0.5,
      (cell) =>
        named(
          cell,
          `×${fixed(ratio(cell, baselineOf(results, "bare", cell.scenario)), 2)} bare, ×${fixed(ratio(cell, baselineOf(results, "raw", cell.scenario)), 2)} raw`,
        ),
    ),
    check(
      "history: distinct values recorded = distinct values served, no duplicates, none missed, wherever the queue did not overflow (cells whose recordings settled)",
      measured.filter(
        (c) =>
          c.target.startsWith("tidemark") &&
          c.settled &&
          c.correctness !== undefined &&
          c.correctness.dropped === 0,
      ),
      (cell) =>
        cell.correctness !== undefined &&
        cell.correctness.distinct === cell.correctness.served &&
        cell.correctness.duplicates === 0 &&
        cell.correctness.missed === 0,
      (cell) =>
        named(
          cell,
          `${cell.correctness?.distinct}/${cell.correctness?.served} recorded, ${cell.correctness?.missed} missed (${cell.correctness?.stale ?? "?"} stale), ${cell.correctness?.duplicates} dup, ${cell.correctness?.failed} failed`,
        ),
    ),
    check(
      "peak RSS < 250 MiB on PostgreSQL at 200 connections",
      tidemarkPg.filter((c) => c.scenario.connections === 200),
      (cell) => cell.peakRssMiB < 250,
      (cell) => named(cell, `${fixed(cell.peakRssMiB, 0)} MiB`),
    ),
  ]
  const unsettled = measured.filter((c) => c.correctness !== undefined && !c.settled)
  const overflowed = measured.filter((c) => (c.correctness?.dropped ?? 0) > 0)
  return [
    ...checks.filter((c): c is Check => c !== undefined),
    ...(unsettled.length === 0 && overflowed.length === 0
      ? []
      : [
          {
            label: "not judged for history",
            met: true,
            detail: `${unsettled.length} cells still recording when the settle time ran out (${unsettled.map((c) => named(c, "")).join(", ") || "none"}); ${overflowed.length} cells whose queue overflowed (drops counted in the table)`,
          },
        ]),
  ]
}

/** The lines a reader looks at first: Tidemark's req/s as a ratio of the proxies'. */
export const headline = (results: ReadonlyArray<CellResult>): Array<string> =>
  results
    .filter((cell) => cell.target.startsWith("tidemark") && cell.load !== undefined)
    .filter(
      (cell) =>
        (cell.scenario.latencyMs === 1 &&
          cell.scenario.connections === 200 &&
          cell.scenario.keys === 100 &&
          !cell.scenario.coalesce) ||
        (cell.scenario.latencyMs === 20 && cell.scenario.connections === 50),
    )
    .map((cell) => {
      const bare = baselineOf(results, "bare", cell.scenario)
      const raw = baselineOf(results, "raw", cell.scenario)
      return `- ${named(cell, "")}: ${fixed(cell.load?.rps, 0)} req/s = ×${fixed(ratio(cell, bare), 2)} bare (${fixed(bare?.load?.rps, 0)}), ×${fixed(ratio(cell, raw), 2)} raw (${fixed(raw?.load?.rps, 0)}); p50 ${signed(delta50(cell, bare), 2)} ms, p99 ${signed(delta99(cell, bare), 2)} ms vs bare`
    })

const delta50 = (cell: CellResult, bare: CellResult | undefined) =>
  (cell.load?.p50 ?? Number.NaN) - (bare?.load?.p50 ?? Number.NaN)
const delta99 = (cell: CellResult, bare: CellResult | undefined) =>
  (cell.load?.p99 ?? Number.NaN) - (bare?.load?.p99 ?? Number.NaN)

export const checksMarkdown = (checks: ReadonlyArray<Check>) =>
  checks.map(
    (c) =>
      `- ${c.label === "not judged for history" ? "note" : c.met ? "met" : "**missed**"}: ${c.label} — ${c.detail}`,
  )
