/**
 * Summarises a `.cpuprofile` (from `npm run bench -- --cpu-prof DIR`): the functions with
 * the most self time, and self time per package or source file.
 *
 *   node --import tsx bench/profile.ts DIR/CPU.*.cpuprofile [--top 30] [--from SECONDS]
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" }, from: { type: "string", default: "0" } },
})
const top = Number(values.top)
/** Seconds of the profile to leave out from its start (start-up, warm-up). */
const fromUs = Number(values.from) * 1e6

/** A package name, a path inside the repository, or the kind of frame. */
const place = (url: string) => {
  if (url === "") return "(native / runtime)"
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (modules !== null) return modules[1] ?? url
  if (url.startsWith("node:")) return url
  const repo = /\/(src|bench|test|scripts)\/(.+)$/.exec(url)
  return repo === null ? url : `${repo[1]}/${repo[2]}`
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
  const self = new Map<number, number>()
  let at = 0
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0
    at += delta
    if (at >= fromUs) self.set(id, (self.get(id) ?? 0) + delta)
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const byFunction = new Map<string, number>()
  const byPlace = new Map<string, number>()
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0
    if (time === 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    const name = `${functionName || "(anonymous)"} ${place(url)}:${lineNumber + 1}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + time)
    byPlace.set(place(url), (byPlace.get(place(url)) ?? 0) + time)
  }
  const show = (title: string, entries: Map<string, number>) => {
    console.log(`\n${title}`)
    for (const [name, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `${((time / total) * 100).toFixed(1).padStart(5)}%  ${(time / 1000).toFixed(0).padStart(6)} ms  ${name}`,
      )
    }
  }
  // Inclusive time: a node's self time plus its subtree's, counted once per function name
  // along any one stack (recursion does not double-count).
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const inclusive = new Map<string, number>()
  const label = (node: ProfileNode) =>
    `${node.callFrame.functionName || "(anonymous)"} ${place(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)
    if (node === undefined) return 0
    const name = label(node)
    const fresh = !onStack.has(name)
    if (fresh) onStack.add(name)
    let sum = self.get(id) ?? 0
    for (const child of node.children ?? []) sum += walk(child, onStack)
    if (fresh) {
      onStack.delete(name)
      inclusive.set(name, (inclusive.get(name) ?? 0) + sum)
    }
    return sum
  }
  const root = profile.nodes[0]
  if (root !== undefined) walk(root.id, new Set())
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`)
  show("self time by function", byFunction)
  show("inclusive time by function", inclusive)
  show("self time by package or file", byPlace)
}
