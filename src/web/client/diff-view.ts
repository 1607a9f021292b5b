/**
 * The structural diff between two versions (from the /diff route): a table of paths added,
 * removed and changed with old and new values, then the newer document with those paths marked.
 */

import { type Change, type ChangeKind, describeChanges } from "./changes.js"
import { h } from "./dom.js"
import { plural, prettyJson } from "./format.js"
import { jsonView, type Mark } from "./json-view.js"
import { parentPointer } from "./pointer.js"
import type { PatchOperation, VersionDetail } from "./types.js"

const valueCell = (side: Change["before"], label: string) =>
  h(
    "td",
    { "data-label": label, class: side.found ? "value" : "value none" },
    side.found ? h("pre", {}, prettyJson(side.value)) : h("span", { class: "muted" }, "—"),
  )

const changeRow = (change: Change) =>
  h(
    "tr",
    { "data-path": change.path, "data-kind": change.kind },
    h(
      "td",
      { "data-label": "Change" },
      h("span", { class: `badge kind-${change.kind}` }, change.kind),
    ),
    h(
      "th",
      { scope: "row", "data-label": "Path" },
      h("code", { class: "path" }, change.path === "" ? "(whole document)" : change.path),
      change.from === undefined
        ? null
        : h("span", { class: "muted" }, " from ", h("code", {}, change.from)),
    ),
    valueCell(change.before, "Old value"),
    valueCell(change.after, "New value"),
  )

const marksOf = (changes: ReadonlyArray<Change>): Map<string, Mark> => {
  const marks = new Map<string, Mark>()
  for (const change of changes) {
    if (change.kind === "removed") marks.set(parentPointer(change.path), "removed-inside")
    else marks.set(change.path, change.kind === "changed" ? "changed" : "added")
    if (change.kind === "moved" && change.from !== undefined)
      marks.set(parentPointer(change.from), "removed-inside")
  }
  return marks
}

const summary = (changes: ReadonlyArray<Change>) => {
  if (changes.length === 0) return "The tracked content is the same in both versions."
  const counts = new Map<ChangeKind, number>()
  for (const change of changes) counts.set(change.kind, (counts.get(change.kind) ?? 0) + 1)
  return `${plural(changes.length, "change")}: ${[...counts].map(([kind, count]) => `${count} ${kind}`).join(", ")}.`
}

export const diffPanel = (
  operations: ReadonlyArray<PatchOperation>,
  from: VersionDetail,
  to: VersionDetail,
): HTMLElement => {
  const changes = describeChanges(from.tracked, operations)
  return h(
    "div",
    { class: "diff-panel", "data-from": String(from.version), "data-to": String(to.version) },
    h(
      "h2",
      { id: "panel-title", tabindex: "-1" },
      `Changes from version ${from.version} to version ${to.version}`,
    ),
    h("p", { class: "diff-summary" }, summary(changes)),
    changes.length === 0
      ? null
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "diff-table" },
            h("caption", { class: "visually-hidden" }, "Changed paths with old and new values"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "Change"),
                h("th", { scope: "col" }, "Path"),
                h("th", { scope: "col" }, `Old value (version ${from.version})`),
                h("th", { scope: "col" }, `New value (version ${to.version})`),
              ),
            ),
            h("tbody", {}, ...changes.map(changeRow)),
          ),
        ),
    h("h3", {}, `Tracked content of version ${to.version}, changes highlighted`),
    jsonView(to.tracked, {
      label: `Tracked content of version ${to.version}`,
      marks: marksOf(changes),
      openDepth: 2,
    }),
  )
}
