/** The sources section: each configured source, its form, and its live answer. */
import { isAbort } from "./api.js"
import { h, statusLine } from "./dom.js"
import { fetchLive, renderLiveResult } from "./live.js"
import { paramsForm } from "./params-form.js"
import { findRecordedVersion } from "./recorded.js"
import type { SourceInfo } from "./types.js"

const sourceCard = (source: SourceInfo, signal: AbortSignal, onRecorded: () => void) => {
  const form = paramsForm(source.id, source.params)
  const headingId = `source-${source.id}-title`
  const submit = h("button", { type: "submit", class: "primary" }, "Fetch live")
  const status = statusLine()
  const result = h(
    "div",
    { class: "source-result", "data-result": source.id },
    h("p", { class: "placeholder" }, "No answer yet. Fill in the parameters and press Fetch live."),
  )
  const element = h("form", {
    class: "source-form",
    novalidate: true,
    "aria-labelledby": headingId,
  })
  element.append(
    Object.keys(source.params).length === 0
      ? h("p", { class: "muted" }, "This source takes no parameters.")
      : form.fields,
    h("div", { class: "actions" }, submit, status),
  )
  let inFlight: AbortController | undefined
  element.addEventListener("submit", (event) => {
    event.preventDefault()
    const query = form.read()
    if (query === undefined) {
      status.textContent = "Fix the highlighted parameters first; nothing was sent."
      return
    }
    inFlight?.abort()
    const current = new AbortController()
    inFlight = current
    const abortCurrent = () => current.abort()
    signal.addEventListener("abort", abortCurrent)
    const release = () => signal.removeEventListener("abort", abortCurrent)
    submit.disabled = true
    result.setAttribute("aria-busy", "true")
    status.textContent = "Asking the upstream…"
    fetchLive(source.id, query, current.signal)
      .then((answer) => {
        const shown = renderLiveResult(answer, onRecorded)
        result.replaceChildren(shown.view)
        status.textContent = answer.ok
          ? `Live answer received in ${answer.durationMs} ms.`
          : `The request failed: ${answer.problem.title} (${answer.problem.code}).`
        if (answer.ok && shown.recorded !== undefined && answer.resourceId !== "") {
          void findRecordedVersion(answer.resourceId, answer.etag, current.signal)
            .then(shown.recorded)
            .finally(release)
        } else release()
      })
      .catch((error: unknown) => {
        release()
        if (!isAbort(error)) status.textContent = "The request could not be made."
      })
      .finally(() => {
        submit.disabled = false
        result.removeAttribute("aria-busy")
      })
  })
  return h(
    "article",
    { class: "source card", id: `source-${source.id}`, "data-source": source.id },
    h(
      "div",
      { class: "source-side" },
      h("h3", { id: headingId }, h("code", {}, source.id)),
      h(
        "p",
        { class: "description" },
        source.description === "" ? "No description." : source.description,
      ),
      h(
        "p",
        { class: "muted small-text" },
        `Tracks ${source.select === "" ? "the whole answer" : source.select}`,
        source.ignore.length === 0 ? "" : `, ignoring ${source.ignore.join(", ")}`,
        ` · timeout ${source.timeoutMs} ms`,
      ),
      element,
    ),
    result,
  )
}

export const sourcesSection = (
  sources: ReadonlyArray<SourceInfo>,
  signal: AbortSignal,
  onRecorded: () => void,
) =>
  h(
    "section",
    { class: "sources", "aria-labelledby": "sources-title" },
    h("h2", { id: "sources-title" }, "Sources"),
    sources.length === 0
      ? h("p", { class: "muted" }, "No sources are configured. Add them to the sources file.")
      : h(
          "div",
          { class: "source-list" },
          ...sources.map((source) => sourceCard(source, signal, onRecorded)),
        ),
  )
