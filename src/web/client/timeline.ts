/**
 * The version timeline, newest first and paged. A version's button shows that version; its
 * "compare" checkbox picks it, and two picks show their diff.
 */
import { getJson, isAbort, toProblem } from "./api.js"
import { h } from "./dom.js"
import { plural, timeElement } from "./format.js"
import { problemView } from "./problem-view.js"
import type { VersionSummary } from "./types.js"

export type Shown =
  | { readonly kind: "version"; readonly version: number }
  | { readonly kind: "diff"; readonly from: number; readonly to: number }

export interface TimelineEvents {
  readonly onShow: (version: number) => void
  readonly onCompare: (from: number, to: number) => void
}

export interface Timeline {
  readonly element: HTMLElement
  /** Versions recorded after the page loaded, oldest first. */
  readonly add: (versions: ReadonlyArray<VersionSummary>) => void
  readonly setShown: (shown: Shown) => void
}

const PAGE = 20

interface VersionsPage {
  readonly items: ReadonlyArray<VersionSummary>
  readonly nextBefore: number | null
}

const changesText = (item: VersionSummary) =>
  item.version === 1 ? "first version" : plural(item.changes, "change")

export const timeline = (
  resourceId: string,
  signal: AbortSignal,
  events: TimelineEvents,
): Timeline => {
  const list = h("ol", { class: "timeline-list" })
  const older = h("button", { type: "button", hidden: true }, "Older versions")
  const failure = h("div")
  const picked: Array<number> = []
  let shown: Shown | undefined
  let before: number | null = null

  const boxes = () => list.querySelectorAll<HTMLInputElement>("input[type=checkbox]")

  const sync = () => {
    for (const box of boxes()) box.checked = picked.includes(Number(box.value))
    for (const row of list.querySelectorAll<HTMLElement>("li[data-version]")) {
      const version = Number(row.dataset.version)
      const current =
        shown !== undefined &&
        (shown.kind === "version"
          ? shown.version === version
          : shown.from === version || shown.to === version)
      row.classList.toggle("is-current", current)
      row
        .querySelector("button")
        ?.setAttribute("aria-pressed", String(shown?.kind === "version" && current))
    }
  }

  const pick = (version: number, on: boolean) => {
    const at = picked.indexOf(version)
    if (!on && at !== -1) picked.splice(at, 1)
    if (on && at === -1) {
      picked.push(version)
      if (picked.length > 2) picked.shift()
    }
    sync()
    const [a, b] = picked
    if (a !== undefined && b !== undefined) events.onCompare(Math.min(a, b), Math.max(a, b))
  }

  const row = (item: VersionSummary, fresh = false) => {
    const boxId = `compare-${item.version}`
    const box = h("input", { type: "checkbox", id: boxId, value: String(item.version) })
    box.addEventListener("change", () => pick(item.version, box.checked))
    const show = h(
      "button",
      { type: "button", class: "version-button", "aria-pressed": "false" },
      h("span", { class: "version-number" }, `Version ${item.version}`),
      h("span", { class: "version-meta" }, timeElement(item.observedAt), " · ", changesText(item)),
    )
    show.addEventListener("click", () => events.onShow(item.version))
    return h(
      "li",
      { "data-version": String(item.version), class: fresh ? "is-new" : undefined },
      show,
      h(
        "span",
        { class: "compare" },
        box,
        h(
          "label",
          { for: boxId },
          "compare",
          h("span", { class: "visually-hidden" }, ` version ${item.version}`),
        ),
      ),
    )
  }

  const loadOlder = async () => {
    older.disabled = true
    const query = new URLSearchParams({ limit: String(PAGE) })
    if (before !== null) query.set("before", String(before))
    try {
      const page = await getJson<VersionsPage>(
        `/v1/resources/${encodeURIComponent(resourceId)}/versions?${query}`,
        signal,
      )
      const known = new Set(
        [...list.querySelectorAll<HTMLElement>("li[data-version]")].map((li) => li.dataset.version),
      )
      list.append(
        ...page.items.filter((item) => !known.has(String(item.version))).map((item) => row(item)),
      )
      before = page.nextBefore
      older.hidden = before === null
      failure.replaceChildren()
      sync()
    } catch (error) {
      if (!isAbort(error))
        failure.replaceChildren(problemView(toProblem(error), "Could not load the versions"))
    } finally {
      older.disabled = false
    }
  }
  older.addEventListener("click", () => void loadOlder())
  void loadOlder()

  return {
    element: h(
      "section",
      { class: "timeline card", "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, "Versions"),
      h(
        "p",
        { class: "muted small-text" },
        "Newest first. Pick a version to see its body; tick two to compare them.",
      ),
      failure,
      list,
      older,
    ),
    add: (versions) => {
      const top = Number(list.querySelector<HTMLElement>("li[data-version]")?.dataset.version ?? 0)
      for (const item of versions) if (item.version > top) list.prepend(row(item, true))
      sync()
    },
    setShown: (next) => {
      shown = next
      if (next.kind === "diff") picked.splice(0, picked.length, next.from, next.to)
      sync()
    },
  }
}
