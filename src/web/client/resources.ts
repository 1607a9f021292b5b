/** Tracked resources: every resource with its latest change, searchable by source, paged. */
import { getJson, isAbort, toProblem } from "./api.js"
import { h, statusLine } from "./dom.js"
import { plural, timeElement } from "./format.js"
import { problemView } from "./problem-view.js"
import type { ResourceSummary } from "./types.js"

const PAGE = 25

interface Page {
  readonly items: ReadonlyArray<ResourceSummary>
  readonly nextCursor: string | null
}

const row = (resource: ResourceSummary) =>
  h(
    "tr",
    { "data-resource": resource.id },
    h(
      "th",
      { scope: "row", "data-label": "Resource" },
      h(
        "a",
        { href: `/resources/${encodeURIComponent(resource.id)}` },
        h("code", {}, resource.key),
      ),
    ),
    h("td", { "data-label": "Source" }, resource.source),
    h("td", { "data-label": "Versions", class: "number" }, String(resource.versionCount)),
    h(
      "td",
      { "data-label": "Latest change" },
      resource.latestObservedAt === null
        ? "—"
        : h(
            "span",
            {},
            `version ${resource.latestVersion}, `,
            timeElement(resource.latestObservedAt, true),
          ),
    ),
  )

export interface ResourcesSection {
  readonly element: HTMLElement
  readonly refresh: () => void
}

export const resourcesSection = (
  sourceIds: ReadonlyArray<string>,
  signal: AbortSignal,
): ResourcesSection => {
  const search = h("input", {
    id: "resource-source",
    type: "search",
    list: "resource-source-ids",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "all sources",
  })
  const options = h(
    "datalist",
    { id: "resource-source-ids" },
    ...sourceIds.map((id) => h("option", { value: id })),
  )
  const form = h(
    "form",
    { role: "search", class: "inline-form", "aria-label": "Tracked resources by source" },
    h("label", { for: "resource-source" }, "Source"),
    search,
    options,
    h("button", { type: "submit" }, "Search"),
  )
  const status = statusLine()
  const body = h("tbody")
  const table = h(
    "table",
    { class: "resources-table" },
    h("caption", { class: "visually-hidden" }, "Tracked resources"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Resource"),
        h("th", { scope: "col" }, "Source"),
        h("th", { scope: "col", class: "number" }, "Versions"),
        h("th", { scope: "col" }, "Latest change"),
      ),
    ),
    body,
  )
  const tableWrap = h("div", { class: "table-wrap", hidden: true }, table)
  const more = h("button", { type: "button", hidden: true }, "Load more")
  const failure = h("div")
  let cursor: string | null = null
  let generation = 0

  const load = async (reset: boolean) => {
    const mine = reset ? ++generation : generation
    const source = search.value.trim()
    const query = new URLSearchParams({ limit: String(PAGE) })
    if (source !== "") query.set("source", source)
    if (!reset && cursor !== null) query.set("cursor", cursor)
    more.disabled = true
    try {
      const page = await getJson<Page>(`/v1/resources?${query}`, signal)
      if (mine !== generation) return
      failure.replaceChildren()
      if (reset) body.replaceChildren()
      body.append(...page.items.map(row))
      cursor = page.nextCursor
      more.hidden = cursor === null
      const shown = body.childElementCount
      const where = source === "" ? "" : ` for source ${source}`
      status.textContent =
        shown === 0
          ? `No tracked resources${where} yet.`
          : `${plural(shown, "tracked resource")}${where}${cursor === null ? "" : " so far"}.`
      tableWrap.hidden = shown === 0
    } catch (error) {
      if (isAbort(error) || mine !== generation) return
      failure.replaceChildren(problemView(toProblem(error), "Could not list the tracked resources"))
    } finally {
      more.disabled = false
    }
  }

  let typing: ReturnType<typeof setTimeout> | undefined
  search.addEventListener("input", () => {
    clearTimeout(typing)
    typing = setTimeout(() => void load(true), 300)
  })
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    clearTimeout(typing)
    void load(true)
  })
  more.addEventListener("click", () => void load(false))
  void load(true)

  return {
    element: h(
      "section",
      { class: "resources", "aria-labelledby": "resources-title" },
      h("h2", { id: "resources-title" }, "Tracked resources"),
      form,
      status,
      failure,
      tableWrap,
      more,
    ),
    refresh: () => void load(true),
  }
}
