/** The home view: the sources with their forms and live answers, then the tracked resources. */
import { getJson, isAbort, toProblem } from "./api.js"
import { h } from "./dom.js"
import { problemView } from "./problem-view.js"
import { resourcesSection } from "./resources.js"
import { sourcesSection } from "./sources.js"
import type { SourceInfo } from "./types.js"

export const homeView = (main: HTMLElement): (() => void) => {
  const controller = new AbortController()
  const { signal } = controller
  document.title = "Tidemark"
  main.replaceChildren(
    h(
      "div",
      { class: "intro" },
      h("h1", { tabindex: "-1" }, "Live answers and their history"),
      h(
        "p",
        { class: "lead" },
        "Ask a source for its live answer, then follow how that resource's data changed over time.",
      ),
    ),
    h("p", { class: "muted" }, "Loading the sources…"),
  )
  getJson<{ sources: ReadonlyArray<SourceInfo> }>("/v1/sources", signal)
    .then(({ sources }) => {
      const resources = resourcesSection(
        sources.map((source) => source.id),
        signal,
      )
      main.lastElementChild?.replaceWith(
        sourcesSection(sources, signal, resources.refresh),
        resources.element,
      )
    })
    .catch((error: unknown) => {
      if (isAbort(error)) return
      main.lastElementChild?.replaceWith(
        problemView(toProblem(error), "Could not load the sources"),
      )
    })
  return () => controller.abort()
}
