/** The facts at the top of a resource's page. */
import { h } from "./dom.js"
import { timeElement } from "./format.js"
import type { ResourceDetail } from "./types.js"

export const headerFacts = (detail: ResourceDetail) =>
  h(
    "dl",
    { class: "facts" },
    h("div", {}, h("dt", {}, "Source"), h("dd", {}, detail.source)),
    h(
      "div",
      {},
      h("dt", {}, "Versions"),
      h("dd", { "data-fact": "versions" }, String(detail.versionCount)),
    ),
    h(
      "div",
      {},
      h("dt", {}, "Latest change"),
      h(
        "dd",
        {},
        detail.latestObservedAt === null ? "—" : timeElement(detail.latestObservedAt, true),
      ),
    ),
    h("div", {}, h("dt", {}, "Resource id"), h("dd", {}, h("code", {}, detail.id))),
  )
