/** "Fetch live": one live answer with when it was observed, how long it took, ETag and resource. */
import { authHeaders, isAbort, type Problem, problemOf } from "./api.js"
import { h } from "./dom.js"
import { plural, timeElement } from "./format.js"
import { jsonView } from "./json-view.js"
import { problemView } from "./problem-view.js"

export type LiveResult =
  | {
      readonly ok: true
      readonly url: string
      readonly text: string
      readonly bytes: number
      readonly etag: string
      readonly resourceId: string
      readonly observedAt: string
      readonly durationMs: number
    }
  | {
      readonly ok: false
      readonly url: string
      readonly problem: Problem
      readonly durationMs: number
    }

export const fetchLive = async (
  sourceId: string,
  query: URLSearchParams,
  signal: AbortSignal,
): Promise<LiveResult> => {
  const search = query.toString()
  const url = `/v1/live/${encodeURIComponent(sourceId)}${search === "" ? "" : `?${search}`}`
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  try {
    const response = await fetch(url, { headers: authHeaders(), signal, cache: "no-store" })
    if (!response.ok)
      return { ok: false, url, problem: await problemOf(response), durationMs: elapsed() }
    const bytes = await response.arrayBuffer()
    return {
      ok: true,
      url,
      text: new TextDecoder().decode(bytes),
      bytes: bytes.byteLength,
      etag: response.headers.get("etag") ?? "",
      resourceId: response.headers.get("tidemark-resource") ?? "",
      observedAt: response.headers.get("tidemark-observed-at") ?? "",
      durationMs: elapsed(),
    }
  } catch (error) {
    if (isAbort(error)) throw error
    return {
      ok: false,
      url,
      durationMs: elapsed(),
      problem: {
        type: "about:blank",
        title: "Tidemark could not be reached",
        status: 0,
        detail: error instanceof Error ? error.message : String(error),
        code: "network_error",
      },
    }
  }
}

const prettyBody = (text: string): HTMLElement => {
  try {
    return jsonView(JSON.parse(text), { label: "Upstream answer", openDepth: 3 })
  } catch {
    return h("pre", { class: "raw" }, text)
  }
}

export const renderLiveResult = (result: LiveResult, onRecorded: (version: number) => void) => {
  if (!result.ok) {
    return {
      view: h(
        "div",
        { class: "live-result is-error" },
        problemView(result.problem),
        h(
          "p",
          { class: "muted small-text" },
          `Answered in ${result.durationMs} ms · `,
          h("code", {}, result.url),
        ),
      ),
      recorded: undefined,
    }
  }
  const recorded = h(
    "span",
    { class: "recorded", "data-recorded": "pending" },
    "waiting for the history…",
  )
  const view = h(
    "div",
    { class: "live-result" },
    h(
      "dl",
      { class: "facts" },
      h(
        "div",
        {},
        h("dt", {}, "Observed"),
        h("dd", { "data-fact": "observed" }, timeElement(result.observedAt)),
      ),
      h(
        "div",
        {},
        h("dt", {}, "Took"),
        h("dd", { "data-fact": "duration" }, `${result.durationMs} ms`),
      ),
      h("div", {}, h("dt", {}, "Size"), h("dd", {}, plural(result.bytes, "byte"))),
      h(
        "div",
        {},
        h("dt", {}, "ETag"),
        h("dd", { "data-fact": "etag" }, h("code", {}, result.etag)),
      ),
      h(
        "div",
        {},
        h("dt", {}, "Resource"),
        h(
          "dd",
          { "data-fact": "resource" },
          h(
            "a",
            { href: `/resources/${encodeURIComponent(result.resourceId)}` },
            h("code", {}, result.resourceId),
          ),
          " · ",
          recorded,
        ),
      ),
    ),
    prettyBody(result.text),
    h(
      "details",
      { class: "raw-answer" },
      h("summary", {}, "Raw answer, byte for byte"),
      h("pre", { class: "raw" }, result.text),
    ),
  )
  const settle = (version: number | undefined) => {
    recorded.dataset.recorded = version === undefined ? "unknown" : String(version)
    recorded.textContent =
      version === undefined
        ? "open its history to see the versions"
        : `in the history as version ${version}`
    if (version !== undefined) onRecorded(version)
  }
  return { view, recorded: settle }
}
