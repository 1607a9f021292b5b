/** How a problem reads on the page: title, code and detail, never a blank. */
import type { Problem } from "./api.js"
import { button, h } from "./dom.js"

export const focusTokenField = () => document.getElementById("api-token")?.focus()

export const problemView = (problem: Problem, context?: string): HTMLElement => {
  const status =
    problem.status === 0
      ? null
      : h(
          "span",
          { class: "problem-status" },
          `HTTP ${problem.status}`,
          problem.upstreamStatus === undefined ? "" : `, upstream ${problem.upstreamStatus}`,
        )
  const view = h(
    "div",
    { class: "problem", role: "alert" },
    h(
      "p",
      { class: "problem-title" },
      context === undefined ? null : h("span", { class: "problem-context" }, `${context}: `),
      problem.title,
    ),
    h(
      "p",
      { class: "problem-meta" },
      h("code", { class: "problem-code" }, problem.code),
      " ",
      status,
    ),
    h("p", { class: "problem-detail" }, problem.detail),
  )
  if (problem.status === 401) {
    view.append(
      h(
        "p",
        {},
        "This Tidemark needs an API token. Enter it in the API token field at the top of the page. ",
        button("Go to the token field", focusTokenField, { class: "small" }),
      ),
    )
  }
  return view
}
