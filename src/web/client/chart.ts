/** A time-series chart (uPlot) of one numeric path of the tracked content across versions. */
import uPlot from "uplot"
import { getJson, isAbort, toProblem } from "./api.js"
import { h, statusLine } from "./dom.js"
import { formatDateTime, plural } from "./format.js"
import { numericLeaves } from "./pointer.js"
import { problemView } from "./problem-view.js"
import type { SeriesPoint } from "./types.js"

const LIMIT = 1000

export interface Chart {
  readonly element: HTMLElement
  /** Re-reads the paths from the latest tracked content and the points of the chosen one. */
  readonly update: (latestTracked: unknown) => void
  readonly destroy: () => void
}

const cssVar = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback

const heightFor = (width: number) => (width < 560 ? 220 : 300)

/** Keeps a lone point (or points observed at one instant) off the chart's edges. */
const timeRange = (_: uPlot, min: number, max: number): uPlot.Range.MinMax =>
  min === max ? [min - 60, max + 60] : [min, max]

const dataTable = (path: string, points: ReadonlyArray<SeriesPoint>) =>
  h(
    "table",
    { class: "points-table" },
    h("caption", { class: "visually-hidden" }, `Values of ${path} by version`),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Version"),
        h("th", { scope: "col" }, "Observed"),
        h("th", { scope: "col", class: "number" }, "Value"),
      ),
    ),
    h(
      "tbody",
      {},
      ...points.map((point) =>
        h(
          "tr",
          {},
          h("td", {}, String(point.version)),
          h("td", {}, formatDateTime(point.observedAt)),
          h("td", { class: "number" }, String(point.value)),
        ),
      ),
    ),
  )

export const chartSection = (
  resourceId: string,
  latestTracked: unknown,
  signal: AbortSignal,
): Chart => {
  const select = h("select", { id: "chart-path" })
  const status = statusLine()
  const plotBox = h("div", { class: "chart-plot", role: "img", "aria-label": "Chart" })
  const tableBox = h("div", { class: "table-wrap" })
  const tableDetails = h(
    "details",
    { class: "chart-table" },
    h("summary", {}, "The values as a table"),
    tableBox,
  )
  const failure = h("div")
  const body = h("div", { class: "chart-body" }, status, failure, plotBox, tableDetails)
  const empty = h("p", { class: "muted" }, "The tracked content has no numeric values to chart.")
  const element = h(
    "section",
    { class: "chart card", "aria-labelledby": "chart-title" },
    h(
      "div",
      { class: "chart-head" },
      h("h2", { id: "chart-title" }, "Chart"),
      h("div", { class: "inline-form" }, h("label", { for: "chart-path" }, "Value"), select),
    ),
    body,
    empty,
  )
  let plot: uPlot | undefined
  let paths: ReadonlyArray<string> = []
  let generation = 0

  const draw = (path: string, points: ReadonlyArray<SeriesPoint>) => {
    const data: uPlot.AlignedData = [
      points.map((point) => Date.parse(point.observedAt) / 1000),
      points.map((point) => point.value),
    ]
    const width = Math.max(280, plotBox.clientWidth || 600)
    plot?.destroy()
    const accent = cssVar("--accent", "#0b62c4")
    const axis = {
      stroke: cssVar("--muted", "#57606a"),
      grid: { stroke: cssVar("--grid", "#e6e9ee") },
    }
    plot = new uPlot(
      {
        width,
        height: heightFor(width),
        scales: { x: { time: true, range: timeRange } },
        series: [
          { label: "Observed" },
          { label: path, stroke: accent, width: 2, points: { show: true, size: 7, fill: accent } },
        ],
        axes: [
          { ...axis, space: 90 },
          { ...axis, size: 70 },
        ],
      },
      data,
      plotBox,
    )
    plotBox.dataset.path = path
    plotBox.dataset.pointCount = String(plot.data[0].length)
    const values = points.map((point) => point.value)
    plotBox.setAttribute(
      "aria-label",
      points.length === 0
        ? `No values of ${path} yet`
        : `Line chart of ${path} over ${plural(points.length, "version")}, from ${Math.min(...values)} to ${Math.max(...values)}; the values are in the table below`,
    )
    tableBox.replaceChildren(dataTable(path, points))
    const first = points[0]
    const last = points.at(-1)
    status.textContent =
      first === undefined || last === undefined
        ? `No version has a number at ${path}.`
        : `${plural(points.length, "point")} of ${path}, versions ${first.version} to ${last.version}${points.length >= LIMIT ? ` (the latest ${LIMIT})` : ""}.`
  }

  const load = async () => {
    const path = select.value
    if (path === "") return
    const mine = ++generation
    const query = new URLSearchParams({ path, limit: String(LIMIT) })
    try {
      const series = await getJson<{ points: ReadonlyArray<SeriesPoint> }>(
        `/v1/resources/${encodeURIComponent(resourceId)}/series?${query}`,
        signal,
      )
      if (mine !== generation) return
      failure.replaceChildren()
      draw(path, series.points)
    } catch (error) {
      if (!isAbort(error) && mine === generation) {
        failure.replaceChildren(problemView(toProblem(error), "Could not load the chart"))
      }
    }
  }

  const setPaths = (tracked: unknown) => {
    // Shallow values first: the headline numbers (a price, a temperature) are usually near the top.
    const next = numericLeaves(tracked).sort((a, b) => a.split("/").length - b.split("/").length)
    const chosen = select.value
    if (next.join("\n") !== paths.join("\n")) {
      paths = next
      select.replaceChildren(...next.map((path) => h("option", { value: path }, path)))
      if (next.includes(chosen)) select.value = chosen
    }
    body.hidden = next.length === 0
    select.disabled = next.length === 0
    empty.hidden = next.length > 0
  }

  select.addEventListener("change", () => void load())
  const resize = new ResizeObserver(() => {
    const width = Math.max(280, plotBox.clientWidth)
    if (plot !== undefined && Math.abs(plot.width - width) > 1)
      plot.setSize({ width, height: heightFor(width) })
  })
  resize.observe(plotBox)
  setPaths(latestTracked)
  void load()

  return {
    element,
    update: (tracked) => {
      setPaths(tracked)
      void load()
    },
    destroy: () => {
      generation++
      resize.disconnect()
      plot?.destroy()
      plot = undefined
    },
  }
}
