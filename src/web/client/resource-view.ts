/**
 * One resource: header, chart, version timeline, and the picked version or diff, kept current
 * by the resource's event stream. The URL names the resource and what is shown.
 */
import { getJson, isAbort, ProblemError, toProblem } from "./api.js"
import { chartSection } from "./chart.js"
import { diffPanel } from "./diff-view.js"
import { h, statusLine } from "./dom.js"
import { watchResource } from "./events.js"
import { plural } from "./format.js"
import { problemView } from "./problem-view.js"
import { headerFacts } from "./resource-header.js"
import { resourceUrl, shownFromQuery } from "./router.js"
import { type Shown, timeline } from "./timeline.js"
import type { PatchOperation, ResourceDetail, VersionDetail, VersionSummary } from "./types.js"
import { versionPanel } from "./version-panel.js"

export type Cleanup = () => void

export const resourceView = (main: HTMLElement, id: string, query: URLSearchParams): Cleanup => {
  const controller = new AbortController()
  const { signal } = controller
  const cleanups: Array<() => void> = [() => controller.abort()]
  const base = `/v1/resources/${encodeURIComponent(id)}`
  const title = h("h1", { tabindex: "-1" }, "Resource")
  const live = h(
    "p",
    { class: "live-state", "data-state": "connecting" },
    "Connecting to live updates…",
  )
  const announce = statusLine("visually-hidden")
  const content = h("div", { class: "resource-content" }, h("p", { class: "muted" }, "Loading…"))
  main.replaceChildren(
    h("p", { class: "breadcrumb" }, h("a", { href: "/" }, "← Sources and tracked resources")),
    h("div", { class: "resource-head" }, title, live),
    announce,
    content,
  )

  const versions = new Map<number, Promise<VersionDetail>>()
  const version = (n: number) => {
    let found = versions.get(n)
    if (found === undefined) {
      found = getJson<VersionDetail>(`${base}/versions/${n}`, signal)
      found.catch(() => versions.delete(n))
      versions.set(n, found)
    }
    return found
  }

  let latest = 0
  let ready = false
  const pending: Array<VersionSummary> = []
  let onNew: (items: ReadonlyArray<VersionSummary>) => void = (items) => void pending.push(...items)

  const start = (detail: ResourceDetail) => {
    latest = detail.latestVersion
    title.replaceChildren(h("code", {}, detail.key))
    document.title = `${detail.key} · Tidemark`
    const facts = h("div", {}, headerFacts(detail))
    const chart = chartSection(id, detail.latest.tracked, signal)
    cleanups.push(chart.destroy)
    const panel = h("section", { class: "panel card", "aria-labelledby": "panel-title" })
    let shown = shownFromQuery(query, latest)
    let generation = 0

    const show = async (next: Shown) => {
      shown = next
      history.replaceState(null, "", resourceUrl(id, next, latest))
      list.setShown(next)
      const mine = ++generation
      panel.setAttribute("aria-busy", "true")
      try {
        const view =
          next.kind === "version"
            ? versionPanel(await version(next.version), latest, compare)
            : diffPanel(
                ...(await Promise.all([
                  getJson<Array<PatchOperation>>(
                    `${base}/diff?from=${next.from}&to=${next.to}`,
                    signal,
                  ),
                  version(next.from),
                  version(next.to),
                ])),
              )
        if (mine !== generation) return
        panel.replaceChildren(view)
        announce.textContent =
          next.kind === "version"
            ? `Showing version ${next.version}.`
            : `Showing the changes from version ${next.from} to version ${next.to}.`
      } catch (error) {
        if (!isAbort(error) && mine === generation)
          panel.replaceChildren(problemView(toProblem(error)))
      } finally {
        if (mine === generation) panel.removeAttribute("aria-busy")
      }
    }
    const compare = (from: number, to: number) => void show({ kind: "diff", from, to })
    const list = timeline(id, signal, {
      onShow: (n) => void show({ kind: "version", version: n }),
      onCompare: compare,
    })

    content.replaceChildren(
      facts,
      chart.element,
      h("div", { class: "resource-columns" }, list.element, panel),
    )
    void show(shown)

    onNew = (items) => {
      const fresh = items.filter((item) => item.version > latest)
      const newest = fresh.at(-1)
      if (newest === undefined) return
      const wasLatest = shown.kind === "version" && shown.version === latest
      latest = newest.version
      list.add(fresh)
      announce.textContent = `${plural(fresh.length, "new version")} recorded; the latest is version ${latest}.`
      getJson<ResourceDetail>(base, signal)
        .then((current) => {
          facts.replaceChildren(headerFacts(current))
          chart.update(current.latest.tracked)
        })
        .catch(() => undefined)
      // What is on screen stays put, so its URL now names its version and it is no longer "latest".
      if (wasLatest) {
        history.replaceState(null, "", resourceUrl(id, shown, latest))
        panel.querySelector(".version-panel .badge")?.remove()
      }
    }
    onNew(pending.splice(0))
  }

  const missed = async (upTo: number) => {
    if (upTo <= latest || !ready) return
    const page = await getJson<{ items: ReadonlyArray<VersionSummary> }>(
      `${base}/versions?limit=50`,
      signal,
    )
    onNew(page.items.toReversed())
  }

  let unrecorded = false
  let loading = false
  const load = () => {
    if (loading) return
    loading = true
    getJson<ResourceDetail>(base, signal)
      .then((detail) => {
        unrecorded = false
        ready = true
        start(detail)
      })
      .catch((error: unknown) => {
        if (isAbort(error)) return
        const problem = toProblem(error)
        unrecorded = error instanceof ProblemError && problem.code === "not_found"
        content.replaceChildren(
          unrecorded
            ? h(
                "p",
                { class: "note" },
                "Nothing is recorded for this resource yet. This page shows its first version as soon as it is recorded.",
              )
            : problemView(problem),
        )
        if (!unrecorded) stopWatching()
      })
      .finally(() => {
        loading = false
      })
  }

  const stopWatching = watchResource(id, {
    onState: (state) => {
      live.dataset.state = state
      live.textContent =
        state === "open"
          ? "Live: new versions appear here as they are recorded."
          : state === "connecting"
            ? "Connecting to live updates…"
            : "Live updates interrupted; reconnecting…"
    },
    onReady: (version) => {
      if (unrecorded && version > 0) load()
      else void missed(version).catch(() => undefined)
    },
    onVersion: (event) => {
      if (unrecorded) load()
      else onNew([event])
    },
    onFatal: (problem) => {
      live.dataset.state = "closed"
      live.textContent = `Live updates are off: ${problem.title}.`
    },
  })
  cleanups.push(stopWatching)
  load()

  return () => {
    for (const cleanup of cleanups) cleanup()
  }
}
