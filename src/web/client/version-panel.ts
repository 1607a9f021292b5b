/** One version: when it was observed and recorded, its body, and its tracked content. */
import { button, h } from "./dom.js"
import { plural, timeElement } from "./format.js"
import { jsonView } from "./json-view.js"
import type { VersionDetail } from "./types.js"

export const versionPanel = (
  detail: VersionDetail,
  latestVersion: number,
  onCompare: (from: number, to: number) => void,
): HTMLElement => {
  const changes =
    detail.version === 1
      ? "first version"
      : `${plural(detail.patch.length, "change")} from version ${detail.version - 1}`
  return h(
    "div",
    { class: "version-panel", "data-version": String(detail.version) },
    h(
      "h2",
      { id: "panel-title", tabindex: "-1" },
      `Version ${detail.version}`,
      detail.version === latestVersion ? h("span", { class: "badge" }, "latest") : null,
    ),
    h(
      "dl",
      { class: "facts" },
      h("div", {}, h("dt", {}, "Observed"), h("dd", {}, timeElement(detail.observedAt, true))),
      h("div", {}, h("dt", {}, "Recorded"), h("dd", {}, timeElement(detail.recordedAt))),
      h("div", {}, h("dt", {}, "Changes"), h("dd", {}, changes)),
      h("div", {}, h("dt", {}, "Hash"), h("dd", {}, h("code", { class: "hash" }, detail.hash))),
    ),
    detail.version > 1
      ? h(
          "p",
          { class: "actions" },
          button(`Compare with version ${detail.version - 1}`, () =>
            onCompare(detail.version - 1, detail.version),
          ),
        )
      : null,
    h("h3", {}, "Body"),
    jsonView(detail.body, { label: `Body of version ${detail.version}` }),
    h(
      "details",
      { class: "tracked" },
      h("summary", {}, "Tracked content (what is compared)"),
      jsonView(detail.tracked, { label: `Tracked content of version ${detail.version}` }),
    ),
  )
}
